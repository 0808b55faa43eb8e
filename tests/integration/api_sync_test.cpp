// The sync OpenFaaS route by call outcome, and the watchdog's environment
// (issue: the HTTP API, complete, compatible and safe).
#include <cstdlib>
#include <set>
#include <sstream>

#include "integration/api_support.h"

namespace fnq::test {
namespace {

using ApiSyncTest = ApiTest;

// Status, body and the headers every finished sync answer carries.
void expect_finished(const httplib::Result& res, int status, const std::string& state,
                     const std::string& body) {
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_EQ(res->body, body);
  EXPECT_EQ(res->get_header_value("X-Call-Id").size(), 36u);
  EXPECT_EQ(res->get_header_value("X-Fnq-State"), state);
  EXPECT_FALSE(res->get_header_value("X-Fnq-Version").empty());
  std::string secs = res->get_header_value("X-Duration-Seconds");
  ASSERT_FALSE(secs.empty());
  EXPECT_GE(std::strtod(secs.c_str(), nullptr), 0.0);
}

TEST_F(ApiSyncTest, SucceededIs200WithTheOutput) {
  put_function("shout", {{"command", {"sh", "-c", "tr a-z A-Z; printf '!'"}}});
  auto res = http()->Post("/function/shout", "hello", "text/plain");
  expect_finished(res, 200, "succeeded", "HELLO!");
  EXPECT_EQ(res->get_header_value("X-Exit-Code"), "0");
  EXPECT_EQ(state_of(res->get_header_value("X-Call-Id")), "succeeded");
  // Every method the route takes runs the function.
  expect_finished(http()->Get("/function/shout/any/path"), 200, "succeeded", "!");
  expect_finished(http()->Put("/function/shout", "put", "text/plain"), 200, "succeeded", "PUT!");
  expect_finished(http()->Delete("/function/shout"), 200, "succeeded", "!");
}

TEST_F(ApiSyncTest, FailedIs500WithTheOutputAndExitCode) {
  put_function("fail", {{"command", {"sh", "-c", "echo partial; exit 3"}}});
  auto res = http()->Post("/function/fail", "", "text/plain");
  expect_finished(res, 500, "failed", "partial\n");
  EXPECT_EQ(res->get_header_value("X-Exit-Code"), "3");
}

TEST_F(ApiSyncTest, TimedOutIs504) {
  put_function("slow", {{"command", {"sleep", "30"}}, {"exec_timeout", "300ms"}});
  auto res = http()->Post("/function/slow", "", "text/plain");
  expect_finished(res, 504, "timed_out", "");
  EXPECT_EQ(res->get_header_value("X-Exit-Code"), "143");  // 128 + SIGTERM
}

TEST_F(ApiSyncTest, SkippedIs409WithoutExitCode) {
  put_function("fail", {{"command", {"false"}}});
  put_function("next", {{"command", {"echo", "never"}}});
  std::string failed = submit({{"function", "fail"}});
  ASSERT_TRUE(wait_for_state(failed, "failed"));
  httplib::Headers needs = {{"X-Fnq-Needs", failed}};
  auto res = http()->Post("/function/next", needs, "", "text/plain");
  expect_finished(res, 409, "skipped", "");
  EXPECT_FALSE(res->has_header("X-Exit-Code"));
}

TEST_F(ApiSyncTest, CancelledWhileWaitingIs409) {
  put_blocking_function("block");
  std::optional<httplib::Result> res;
  std::thread caller([&] { res.emplace(http()->Post("/function/block", "", "text/plain")); });
  std::string id;
  ASSERT_TRUE(wait_until([&] {
    json list = expect_json(http()->Get("/v1/calls?function=block&state=running"), 200);
    if (list.is_object() && !list["calls"].empty()) {
      id = list["calls"][0]["id"];
    }
    return !id.empty();
  }));
  expect_json(http()->Post("/v1/calls/" + id + "/cancel", "", "text/plain"), 200);
  caller.join();
  ASSERT_TRUE(res);
  expect_finished(*res, 409, "cancelled", "");
  EXPECT_EQ((*res)->get_header_value("X-Call-Id"), id);
}

TEST_F(ApiSyncTest, WriteTimeoutPassingFirstIs202WithTheId) {
  put_blocking_function("block", {{"write_timeout", "300ms"}});
  auto res = http()->Post("/function/block", "", "text/plain");
  json body = expect_json(res, 202);
  std::string id = res->get_header_value("X-Call-Id");
  EXPECT_EQ(body["id"], id);
  EXPECT_TRUE(body["state"] == "queued" || body["state"] == "running") << body;
  EXPECT_FALSE(res->has_header("X-Exit-Code"));
  release("block");  // the call goes on and finishes
  json done = expect_json(http()->Get("/v1/calls/" + id + "?wait=20s"), 200);
  EXPECT_EQ(done["state"], "succeeded");
}

// Only the daemon's basics, the function's env, fnq's and the watchdog's.
void expect_only_allowed_vars(const std::map<std::string, std::string>& vars) {
  const std::set<std::string> allowed = {"PATH",     "HOME",        "LANG",         "TZ",
                                         "GREETING", "FNQ_CALL_ID", "FNQ_FUNCTION", "FNQ_ATTEMPT"};
  for (const auto& [k, v] : vars) {
    EXPECT_TRUE(allowed.count(k) || k.rfind("Http_", 0) == 0) << "unexpected variable " << k;
  }
}

TEST_F(ApiSyncTest, FunctionSeesTheWatchdogEnvironmentAndNothingElse) {
  // The daemon inherits this; the function must not.
  ::setenv("FNQ_TEST_DAEMON_SECRET", "daemon-secret", 1);
  start_daemon();
  ::unsetenv("FNQ_TEST_DAEMON_SECRET");
  put_function("printenv", {{"command", {"env"}}, {"env", {{"GREETING", "hi"}}}});
  httplib::Headers headers = {{"X-Custom-Header", "custom value"}};
  auto res = http()->Post("/function/printenv/some/path?x=1&y=2", headers, "input", "text/plain");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto vars = parse_env(res->body);
  EXPECT_EQ(vars["Http_Method"], "POST");
  EXPECT_EQ(vars["Http_Path"], "/some/path");
  EXPECT_EQ(vars["Http_Query"], "x=1&y=2");
  EXPECT_EQ(vars["Http_Content_Type"], "text/plain");
  EXPECT_EQ(vars["Http_X_Custom_Header"], "custom value");
  EXPECT_EQ(vars["Http_Content_Length"], "5");
  EXPECT_EQ(vars["FNQ_CALL_ID"], res->get_header_value("X-Call-Id"));
  EXPECT_EQ(vars["FNQ_FUNCTION"], "printenv");
  EXPECT_EQ(vars["FNQ_ATTEMPT"], "1");
  EXPECT_EQ(vars["GREETING"], "hi");
  EXPECT_FALSE(vars["PATH"].empty());
  for (const char* hidden : {"Http_Authorization", "Http_Remote_Addr", "Http_Remote_Port",
                             "Http_Local_Addr", "Http_Local_Port", "FNQ_TEST_DAEMON_SECRET"}) {
    EXPECT_EQ(vars.count(hidden), 0u) << hidden << " reached the function";
  }
  expect_only_allowed_vars(vars);

  res = http()->Get("/function/printenv");
  ASSERT_TRUE(res);
  vars = parse_env(res->body);
  EXPECT_EQ(vars["Http_Method"], "GET");
  EXPECT_EQ(vars["Http_Path"], "");
  EXPECT_EQ(vars.count("Http_Query"), 0u);  // only when non-empty
}

TEST_F(ApiSyncTest, NothingFromTheSubmittingClientsEnvironmentReachesTheFunction) {
  put_function("printenv", {{"command", {"env"}}});
  RunResult r = fnq({"invoke", "printenv", "-H", "X-From-Cli: yes"}, {},
                    {{"FNQ_TEST_CLIENT_SECRET", "client-secret"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto vars = parse_env(r.out);
  EXPECT_EQ(vars["Http_X_From_Cli"], "yes");
  EXPECT_EQ(vars["FNQ_FUNCTION"], "printenv");
  EXPECT_EQ(r.out.find("client-secret"), std::string::npos) << r.out;
  expect_only_allowed_vars(vars);
}

}  // namespace
}  // namespace fnq::test
