// Ranges of durations, times, sizes and integers, and numbers JSON cannot
// hold, through the real HTTP API, the real fnq and the real fnqd's flags:
// each refused with a 400 / exit 65 / startup error naming the field and the
// range, never wrapped, never a 500.
#include "integration/api_support.h"
#include "integration/cli_support.h"

namespace fnq::test {
namespace {

using RangesApiTest = ApiTest;
using RangesCliTest = CliTest;

constexpr const char* k_duration_range = "is out of range (durations are 0 to 3650d)";

httplib::Result post_json(httplib::Client& c, const std::string& path, const std::string& body) {
  return c.Post(path, body, "application/json");
}

TEST_F(RangesApiTest, AHugeDelayIs400AndTheLongestOneIsKeptInRange) {
  put_function("echo", {{"command", {"cat"}}});
  auto h = http();
  expect_error(post_json(*h, "/v1/calls", R"({"function": "echo", "delay": "106751991167d"})"), 400,
               std::string("delay: '106751991167d' ") + k_duration_range);
  expect_error(post_json(*h, "/v1/calls", R"({"function": "echo", "delay": 9223372036854775807})"),
               400, "delay: '9223372036854775807' is out of range");
  expect_error(post_json(*h, "/v1/calls", R"({"function": "echo", "delay": "3651d"})"), 400,
               "delay: '3651d' is out of range");
  httplib::Headers header = {{"X-Fnq-Delay", "106751991167d"}};
  expect_error(h->Post("/async-function/echo", header, "x", "text/plain"), 400,
               std::string("X-Fnq-Delay: '106751991167d' ") + k_duration_range);
  for (const char* priority : {"1000000001", "9223372036854775808", "-18446744073709551615"}) {
    httplib::Headers p = {{"X-Fnq-Priority", priority}};
    expect_error(h->Post("/async-function/echo", p, "x", "text/plain"), 400,
                 "X-Fnq-Priority: expected an integer from -1000000000 to 1000000000");
  }
  json longest =
      expect_json(post_json(*h, "/v1/calls", R"({"function": "echo", "delay": "3650d"})"), 202);
  EXPECT_EQ(longest["state"], "waiting");
  EXPECT_EQ(longest["run_at"].get<std::string>().substr(0, 2), "20");
  // Every call reads back, through the API and fnq.
  json list = expect_json(h->Get("/v1/calls"), 200);
  EXPECT_EQ(list["calls"].size(), 1u);
  EXPECT_EQ(fnq({"list"}).exit_code, 0);
  EXPECT_EQ(fnq({"status", longest["id"]}).exit_code, 0);
}

TEST_F(RangesApiTest, HugeFunctionDurationsAre400) {
  auto h = http();
  for (const char* field : {"exec_timeout", "write_timeout", "kill_grace", "retry_backoff"}) {
    json def = {{"name", "f"}, {"command", {"true"}}, {field, "106751991167d"}};
    expect_error(h->Put("/v1/functions/f", def.dump(), "application/json"), 400,
                 std::string(field) + ": '106751991167d' " + k_duration_range);
  }
  json big_output = {{"name", "f"}, {"command", {"true"}}, {"max_output", "2TiB"}};
  expect_error(h->Put("/v1/functions/f", big_output.dump(), "application/json"), 400,
               "max_output: '2TiB' is out of range (sizes are 0 to 1TiB)");
  put_function("echo", {{"command", {"cat"}}});
  expect_error(post_json(*h, "/v1/calls", R"({"function": "echo", "exec_timeout": "9999999d"})"),
               400, "exec_timeout: '9999999d' is out of range");
}

TEST_F(RangesApiTest, PrioritiesOutOfRangeAreRefusedNotWrapped) {
  put_function("echo", {{"command", {"cat"}}});
  auto h = http();
  const std::string range = "priority: expected an integer from -1000000000 to 1000000000, got ";
  for (const char* p : {"9223372036854775808", "18446744073709551615", "-9223372036854775808",
                        "1000000001", "1.5"}) {
    expect_error(
        post_json(*h, "/v1/calls", std::string(R"({"function": "echo", "priority": )") + p + "}"),
        400, range + p);
  }
  json edge = expect_json(
      post_json(*h, "/v1/calls", R"({"function": "echo", "priority": -1000000000, "delay": "1h"})"),
      202);
  EXPECT_EQ(edge["priority"], -1000000000);
  httplib::Headers header = {{"X-Fnq-Priority", "9223372036854775808"}};
  expect_error(h->Post("/async-function/echo", header, "x", "text/plain"), 400, "X-Fnq-Priority:");
}

TEST_F(RangesApiTest, ANumberPastADoubleIs400NamingTheFieldNot500) {
  put_function("echo", {{"command", {"cat"}}});
  auto h = http();
  std::string msg =
      expect_error(post_json(*h, "/v1/calls", R"({"function": "echo", "priority": 1e309})"), 400,
                   "priority: 1e309 is out of range");
  EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
  expect_error(post_json(*h, "/v1/await", R"({"ids": [], "timeout": 1e309})"), 400, "timeout:");
  expect_error(h->Put("/v1/functions/f", R"({"command": ["true"], "concurrency": -1e999})",
                      "application/json"),
               400, "concurrency:");
  expect_error(post_json(*h, "/v1/prune", R"({"older_than": 1e400})"), 400, "older_than:");
}

TEST_F(RangesApiTest, AwaitOutputMustBeABoolean) {
  put_function("echo", {{"command", {"cat"}}});
  std::string id = submit({{"function", "echo"}, {"delay", "1h"}});
  auto h = http();
  for (const char* bad : {"\"yes\"", "1", "{}"}) {
    std::string body = R"({"ids": [")" + id + R"("], "timeout": 0, "output": )" + bad + "}";
    expect_error(post_json(*h, "/v1/await", body), 400,
                 std::string("output: expected true or false, got ") + bad);
  }
  expect_error(post_json(*h, "/v1/await", R"({"ids": [], "colour": 1})"), 400,
               "colour: unknown field");
  expect_error(post_json(*h, "/v1/await", R"({"ids": [], "timeout": "3651d"})"), 400,
               "timeout: '3651d' is out of range");
  json ok = expect_json(
      post_json(*h, "/v1/await", R"({"ids": [")" + id + R"("], "timeout": 0, "output": false})"),
      200);
  EXPECT_EQ(ok["done"], false);
}

TEST_F(RangesApiTest, RunAtMustBeARealDateWithin3650DaysOfNow) {
  put_function("echo", {{"command", {"cat"}}});
  auto h = http();
  for (const char* bad : {"2027-02-30T00:00:00Z", "2027-01-01T24:00:00Z", "2027-01-01T23:59:60Z",
                          "2027-01-01T10:00:00+99:99", "2027-13-01T00:00:00Z"}) {
    json body = {{"function", "echo"}, {"run_at", bad}};
    expect_error(post_json(*h, "/v1/calls", body.dump()), 400, "run_at: invalid time");
  }
  for (const char* far : {"9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"}) {
    json body = {{"function", "echo"}, {"run_at", far}};
    expect_error(
        post_json(*h, "/v1/calls", body.dump()), 400,
        std::string("run_at: '") + far + "' is out of range (a run_at is within 3650d of now)");
  }
}

TEST_F(RangesApiTest, WaitParameterIsInRange) {
  put_function("echo", {{"command", {"cat"}}});
  std::string id = submit({{"function", "echo"}, {"delay", "1h"}});
  expect_error(http()->Get("/v1/calls/" + id + "?wait=106751991167d"), 400,
               std::string("wait: '106751991167d' ") + k_duration_range);
}

TEST_F(RangesCliTest, DurationsOutOfRangeExit65WithTheRange) {
  add_function("ok", {"true"});
  std::vector<std::vector<std::string>> cases = {
      {"submit", "ok", "--delay", "106751991167d"},
      {"submit", "ok", "--delay", "99999999999999999999d"},
      {"submit", "ok", "--timeout", "3651d"},
      {"await", "--timeout", "3651d", "019a7f2e-5c1b-7d3a-9b2e-4f0a1c2d3e4f"},
      {"prune", "--older-than", "3651d"},
      {"fn", "add", "big", "--exec-timeout", "106751991167d", "--", "true"},
      {"fn", "add", "big", "--kill-grace", "3651d", "--", "true"},
  };
  for (const auto& args : cases) {
    RunResult r = expect_exit(65, args);
    EXPECT_NE(r.err.find(k_duration_range), std::string::npos) << command_line(args) << r.err;
  }
  RunResult size = expect_exit(65, {"fn", "add", "big", "--max-output", "2TiB", "--", "true"});
  EXPECT_NE(size.err.find("sizes are 0 to 1TiB"), std::string::npos) << size.err;
  expect_exit(64, {"submit", "ok", "--delay", "soon"});
}

TEST_F(RangesCliTest, TimesAndIntegersOutOfRangeExit65WithTheRange) {
  add_function("ok", {"true"});
  struct Case {
    std::vector<std::string> args;
    const char* says;
  } cases[] = {
      {{"submit", "ok", "--at", "2027-02-30T00:00:00Z"}, "no such date"},
      {{"submit", "ok", "--at", "2027-01-01T10:00:00+99:99"}, "no such date, time or offset"},
      {{"submit", "ok", "--at", "9999-12-31T00:00:00Z"}, "a run_at is within 3650d of now"},
      {{"submit", "ok", "--priority", "1000000001"}, "from -1000000000 to 1000000000"},
      {{"submit", "ok", "--retries", "1001"}, "from 0 to 1000"},
      {{"submit", "ok", "--retries", "-1"}, "from 0 to 1000"},
      {{"fn", "add", "c", "--concurrency", "-1", "--", "true"}, "from 0 to 1000000"},
  };
  for (const auto& c : cases) {
    RunResult r = expect_exit(65, c.args);
    EXPECT_NE(r.err.find(c.says), std::string::npos) << command_line(c.args) << "\n" << r.err;
  }
  expect_exit(64, {"submit", "ok", "--at", "tomorrow"});
  std::string edge = fnq_ok({"submit", "ok", "--delay", "3650d", "--priority", "1000000000"});
  EXPECT_EQ(call_json(edge)["priority"], 1000000000);
}

TEST_F(RangesCliTest, FnqdRefusesToStartWithAFlagOutOfRange) {
  for (const char* flag : {"--exec-timeout", "--write-timeout", "--kill-grace"}) {
    RunResult r = run_program(
        {FNQD_BIN, "--state-dir", file("other"), "--listen", "127.0.0.1:0", flag, "106751991167d"});
    EXPECT_NE(r.exit_code, 0) << flag;
    EXPECT_NE(r.err.find(std::string(flag) + ": '106751991167d' " + k_duration_range),
              std::string::npos)
        << r.err;
  }
}

}  // namespace
}  // namespace fnq::test
