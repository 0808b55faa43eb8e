// Retries with backoff, and `fnq retry` (issue: execution semantics in full).
#include "integration/semantics.h"

namespace fnq::test {
namespace {

using SemanticsRetryTest = SemanticsTest;

// Fails on its first two attempts. Each attempt records FNQ_ATTEMPT and the
// times it started and ended (ns), so the test can measure the backoff.
constexpr const char* k_flaky =
    "date +%s%N >> starts; echo \"$FNQ_ATTEMPT\" >> attempts; "
    "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; "
    "date +%s%N >> ends; [ $n -ge 3 ]";

std::int64_t ns_to_ms(const std::string& ns) { return std::stoll(ns) / 1'000'000; }

TEST_F(SemanticsRetryTest, FailsTwiceThenSucceedsWithDoublingBackoff) {
  start_daemon();
  add_script("flaky", k_flaky, {"--retry-backoff", "200ms"});
  std::string id = submit("flaky", {"--retries", "2"});
  RunResult r = fnq({"await", id, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json call = call_json(id);
  EXPECT_EQ(call["state"], "succeeded");
  EXPECT_EQ(call["attempt"], 3);
  EXPECT_EQ(call["max_retries"], 2);
  EXPECT_EQ(lines_of("attempts"), (std::vector<std::string>{"1", "2", "3"}));

  auto starts = lines_of("starts");
  auto ends = lines_of("ends");
  ASSERT_EQ(starts.size(), 3u);
  ASSERT_EQ(ends.size(), 3u);
  // From the end of one attempt to the start of the next: the backoff
  // (200ms, then 400ms, each +-10%), plus the daemon's own latency.
  std::int64_t wait1 = ns_to_ms(starts[1]) - ns_to_ms(ends[0]);
  std::int64_t wait2 = ns_to_ms(starts[2]) - ns_to_ms(ends[1]);
  constexpr std::int64_t k_slack = 1000;  // a loaded machine under ASan
  EXPECT_GE(wait1, 180);
  EXPECT_LE(wait1, 220 + k_slack);
  EXPECT_GE(wait2, 360);
  EXPECT_LE(wait2, 440 + k_slack);
  RecordProperty("backoff_waits_ms", std::to_string(wait1) + "," + std::to_string(wait2));
}

TEST_F(SemanticsRetryTest, EachEarlierAttemptIsKeptWithItsTimesAndExitCode) {
  start_daemon();
  // Exits 3, then 4, then succeeds.
  add_script("twice", "[ \"$FNQ_ATTEMPT\" -ge 3 ] || exit $((FNQ_ATTEMPT + 2))",
             {"--retry-backoff", "50ms"});
  std::string id = submit("twice", {"--retries", "2"});
  RunResult r = fnq({"await", id, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json call = call_json(id);
  EXPECT_EQ(call["state"], "succeeded");
  EXPECT_EQ(call["attempt"], 3);
  ASSERT_TRUE(call["attempts"].is_array()) << call.dump();
  ASSERT_EQ(call["attempts"].size(), 2u) << call.dump();
  std::int64_t previous_end = 0;
  for (int i = 0; i < 2; ++i) {
    const json& a = call["attempts"][i];
    EXPECT_EQ(a["attempt"], i + 1) << a.dump();
    EXPECT_EQ(a["state"], "failed") << a.dump();
    EXPECT_EQ(a["exit_code"], i + 3) << a.dump();
    EXPECT_EQ(a["error"], "exit status " + std::to_string(i + 3)) << a.dump();
    EXPECT_TRUE(a["signal"].is_null()) << a.dump();
    std::int64_t started = time_ms(a, "started_at");
    std::int64_t finished = time_ms(a, "finished_at");
    EXPECT_LE(previous_end, started) << a.dump();
    EXPECT_LE(started, finished) << a.dump();
    previous_end = finished;
  }
  EXPECT_LE(previous_end, time_ms(call, "started_at")) << call.dump();

  // A call that ran once has none.
  std::string once = submit("twice", {"--retries", "0"});
  fnq({"await", once, "--timeout", "20s"});
  EXPECT_FALSE(call_json(once).contains("attempts")) << call_json(once).dump();
}

TEST_F(SemanticsRetryTest, RetriesExhaustedEndsFailedWithTheLastAttemptsError) {
  start_daemon();
  add_script("fail", "echo \"$FNQ_ATTEMPT\" >> attempts; exit 3", {"--retry-backoff", "50ms"});
  std::string id = submit("fail", {"--retries", "1"});
  RunResult r = fnq({"await", id, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  json call = call_json(id);
  EXPECT_EQ(call["state"], "failed");
  EXPECT_EQ(call["attempt"], 2);
  EXPECT_EQ(call["error"], "exit status 3");
  EXPECT_EQ(lines_of("attempts"), (std::vector<std::string>{"1", "2"}));
}

TEST_F(SemanticsRetryTest, BackoffWaitsInWaitingCappedByRetryBackoffMax) {
  start_daemon({"--retry-backoff-max", "10s"});
  add_script("fail", "exit 3", {"--retry-backoff", "1h"});
  std::string id = submit("fail", {"--retries", "5"});
  json call;
  ASSERT_TRUE(wait_until([&] {
    call = call_json(id);
    return call["state"] == "waiting" && call["attempt"] == 1;
  }));
  // The attempt's outcome stays visible while the retry waits.
  EXPECT_EQ(call["error"], "exit status 3");
  EXPECT_EQ(call["exit_code"], 3);
  std::int64_t backoff = time_ms(call, "run_at") - time_ms(call, "started_at");
  EXPECT_GE(backoff, 9000) << call.dump();          // 10s - 10%
  EXPECT_LE(backoff, 11000 + 2000) << call.dump();  // 10s + 10%, and slack
  fnq_ok({"cancel", id});
  EXPECT_EQ(fnq({"await", id}).exit_code, 125);
  EXPECT_EQ(call_json(id)["attempt"], 1);
}

TEST_F(SemanticsRetryTest, TimedOutAttemptIsRetried) {
  start_daemon();
  add_script("slow_once",
             "echo \"$FNQ_ATTEMPT\" >> attempts; [ \"$FNQ_ATTEMPT\" -ge 2 ] || exec sleep 30",
             {"--exec-timeout", "300ms", "--kill-grace", "100ms", "--retry-backoff", "50ms"});
  std::string id = submit("slow_once", {"--retries", "1"});
  RunResult r = fnq({"await", id, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json call = call_json(id);
  EXPECT_EQ(call["state"], "succeeded");
  EXPECT_EQ(call["attempt"], 2);
  EXPECT_EQ(lines_of("attempts"), (std::vector<std::string>{"1", "2"}));
}

TEST_F(SemanticsRetryTest, RetryRunsAFailedCallAgainUnderTheSameId) {
  start_daemon();
  add_script("gate", "echo \"$FNQ_ATTEMPT\" >> attempts; [ -e ok ] && echo fine || exit 4");
  std::string id = submit("gate", {"--retries", "0"});
  EXPECT_EQ(fnq({"await", id}).exit_code, 4);
  EXPECT_EQ(call_json(id)["attempt"], 1);

  RunResult r = fnq({"retry", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, id.size()), id) << r.out;
  EXPECT_EQ(fnq({"await", id}).exit_code, 4);
  EXPECT_EQ(call_json(id)["attempt"], 2);

  touch("ok");
  fnq_ok({"retry", id});
  r = fnq({"await", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "fine\n");
  json call = call_json(id);
  EXPECT_EQ(call["state"], "succeeded");
  EXPECT_EQ(call["attempt"], 3);
  EXPECT_TRUE(call["error"].is_null()) << call.dump();
  EXPECT_EQ(lines_of("attempts"), (std::vector<std::string>{"1", "2", "3"}));
  // Both finished attempts that were run again are kept.
  ASSERT_EQ(call["attempts"].size(), 2u) << call.dump();
  EXPECT_EQ(call["attempts"][0]["exit_code"], 4);
  EXPECT_EQ(call["attempts"][1]["attempt"], 2);

  // A succeeded call is not run again.
  r = fnq({"retry", id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("already succeeded"), std::string::npos) << r.err;
  EXPECT_EQ(call_json(id)["attempt"], 3);
}

}  // namespace
}  // namespace fnq::test
