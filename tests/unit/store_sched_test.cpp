// Claiming, finishing (fenced), retries with backoff, requeue, recovery,
// cancel, manual retry and pruning.
#include "store_test_fixture.h"

namespace fnq::test {
namespace {

using SchedTest = StoreTest;
FNQ_STORE_TEST_BACKENDS(SchedTest);

std::vector<std::string> ids_of(const std::vector<ClaimedCall>& claimed) {
  std::vector<std::string> out;
  for (const auto& c : claimed) {
    out.push_back(c.call.id);
  }
  return out;
}

TEST_P(SchedTest, ClaimOrderIsSyncThenPriorityThenRunAtThenId) {
  NewCall low = make_call();
  NewCall old_run_at = make_call();
  old_run_at.call.run_at = k_t0 - 500;
  NewCall high = make_call();
  high.call.priority = 5;
  NewCall sync = make_call();
  sync.call.sync = true;
  sync.call.priority = -1;
  NewCall low_later_id = make_call();
  for (const NewCall& nc : {low, old_run_at, high, sync, low_later_id}) {
    submit(nc);
  }
  auto claimed = claim(k_t0, 10);
  std::vector<std::string> expected = {sync.call.id, high.call.id, old_run_at.call.id, low.call.id,
                                       low_later_id.call.id};
  EXPECT_EQ(ids_of(claimed), expected);
  for (const auto& c : claimed) {
    EXPECT_EQ(c.call.state, CallState::running);
    EXPECT_EQ(c.call.attempt, 1);
    EXPECT_EQ(c.call.started_at, std::optional<std::int64_t>(k_t0));
  }
  EXPECT_TRUE(claim().empty());
}

TEST_P(SchedTest, ClaimRespectsLimitAndReturnsInput) {
  std::string a = submit_id("fn", "in-a");
  submit_id("fn", "in-b");
  auto claimed = claim(k_t0, 1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].call.id, a);
  EXPECT_EQ(claimed[0].input, "in-a");
  EXPECT_EQ(claim(k_t0, 5).size(), 1u);
}

TEST_P(SchedTest, ClaimSkipsSaturatedFunctions) {
  submit_id("fn");
  std::string other = submit_id("other");
  auto claimed = claim(k_t0, 10, {"fn"});
  EXPECT_EQ(ids_of(claimed), std::vector<std::string>{other});
  EXPECT_EQ(claim(k_t0, 10, {"fn", "other"}).size(), 0u);
  EXPECT_EQ(claim(k_t0, 10, {}).size(), 1u);
}

TEST_P(SchedTest, FinishIsFencedByAttempt) {
  std::string id = submit_id();
  auto claimed = claim();
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_FALSE(finish(outcome(id, 2, CallState::succeeded)).applied);
  EXPECT_EQ(get(id).state, CallState::running);

  AttemptOutcome o = outcome(id, 1, CallState::succeeded, "result");
  o.stderr_tail = "warn";
  FinishResult r = finish(o);
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.terminal_ids, std::vector<std::string>{id});
  Call c = get(id);
  EXPECT_EQ(c.state, CallState::succeeded);
  EXPECT_EQ(c.exit_code, std::optional<int>(0));
  EXPECT_EQ(c.finished_at, std::optional<std::int64_t>(k_t0 + 1000));
  EXPECT_EQ(c.output_size, 6u);
  EXPECT_EQ(m_store->get_output(id).value(), "result");
  EXPECT_EQ(m_store->get_stderr(id).value(), "warn");
  // Finishing twice is not applied either.
  EXPECT_FALSE(finish(o).applied);
}

TEST_P(SchedTest, TruncatedOutputKeepsTheFullSize) {
  std::string id = submit_id();
  claim();
  AttemptOutcome o = outcome(id, 1, CallState::succeeded, "abc");
  o.output_size = 100;
  o.output_truncated = true;
  finish(o);
  Call c = get(id);
  EXPECT_EQ(c.output_size, 100u);
  EXPECT_TRUE(c.output_truncated);
}

TEST_P(SchedTest, RetryAtWaitsThenPromoteDueQueuesIt) {
  NewCall nc = make_call();
  nc.call.max_retries = 2;
  std::string id = submit(nc).id;
  claim();
  AttemptOutcome o = outcome(id, 1, CallState::failed, "partial");
  o.exit_code = 3;
  o.error = "exit status 3";
  o.retry_at = k_t0 + 5000;
  FinishResult r = finish(o);
  EXPECT_TRUE(r.applied);
  EXPECT_TRUE(r.terminal_ids.empty());
  Call c = get(id);
  EXPECT_EQ(c.state, CallState::waiting);
  EXPECT_EQ(c.run_at, k_t0 + 5000);
  EXPECT_EQ(c.error, std::optional<std::string>("exit status 3"));
  EXPECT_EQ(c.exit_code, std::optional<int>(3));
  EXPECT_FALSE(c.finished_at);
  EXPECT_EQ(m_store->get_output(id).value(), "partial");

  auto next = m_store->promote_due(k_t0 + 2000);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<std::int64_t>(k_t0 + 5000));
  EXPECT_TRUE(claim(k_t0 + 2000).empty());

  next = m_store->promote_due(k_t0 + 5000);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(*next);
  EXPECT_EQ(get(id).state, CallState::queued);
  auto claimed = claim(k_t0 + 5000);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].call.attempt, 2);
}

TEST_P(SchedTest, RetryAtRequiresAFailedOrTimedOutAttempt) {
  std::string id = submit_id();
  claim();
  AttemptOutcome o = outcome(id, 1, CallState::succeeded);
  o.retry_at = k_t0 + 5;
  EXPECT_FALSE(m_store->finish({o}).ok());
}

TEST_P(SchedTest, RequeueDoesNotCountTheAttempt) {
  std::string id = submit_id();
  claim();
  EXPECT_EQ(m_store->requeue(id, 2).error().kind, ErrorKind::conflict);
  ASSERT_TRUE(m_store->requeue(id, 1).ok());
  Call c = get(id);
  EXPECT_EQ(c.state, CallState::queued);
  EXPECT_EQ(c.attempt, 0);
  EXPECT_FALSE(c.started_at);
  EXPECT_EQ(claim().at(0).call.attempt, 1);
  EXPECT_EQ(m_store->requeue("missing", 1).error().kind, ErrorKind::not_found);
}

TEST_P(SchedTest, RecoverInterruptedRetriesOrFails) {
  NewCall with_retries = make_call();
  with_retries.call.max_retries = 1;
  NewCall without = make_call();
  submit(with_retries);
  submit(without);
  NewCall dependent = make_call();
  dependent.call.needs = {without.call.id};
  submit(dependent);
  EXPECT_EQ(claim().size(), 2u);

  auto report = m_store->recover_interrupted(k_t0 + 100);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->retried, std::vector<std::string>{with_retries.call.id});
  std::vector<std::string> failed = {without.call.id, dependent.call.id};
  EXPECT_EQ(report->failed, failed);

  Call retried = get(with_retries.call.id);
  EXPECT_EQ(retried.state, CallState::queued);
  EXPECT_EQ(retried.attempt, 1);  // the interrupted attempt counts
  Call gone = get(without.call.id);
  EXPECT_EQ(gone.state, CallState::failed);
  EXPECT_EQ(gone.error,
            std::optional<std::string>("daemon stopped while running; no retries left"));
  EXPECT_EQ(gone.finished_at, std::optional<std::int64_t>(k_t0 + 100));
  Call skipped = get(dependent.call.id);
  EXPECT_EQ(skipped.state, CallState::skipped);
  EXPECT_EQ(skipped.error, "dependency " + without.call.id + " failed");

  auto again = claim(k_t0 + 200);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].call.attempt, 2);
}

TEST_P(SchedTest, CancelInEachState) {
  NewCall waiting = make_call();
  waiting.call.run_at = k_t0 + 60000;
  submit(waiting);
  std::string running = submit_id();
  claim();
  std::string queued = submit_id();

  std::vector<std::string> terminal;
  EXPECT_EQ(m_store->cancel(queued, k_t0 + 1, &terminal).value(), CancelResult::cancelled);
  EXPECT_EQ(terminal, std::vector<std::string>{queued});
  Call c = get(queued);
  EXPECT_EQ(c.state, CallState::cancelled);
  EXPECT_EQ(c.error, std::optional<std::string>("cancelled"));
  EXPECT_EQ(c.finished_at, std::optional<std::int64_t>(k_t0 + 1));

  EXPECT_EQ(m_store->cancel(waiting.call.id, k_t0 + 2, nullptr).value(), CancelResult::cancelled);
  EXPECT_EQ(get(waiting.call.id).state, CallState::cancelled);

  EXPECT_EQ(m_store->cancel(running, k_t0 + 3, nullptr).value(), CancelResult::running);
  EXPECT_EQ(get(running).state, CallState::running);
  EXPECT_TRUE(finish(outcome(running, 1, CallState::cancelled)).applied);
  EXPECT_EQ(get(running).state, CallState::cancelled);

  EXPECT_EQ(m_store->cancel(queued, k_t0 + 4, nullptr).value(), CancelResult::already_terminal);
  EXPECT_EQ(m_store->cancel("missing", k_t0, nullptr).error().kind, ErrorKind::not_found);
}

TEST_P(SchedTest, RetryOfAFailedCallRunsOneMoreAttempt) {
  NewCall nc = make_call();
  nc.call.max_retries = 0;
  nc.call.callback = CallbackInfo{"http://127.0.0.1:9/cb", "pending", 0, std::nullopt};
  std::string id = submit(nc).id;
  run_to(id, CallState::failed, "out");
  ASSERT_TRUE(m_store->record_callback(id, "delivered", 1, 200, 0).ok());

  auto retried = m_store->retry(id, k_t0 + 5000);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(retried->state, CallState::queued);
  EXPECT_EQ(retried->run_at, k_t0 + 5000);
  EXPECT_EQ(retried->attempt, 1);
  EXPECT_EQ(retried->max_retries, 1);
  EXPECT_FALSE(retried->exit_code);
  EXPECT_FALSE(retried->error);
  EXPECT_FALSE(retried->finished_at);
  ASSERT_TRUE(retried->callback);
  EXPECT_EQ(retried->callback->state, "pending");
  EXPECT_EQ(retried->callback->attempts, 0);
  // Not due before the call has finished again.
  EXPECT_TRUE(m_store->due_callbacks(k_t0 + 99999, 10)->empty());
  EXPECT_EQ(m_store->get_output(id).value(), "");

  auto claimed = claim(k_t0 + 5000);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].call.attempt, 2);
  finish(outcome(id, 2, CallState::succeeded, "ok", k_t0 + 6000));
  EXPECT_EQ(get(id).state, CallState::succeeded);

  auto refused = m_store->retry(id, k_t0 + 7000);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_EQ(refused.error().message, "call " + id + " already succeeded");
}

TEST_P(SchedTest, RetryOfAnUnfinishedCallIsRefused) {
  std::string id = submit_id();
  claim();
  auto refused = m_store->retry(id, k_t0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "call " + id + " is still running");
}

TEST_P(SchedTest, PruneDeletesOnlyOldTerminalCalls) {
  std::string old_done = submit_id("fn", "input");
  run_to(old_done, CallState::succeeded, "out", k_t0 + 1000);
  std::string new_done = submit_id();
  run_to(new_done, CallState::failed, "", k_t0 + 9000);
  std::string queued = submit_id();
  NewCall waiting = make_call();
  waiting.call.run_at = k_t0 - 100000;  // old, but not finished
  waiting.call.needs = {queued};
  submit(waiting);

  auto pruned = m_store->prune(k_t0 + 5000, 100);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(m_store->get_call(old_done).error().kind, ErrorKind::not_found);
  EXPECT_EQ(m_store->get_output(old_done).error().kind, ErrorKind::not_found);
  EXPECT_TRUE(m_store->get_call(new_done).ok());
  EXPECT_TRUE(m_store->get_call(queued).ok());
  EXPECT_TRUE(m_store->get_call(waiting.call.id).ok());

  EXPECT_EQ(m_store->prune(k_t0 + 100000, 100).value(), 1);  // new_done
  EXPECT_EQ(m_store->prune(k_t0 + 100000, 100).value(), 0);
  EXPECT_TRUE(m_store->get_call(queued).ok());
}

TEST_P(SchedTest, PruneWorksInBatches) {
  for (int i = 0; i < 5; ++i) {
    std::string id = submit_id();
    run_to(id, CallState::succeeded, "", k_t0 + 1000 + i);
  }
  EXPECT_EQ(m_store->prune(k_t0 + 5000, 2).value(), 2);
  EXPECT_EQ(m_store->prune(k_t0 + 5000, 2).value(), 2);
  EXPECT_EQ(m_store->prune(k_t0 + 5000, 2).value(), 1);
}

TEST_P(SchedTest, CountsAndStats) {
  submit_id("fn");
  submit_id("fn");
  std::string other = submit_id("other");
  EXPECT_EQ(m_store->count_in_state(CallState::queued).value(), 3);
  auto stats = m_store->stats();
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->counts.size(), 2u);
  EXPECT_EQ(stats->counts[0],
            std::make_tuple(std::string("fn"), CallState::queued, std::int64_t{2}));
  EXPECT_EQ(stats->counts[1],
            std::make_tuple(std::string("other"), CallState::queued, std::int64_t{1}));
}

}  // namespace
}  // namespace fnq::test
