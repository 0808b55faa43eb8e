// A call's earlier attempts: kept when a failed attempt is retried, when a
// call interrupted by a restart is queued again, and when a finished call is
// retried by hand; a call that runs once keeps none.
#include "store_test_fixture.h"

namespace fnq::test {
namespace {

class AttemptsTest : public StoreTest {
 protected:
  // Claims the call (the only queued one) at `start` and fails it at `end`,
  // to be retried at once.
  void fail_and_retry(const std::string& id, std::int64_t start, std::int64_t end, int exit_code) {
    Store& store = *m_store;
    auto claimed = store.claim(start, 1, {});
    ASSERT_TRUE(claimed.ok()) << claimed.error().message;
    ASSERT_EQ(claimed->size(), 1u);
    AttemptOutcome o;
    o.id = id;
    o.attempt = claimed->at(0).call.attempt;
    o.state = CallState::failed;
    o.exit_code = exit_code;
    o.error = "exit status " + std::to_string(exit_code);
    o.finished_at = end;
    o.retry_at = end;
    auto r = store.finish({o});
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->at(0).applied);
    ASSERT_TRUE(store.promote_due(end).ok());
  }
};
FNQ_STORE_TEST_BACKENDS(AttemptsTest);

TEST_P(AttemptsTest, ACallThatRanOnceKeepsNoEarlierAttempts) {
  std::string id = submit_id();
  EXPECT_TRUE(get(id).attempts.empty());
  run_to(id, CallState::failed);
  EXPECT_TRUE(get(id).attempts.empty());
  EXPECT_FALSE(to_json(get(id)).contains("attempts"));
}

TEST_P(AttemptsTest, EachRetriedAttemptIsKeptWithItsTimesAndExit) {
  NewCall nc = make_call();
  nc.call.max_retries = 2;
  std::string id = submit(nc).id;
  ASSERT_NO_FATAL_FAILURE(fail_and_retry(id, k_t0 + 10, k_t0 + 20, 3));
  ASSERT_NO_FATAL_FAILURE(fail_and_retry(id, k_t0 + 30, k_t0 + 45, 4));
  run_to(id, CallState::succeeded, "ok", k_t0 + 60);

  Call c = get(id);
  EXPECT_EQ(c.state, CallState::succeeded);
  EXPECT_EQ(c.attempt, 3);
  ASSERT_EQ(c.attempts.size(), 2u);
  const AttemptRecord& first = c.attempts[0];
  EXPECT_EQ(first.attempt, 1);
  EXPECT_EQ(first.started_at, std::optional<std::int64_t>(k_t0 + 10));
  EXPECT_EQ(first.finished_at, std::optional<std::int64_t>(k_t0 + 20));
  EXPECT_EQ(first.state, CallState::failed);
  EXPECT_EQ(first.exit_code, std::optional<int>(3));
  EXPECT_FALSE(first.signal);
  EXPECT_EQ(first.error, std::optional<std::string>("exit status 3"));
  const AttemptRecord& second = c.attempts[1];
  EXPECT_EQ(second.attempt, 2);
  EXPECT_EQ(second.started_at, std::optional<std::int64_t>(k_t0 + 30));
  EXPECT_EQ(second.finished_at, std::optional<std::int64_t>(k_t0 + 45));
  EXPECT_EQ(second.exit_code, std::optional<int>(4));
  // The current attempt is the call's own fields, not in the history.
  EXPECT_EQ(c.exit_code, std::optional<int>(0));

  // Lists carry it too, and the API form has RFC 3339 times.
  CallFilter all;
  auto listed = m_store->list_calls(all);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->at(0).attempts.size(), 2u);
  json j = to_json(c);
  ASSERT_EQ(j["attempts"].size(), 2u);
  EXPECT_EQ(j["attempts"][0]["state"], "failed");
  EXPECT_EQ(j["attempts"][1]["exit_code"], 4);
  EXPECT_TRUE(j["attempts"][0]["started_at"].is_string());
}

TEST_P(AttemptsTest, ATimedOutAttemptKeepsItsStateAndSignal) {
  NewCall nc = make_call();
  nc.call.max_retries = 1;
  std::string id = submit(nc).id;
  auto claimed = claim(k_t0 + 5);
  ASSERT_EQ(claimed.size(), 1u);
  AttemptOutcome o = outcome(id, 1, CallState::timed_out, "", k_t0 + 500);
  o.exit_code.reset();
  o.signal = 15;
  o.error = "timed out after 0.5s";
  o.retry_at = k_t0 + 600;
  ASSERT_TRUE(finish(o).applied);
  Call c = get(id);
  EXPECT_EQ(c.state, CallState::waiting);
  ASSERT_EQ(c.attempts.size(), 1u);
  EXPECT_EQ(c.attempts[0].state, CallState::timed_out);
  EXPECT_EQ(c.attempts[0].signal, std::optional<int>(15));
  EXPECT_FALSE(c.attempts[0].exit_code);
}

TEST_P(AttemptsTest, AnInterruptedAttemptIsKeptWhenRecovered) {
  NewCall nc = make_call();
  nc.call.max_retries = 1;
  std::string id = submit(nc).id;
  ASSERT_EQ(claim(k_t0 + 5).size(), 1u);
  auto report = m_store->recover_interrupted(k_t0 + 100);
  ASSERT_TRUE(report.ok()) << report.error().message;
  Call c = get(id);
  EXPECT_EQ(c.state, CallState::queued);
  ASSERT_EQ(c.attempts.size(), 1u);
  EXPECT_EQ(c.attempts[0].attempt, 1);
  EXPECT_EQ(c.attempts[0].started_at, std::optional<std::int64_t>(k_t0 + 5));
  EXPECT_EQ(c.attempts[0].finished_at, std::optional<std::int64_t>(k_t0 + 100));
  EXPECT_EQ(c.attempts[0].state, CallState::failed);
  EXPECT_EQ(c.attempts[0].error, std::optional<std::string>("daemon stopped while running"));
}

TEST_P(AttemptsTest, AManualRetryKeepsTheFinishedAttemptOnce) {
  std::string id = submit_id();
  run_to(id, CallState::failed, "", k_t0 + 70);
  auto retried = m_store->retry(id, k_t0 + 100);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  ASSERT_EQ(retried->attempts.size(), 1u);
  EXPECT_EQ(retried->attempts[0].attempt, 1);
  EXPECT_EQ(retried->attempts[0].state, CallState::failed);
  EXPECT_EQ(retried->attempts[0].started_at, std::optional<std::int64_t>(k_t0 + 69));
  EXPECT_EQ(retried->attempts[0].finished_at, std::optional<std::int64_t>(k_t0 + 70));
  EXPECT_EQ(retried->attempts[0].exit_code, std::optional<int>(1));
  EXPECT_FALSE(retried->started_at);

  run_to(id, CallState::failed, "", k_t0 + 200);
  Call twice = m_store->retry(id, k_t0 + 300).value();
  ASSERT_EQ(twice.attempts.size(), 2u);
  EXPECT_EQ(twice.attempts[1].attempt, 2);
  EXPECT_EQ(twice.attempts[1].finished_at, std::optional<std::int64_t>(k_t0 + 200));
}

TEST_P(AttemptsTest, ACallCancelledWhileWaitingToRetryKeepsItsAttemptOnce) {
  NewCall nc = make_call();
  nc.call.max_retries = 1;
  std::string id = submit(nc).id;
  claim(k_t0 + 5);
  AttemptOutcome o = outcome(id, 1, CallState::failed, "", k_t0 + 50);
  o.retry_at = k_t0 + 60'000;
  ASSERT_TRUE(finish(o).applied);
  std::vector<std::string> terminal;
  ASSERT_EQ(m_store->cancel(id, k_t0 + 100, &terminal).value(), CancelResult::cancelled);
  Call retried = m_store->retry(id, k_t0 + 200).value();
  ASSERT_EQ(retried.attempts.size(), 1u);
  EXPECT_EQ(retried.attempts[0].finished_at, std::optional<std::int64_t>(k_t0 + 50));
}

TEST_P(AttemptsTest, ACallThatNeverRanKeepsNothingWhenRetried) {
  std::string id = submit_id();
  std::vector<std::string> terminal;
  ASSERT_EQ(m_store->cancel(id, k_t0 + 1, &terminal).value(), CancelResult::cancelled);
  Call retried = m_store->retry(id, k_t0 + 2).value();
  EXPECT_TRUE(retried.attempts.empty());
}

}  // namespace
}  // namespace fnq::test
