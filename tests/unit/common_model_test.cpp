#include <gtest/gtest.h>

#include "common/ids.h"
#include "common/model.h"
#include "common/timeutil.h"

namespace fnq {
namespace {

TEST(FunctionName, FollowsTheSpecPattern) {
  EXPECT_TRUE(is_valid_function_name("resize"));
  EXPECT_TRUE(is_valid_function_name("a"));
  EXPECT_TRUE(is_valid_function_name("0x_y.z-w"));
  EXPECT_TRUE(is_valid_function_name(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_function_name(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_function_name(""));
  EXPECT_FALSE(is_valid_function_name("Resize"));
  EXPECT_FALSE(is_valid_function_name("-x"));
  EXPECT_FALSE(is_valid_function_name("a/b"));
  EXPECT_FALSE(is_valid_function_name("a b"));
}

TEST(FunctionJson, RoundTripsEveryField) {
  json in = json::parse(R"({
    "name": "resize", "command": ["convert", "-", "png:-"], "env": {"A": "1"},
    "workdir": "/srv", "exec_timeout": "30s", "write_timeout": 60000, "kill_grace": "5s",
    "concurrency": 2, "max_retries": 3, "retry_backoff": "2s", "max_output": "4MiB",
    "callback_url": "http://127.0.0.1:9000/done"})");
  auto f = function_from_json(in);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->write_timeout->count(), 60000);
  EXPECT_EQ(*f->max_output, 4u << 20);
  json out = to_json(*f);
  EXPECT_EQ(out["write_timeout"], "1m");
  EXPECT_EQ(out["max_output"], "4MiB");
  auto again = function_from_json(out);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(to_json(*again), out);
}

TEST(FunctionJson, OnlyNameAndCommandRequired) {
  auto f = function_from_json(json::parse(R"({"name": "x", "command": ["true"]})"));
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->exec_timeout);
  EXPECT_FALSE(f->concurrency);
}

TEST(FunctionJson, ErrorsNameTheField) {
  struct Case {
    const char* text;
    const char* field;
  } cases[] = {
      {R"({"command": ["x"]})", "name:"},
      {R"({"name": "Bad", "command": ["x"]})", "name:"},
      {R"({"name": "x"})", "command:"},
      {R"({"name": "x", "command": []})", "command:"},
      {R"({"name": "x", "command": "ls -l"})", "command:"},
      {R"({"name": "x", "command": ["x"], "exec_timeout": "soon"})", "exec_timeout:"},
      {R"({"name": "x", "command": ["x"], "concurrency": -1})", "concurrency:"},
      {R"({"name": "x", "command": ["x"], "max_output": "lots"})", "max_output:"},
      {R"({"name": "x", "command": ["x"], "env": {"A": 1}})", "env.A:"},
      {R"({"name": "x", "command": ["x"], "colour": "red"})", "colour:"},
      // exec and the environment would cut these at the NUL.
      {R"({"name": "x", "command": ["true\u0000x"]})", "command:"},
      {R"({"name": "x", "command": ["x"], "env": {"A": "p\u0000q"}})", "env.A"},
      {R"({"name": "x", "command": ["x"], "env": {"A\u0000B": "v"}})", "env.A"},
      {R"({"name": "x", "command": ["x"], "workdir": "/tmp\u0000/x"})", "workdir:"},
  };
  for (const auto& c : cases) {
    auto f = function_from_json(json::parse(c.text));
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_EQ(f.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(f.error().message.rfind(c.field, 0), 0u) << f.error().message;
  }
}

// A definition stored before NUL bytes were refused still loads (fnqd must
// start), cut where exec cut it when it ran.
TEST(FunctionJson, AStoredDefinitionWithNulBytesLoadsCutAtThem) {
  auto f = stored_function_from_json(json::parse(
      R"({"name": "x", "command": ["true\u0000x", "a"], "env": {"A": "p\u0000q", "B\u0000C": "v"},
          "workdir": "/tmp\u0000/x"})"));
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->command, (std::vector<std::string>{"true", "a"}));
  EXPECT_EQ(f->env.at("A"), "p");
  EXPECT_EQ(f->env.at("B"), "v");
  EXPECT_EQ(f->workdir, "/tmp");
}

TEST(CallJson, RoundTrips) {
  Call c;
  c.id = new_call_id();
  c.function = "resize";
  c.state = CallState::succeeded;
  c.attempt = 2;
  c.max_retries = 3;
  c.exit_code = 0;
  c.priority = 5;
  c.key = "k1";
  c.needs = {new_call_id()};
  c.input_from = c.needs[0];
  c.created_at = 1'795'428'000'123;
  c.run_at = c.created_at;
  c.started_at = c.created_at + 10;
  c.finished_at = c.created_at + 22;
  c.input_size = 2048;
  c.output_size = 1024;
  c.callback = CallbackInfo{"http://127.0.0.1:9/x", "delivered", 1, 200};
  json j = to_json(c);
  EXPECT_EQ(j["state"], "succeeded");
  EXPECT_EQ(j["duration_ms"], 12);
  EXPECT_EQ(j["created_at"], "2026-11-23T10:00:00.123Z");
  EXPECT_TRUE(j["signal"].is_null());
  auto back = call_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(to_json(*back), j);
  EXPECT_FALSE(j.contains("attempts"));  // none kept: no field

  AttemptRecord first;
  first.attempt = 1;
  first.started_at = c.created_at + 1;
  first.finished_at = c.created_at + 5;
  first.state = CallState::timed_out;
  first.signal = 9;
  first.error = "timed out";
  c.attempts = {first};
  j = to_json(c);
  ASSERT_EQ(j["attempts"].size(), 1u);
  EXPECT_EQ(j["attempts"][0],
            json::parse(R"({"attempt": 1, "started_at": "2026-11-23T10:00:00.124Z",
      "finished_at": "2026-11-23T10:00:00.128Z", "state": "timed_out", "exit_code": null,
      "signal": 9, "error": "timed out"})"));
  back = call_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(to_json(*back), j);
}

// The request a call keeps is read leniently: a field of the wrong type
// keeps its default instead of throwing (found by fuzz_model).
TEST(RequestInfoJson, FieldsOfTheWrongTypeKeepTheirDefaults) {
  RequestInfo r = request_info_from_json(
      json{{"method", 7},
           {"path", {{"X-A", "b"}}},
           {"query", json::array()},
           {"headers", json::array({json::array({"X-Ok", "yes"}), json::array({"X-No", 1})})}});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "");
  EXPECT_EQ(r.query, "");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "X-Ok");
  RequestInfo ok =
      request_info_from_json(json{{"method", "PUT"}, {"path", "/a"}, {"query", "x=1"}});
  EXPECT_EQ(ok.method, "PUT");
  EXPECT_EQ(ok.path, "/a");
  EXPECT_EQ(ok.query, "x=1");
}

TEST(CallState, NamesAndTerminality) {
  for (int i = 0; i <= static_cast<int>(CallState::skipped); ++i) {
    auto s = static_cast<CallState>(i);
    EXPECT_EQ(parse_call_state(to_string(s)), s);
  }
  EXPECT_FALSE(parse_call_state("done"));
  EXPECT_FALSE(is_terminal(CallState::running));
  EXPECT_TRUE(is_terminal(CallState::skipped));
}

}  // namespace
}  // namespace fnq
