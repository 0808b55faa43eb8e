#include <gtest/gtest.h>

#include "common/json_fields.h"
#include "common/model.h"

namespace fnq {
namespace {

std::string int_error(const char* text, IntRange range = k_priority_range) {
  std::optional<int> out;
  auto s =
      read_int(json::parse(std::string(R"({"priority": )") + text + "}"), "priority", range, &out);
  return s.ok() ? "ok " + std::to_string(out.value_or(-7)) : s.error().message;
}

TEST(JsonFields, IntegersInRangeAtTheEdges) {
  EXPECT_EQ(int_error("1000000000"), "ok 1000000000");
  EXPECT_EQ(int_error("-1000000000"), "ok -1000000000");
  EXPECT_EQ(int_error("0"), "ok 0");
  const std::string prefix = "priority: expected an integer from -1000000000 to 1000000000, got ";
  for (const char* out :
       {"1000000001", "-1000000001", "2147483648", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "-9223372036854775808", "1.5", "\"5\"", "true", "[1]"}) {
    EXPECT_EQ(int_error(out), prefix + out) << out;
  }
  EXPECT_EQ(int_error("1e9"), prefix + "1000000000.0");  // a float, though whole
}

TEST(JsonFields, NullAndMissingAreAbsent) {
  std::optional<int> n = 3;
  EXPECT_TRUE(
      read_int(json::parse(R"({"priority": null})"), "priority", k_priority_range, &n).ok());
  EXPECT_EQ(n, 3);
  std::optional<Millis> d;
  EXPECT_TRUE(read_duration(json::object(), "delay", &d).ok());
  EXPECT_FALSE(d);
}

TEST(JsonFields, BooleansAreOnlyTrueOrFalse) {
  std::optional<bool> b;
  ASSERT_TRUE(read_bool(json::parse(R"({"output": true})"), "output", &b).ok());
  EXPECT_EQ(b, true);
  for (const char* wrong : {"1", "\"yes\"", "0", "{}"}) {
    auto s = read_bool(json::parse(std::string(R"({"output": )") + wrong + "}"), "output", &b);
    ASSERT_FALSE(s.ok()) << wrong;
    EXPECT_EQ(s.error().message, std::string("output: expected true or false, got ") + wrong);
  }
}

TEST(JsonFields, DurationsSizesTimesAndNamesNameTheField) {
  json j = json::parse(R"({"delay": "3651d", "max_output": "2TiB", "run_at": "2026-02-30T00:00:00Z",
                          "name": "Bad Name", "key": 5})");
  std::optional<Millis> d;
  std::optional<std::uint64_t> s;
  std::optional<std::int64_t> t;
  std::optional<std::string> name, key;
  EXPECT_EQ(read_duration(j, "delay", &d).error().message,
            "delay: '3651d' is out of range (durations are 0 to 3650d)");
  EXPECT_EQ(read_size(j, "max_output", &s).error().message,
            "max_output: '2TiB' is out of range (sizes are 0 to 1TiB)");
  EXPECT_EQ(read_time(j, "run_at", &t).error().message.rfind("run_at: invalid time", 0), 0u);
  EXPECT_EQ(read_function_name(j, "name", &name).error().message.rfind("name: invalid function", 0),
            0u);
  EXPECT_EQ(read_string(j, "key", &key).error().message, "key: expected a string, got 5");
}

TEST(JsonFields, UnknownFieldsAreRefused) {
  json j = json::parse(R"({"ids": [], "colour": 1})");
  EXPECT_TRUE(check_known_fields(j, {"ids", "colour"}).ok());
  auto s = check_known_fields(j, {"ids"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "colour: unknown field");
}

TEST(JsonText, ANumberPastADoubleIsAFieldErrorNotAnException) {
  auto j = parse_json_text(R"({"function": "f", "priority": 1e309})");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(j.error().message, "priority: 1e309 is out of range (a JSON number must fit a double)");
  auto nested = parse_json_text(R"({"calls": [{"function": "f", "delay": -1e400}]})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().message.rfind("delay: -1e400 is out of range", 0), 0u);
  auto bare = parse_json_text("1e309");
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error().message.rfind("1e309 is out of range", 0), 0u);
}

TEST(JsonText, MalformedJsonSaysWhereWithoutTheLibraryPrefix) {
  auto j = parse_json_text("{", "JSON body");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().message.rfind("malformed JSON body: parse error at line 1", 0), 0u)
      << j.error().message;
  EXPECT_EQ(j.error().message.find("json.exception"), std::string::npos);
  EXPECT_TRUE(parse_json_text(R"({"a": 1e308})").ok());
}

TEST(FunctionRanges, EveryFieldAtItsEdges) {
  auto with = [](const char* field, const std::string& value) {
    json j = {{"name", "f"}, {"command", {"true"}}};
    j[field] = json::parse(value);
    return function_from_json(j);
  };
  EXPECT_TRUE(with("exec_timeout", R"("3650d")").ok());
  EXPECT_TRUE(with("write_timeout", "315360000000").ok());
  EXPECT_TRUE(with("concurrency", "1000000").ok());
  EXPECT_TRUE(with("max_retries", "1000").ok());
  EXPECT_TRUE(with("max_output", R"("1TiB")").ok());
  struct Case {
    const char* field;
    const char* value;
    const char* message_start;
  } cases[] = {
      {"exec_timeout", R"("106751991167d")", "exec_timeout: '106751991167d' is out of range"},
      {"write_timeout", "315360000001", "write_timeout: '315360000001' is out of range"},
      {"kill_grace", R"("99999999999999999999d")", "kill_grace: '99999999999999999999d' is out"},
      {"retry_backoff", "-1", "retry_backoff: '-1' is out of range"},
      {"concurrency", "1000001", "concurrency: expected an integer from 0 to 1000000, got"},
      {"max_retries", "1001", "max_retries: expected an integer from 0 to 1000, got 1001"},
      {"max_retries", "18446744073709551615", "max_retries: expected an integer from 0 to 1000"},
      {"max_output", R"("1025GiB")", "max_output: '1025GiB' is out of range"},
  };
  for (const auto& c : cases) {
    auto f = with(c.field, c.value);
    ASSERT_FALSE(f.ok()) << c.field << " " << c.value;
    EXPECT_EQ(f.error().message.rfind(c.message_start, 0), 0u) << f.error().message;
  }
}

TEST(FunctionRanges, StoredDefinitionsOutOfRangeAreClampedNotRefused) {
  json stored = {{"name", "f"},
                 {"command", {"true"}},
                 {"exec_timeout", "106751991167d"},
                 {"kill_grace", "106751991167d"},
                 {"max_output", "8388607TiB"},
                 {"max_retries", 1000000},
                 {"concurrency", 18446744073709551615ULL}};
  auto f = stored_function_from_json(stored);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->exec_timeout, k_max_duration);
  EXPECT_EQ(f->kill_grace, k_max_duration);
  EXPECT_EQ(f->max_output, k_max_size);
  EXPECT_EQ(f->max_retries, 1000);
  EXPECT_EQ(f->concurrency, 1'000'000);
  EXPECT_FALSE(function_from_json(stored).ok());
}

TEST(CallReader, ToleratesAnythingAnOlderDaemonCouldSend) {
  json j = {{"id", "019a7f2e-5c1b-7d3a-9b2e-4f0a1c2d3e4f"},
            {"state", "waiting"},
            {"function", 5},
            {"attempt", 1e300},
            {"priority", 18446744073709551615ULL},
            {"max_retries", -9223372036854775807LL},
            {"exit_code", "zero"},
            {"run_at", "-292274998-01-01T00:00:00.000Z"},
            {"created_at", "2026-11-23T10:00:00.123Z"},
            {"started_at", 17},
            {"exec_timeout", "106751991167d"},
            {"needs", {"a", 1, nullptr}},
            {"input_size", -4},
            {"sync", "yes"},
            {"callback", {{"attempts", "many"}, {"last_status", 1e10}}}};
  auto c = call_from_json(j);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->run_at, 0);
  EXPECT_EQ(c->created_at, 1'795'428'000'123);
  EXPECT_EQ(c->priority, 0);
  EXPECT_EQ(c->attempt, 0);
  EXPECT_FALSE(c->exit_code);
  EXPECT_FALSE(c->started_at);
  EXPECT_EQ(c->exec_timeout, k_max_duration);
  EXPECT_EQ(c->needs, std::vector<std::string>{"a"});
  EXPECT_EQ(c->input_size, 0u);
  ASSERT_TRUE(c->callback);
  EXPECT_EQ(c->callback->attempts, 0);
  EXPECT_FALSE(call_from_json(json{{"id", 5}, {"state", "queued"}}).ok());
  EXPECT_FALSE(call_from_json(json{{"id", "x"}, {"state", "nope"}}).ok());
}

}  // namespace
}  // namespace fnq
