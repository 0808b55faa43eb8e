// /metrics passes promtool and has what operators need; the log has one
// line per call transition and per request error (issue: the HTTP API,
// complete, compatible and safe).
#include <regex>

#include "integration/api_support.h"

namespace fnq::test {
namespace {

class ApiMetricsTest : public ApiTest {
 protected:
  void SetUp() override { start_daemon({"--callback-backoff", "100ms"}); }
};

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST_F(ApiMetricsTest, MetricsPassPromtoolAndCoverCallsQueueDurationsCallbacksAndRequests) {
  CallbackReceiver receiver([](int n) { return n == 1 ? 503 : 200; });
  put_function("ok", {{"command", {"echo", "fine"}}});
  put_function("bad", {{"command", {"false"}}});
  put_blocking_function("block");
  std::string ok = submit({{"function", "ok"}, {"callback_url", receiver.url()}});
  std::string bad = submit({{"function", "bad"}});
  std::string running = submit({{"function", "block"}});
  ASSERT_TRUE(wait_for_state(bad, "failed"));
  ASSERT_TRUE(wait_for_state(running, "running"));
  ASSERT_TRUE(wait_until([&] { return call_json(ok)["callback"]["state"] == "delivered"; }));
  expect_error(http()->Get("/v1/calls/01a20c24-107f-7012-acfd-c5804144c57f"), 404, "unknown call");
  expect_error(http(false)->Get("/v1/calls"), 401, "missing bearer token");
  expect_error(http()->Get("/nowhere"), 404, "no such route");

  std::string text = metrics_text();
  for (const char* expected : {
           "fnq_build_info{version=\"",
           "fnq_calls{function=\"ok\",state=\"succeeded\"} 1\n",
           "fnq_calls{function=\"bad\",state=\"failed\"} 1\n",
           "fnq_calls{function=\"block\",state=\"running\"} 1\n",
           "\nfnq_queue_depth 0\n",
           "\nfnq_running 1\n",
           "fnq_calls_finished_total{function=\"bad\",state=\"failed\"} 1\n",
           "# TYPE fnq_call_duration_seconds histogram\n",
           "fnq_call_duration_seconds_bucket{function=\"ok\",le=\"+Inf\"} 1\n",
           "fnq_call_duration_seconds_count{function=\"ok\"} 1\n",
           "fnq_callback_deliveries_total{outcome=\"retry\"} 1\n",
           "fnq_callback_deliveries_total{outcome=\"delivered\"} 1\n",
           "fnq_callback_deliveries_total{outcome=\"failed\"} 0\n",
           "fnq_http_requests_total{route=\"/v1/calls\",status=\"202\"} 3\n",
           "fnq_http_requests_total{route=\"/v1/calls/{id}\",status=\"404\"} 1\n",
           "fnq_http_requests_total{route=\"auth\",status=\"401\"} 1\n",
           "fnq_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << "no " << expected << " in\n" << text;
  }
  EXPECT_EQ(text.find("fnq_host_info"), std::string::npos);  // a cluster's only
  // The allocator fnqd runs on: the C library's under a sanitizer (which
  // brings its own), jemalloc with its version in a release build.
  EXPECT_TRUE(std::regex_search(
      text,
      std::regex(
          "\nfnq_build_info\\{version=\"[^\"]+\",allocator=\"(libc|jemalloc [0-9.]+)\"\\} 1\n")))
      << text;
  release("block");

  if (run_program({"sh", "-c", "command -v promtool"}).exit_code != 0) {
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  }
  RunResult check = run_program({"promtool", "check", "metrics"}, text);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err << "\n" << text;
  EXPECT_EQ(check.out + check.err, "") << "promtool has remarks";
}

TEST_F(ApiMetricsTest, TheLogHasOneLinePerCallTransitionAndPerRequestError) {
  put_function("flaky", {{"command", {"sh", "-c", "[ \"$FNQ_ATTEMPT\" = 2 ]"}},
                         {"max_retries", 1},
                         {"retry_backoff", "10ms"}});
  std::string id = submit({{"function", "flaky"}});
  ASSERT_TRUE(wait_for_state(id, "succeeded"));
  auto sync = http()->Post("/function/flaky", "", "text/plain");  // fails once, then retries
  ASSERT_TRUE(sync);
  expect_error(http()->Get("/v1/calls/" + id + "/nope"), 404, "no such route");
  expect_error(http(false)->Get("/v1/functions"), 401, "missing bearer token");
  expect_error(http()->Post("/v1/calls", "{", "application/json"), 400, "malformed JSON body");

  std::string log = m_daemon->log();
  EXPECT_EQ(count_of(log, "call " + id + " flaky queued"), 1u) << log;
  EXPECT_EQ(count_of(log, "call " + id + " flaky attempt 1 started"), 1u) << log;
  EXPECT_EQ(count_of(log, "call " + id + " flaky attempt 1 failed: exit status 1; retry 1/1 in"),
            1u)
      << log;
  EXPECT_EQ(count_of(log, "call " + id + " flaky attempt 2 started"), 1u) << log;
  EXPECT_EQ(count_of(log, "call " + id + " flaky attempt 2 succeeded"), 1u) << log;
  EXPECT_EQ(count_of(log, "call " + id), 5u) << log;
  std::string sync_id = sync->get_header_value("X-Call-Id");
  EXPECT_EQ(count_of(log, "call " + sync_id + " flaky queued (function, sync)"), 1u) << log;
  EXPECT_EQ(count_of(log, "GET /v1/calls/" + id + "/nope from 127.0.0.1:"), 1u) << log;
  EXPECT_EQ(count_of(log, ": 404 no such route: GET /v1/calls/" + id + "/nope"), 1u) << log;
  EXPECT_EQ(count_of(log, "GET /v1/functions from 127.0.0.1:"), 1u) << log;
  EXPECT_EQ(count_of(log, ": 401 missing bearer token"), 1u) << log;
  EXPECT_EQ(count_of(log, ": 400 malformed JSON body"), 1u) << log;
}

}  // namespace
}  // namespace fnq::test
