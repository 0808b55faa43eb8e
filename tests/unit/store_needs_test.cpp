// Dependencies (needs, input_from), callbacks and deleting functions.
#include "store_test_fixture.h"

namespace fnq::test {
namespace {

using NeedsTest = StoreTest;
FNQ_STORE_TEST_BACKENDS(NeedsTest);

NewCall needing(std::vector<std::string> needs) {
  NewCall nc = make_call();
  nc.call.needs = std::move(needs);
  return nc;
}

TEST_P(NeedsTest, DependentWaitsAndIsReleasedWhenAllNeedsSucceed) {
  std::string a = submit_id();
  std::string b = submit_id();
  Call d = submit(needing({a, b}));
  EXPECT_EQ(d.state, CallState::waiting);
  EXPECT_EQ(d.needs, (std::vector<std::string>{a, b}));

  auto claimed = claim(k_t0, 10);
  ASSERT_EQ(claimed.size(), 2u);  // the dependent is not claimable
  FinishResult first = finish(outcome(a, 1, CallState::succeeded));
  EXPECT_FALSE(first.released);
  EXPECT_EQ(get(d.id).state, CallState::waiting);
  FinishResult second = finish(outcome(b, 1, CallState::succeeded));
  EXPECT_TRUE(second.released);
  EXPECT_EQ(second.terminal_ids, std::vector<std::string>{b});
  EXPECT_EQ(get(d.id).state, CallState::queued);
  EXPECT_EQ(claim().at(0).call.id, d.id);
}

TEST_P(NeedsTest, ReleasedDependentWaitsForItsRunAt) {
  std::string a = submit_id();
  NewCall nc = needing({a});
  nc.call.run_at = k_t0 + 60000;
  std::string d = submit(nc).id;
  run_to(a, CallState::succeeded);
  EXPECT_EQ(get(d).state, CallState::waiting);
  EXPECT_EQ(m_store->promote_due(k_t0 + 2000).value(), std::optional<std::int64_t>(k_t0 + 60000));
  m_store->promote_due(k_t0 + 60000).value();
  EXPECT_EQ(get(d).state, CallState::queued);
}

TEST_P(NeedsTest, FailureSkipsDependentsTransitively) {
  std::string a = submit_id();
  std::string b = submit(needing({a})).id;
  std::string c = submit(needing({b})).id;
  std::string unrelated = submit(needing({})).id;

  auto claimed = claim(k_t0, 1);
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_EQ(claimed[0].call.id, a);
  FinishResult r = finish(outcome(a, 1, CallState::timed_out, "", k_t0 + 777));
  std::vector<std::string> expected = {a, b, c};
  EXPECT_EQ(r.terminal_ids, expected);

  Call cb = get(b);
  EXPECT_EQ(cb.state, CallState::skipped);
  EXPECT_EQ(cb.error, "dependency " + a + " timed_out");
  EXPECT_EQ(cb.finished_at, std::optional<std::int64_t>(k_t0 + 777));
  Call cc = get(c);
  EXPECT_EQ(cc.state, CallState::skipped);
  EXPECT_EQ(cc.error, "dependency " + b + " skipped");
  EXPECT_EQ(get(unrelated).state, CallState::queued);
}

TEST_P(NeedsTest, NeedingAnAlreadyFailedCallIsSkippedAtSubmit) {
  std::string a = submit_id();
  run_to(a, CallState::failed);
  NewCall nc = needing({a});
  nc.call.callback = CallbackInfo{"http://127.0.0.1:9/cb", "pending", 0, std::nullopt};
  Call d = submit(nc);
  EXPECT_EQ(d.state, CallState::skipped);
  EXPECT_EQ(d.error, "dependency " + a + " failed");
  EXPECT_EQ(d.finished_at, std::optional<std::int64_t>(k_t0));
  // A call that ends at once still gets its callback.
  auto due = m_store->due_callbacks(k_t0, 10).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, d.id);
}

TEST_P(NeedsTest, NeedingSucceededCallsQueuesAtOnce) {
  std::string a = submit_id();
  run_to(a, CallState::succeeded);
  EXPECT_EQ(submit(needing({a})).state, CallState::queued);
}

TEST_P(NeedsTest, UnknownNeedIsNotFound) {
  auto r = m_store->submit({needing({"019a0000-0000-7000-8000-000000000001"})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  NewCall nc = make_call();
  nc.call.input_from = "019a0000-0000-7000-8000-000000000002";
  auto r2 = m_store->submit({nc});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().message,
            "unknown call '019a0000-0000-7000-8000-000000000002' in input_from");
}

TEST_P(NeedsTest, InputFromCopiesOutputWhenTheDependencyFinishesLater) {
  std::string a = submit_id();
  NewCall nc = make_call();
  nc.call.input_from = a;
  Call d = submit(nc);
  EXPECT_EQ(d.state, CallState::waiting);
  EXPECT_EQ(d.needs, std::vector<std::string>{a});  // input_from implies needs
  EXPECT_EQ(d.input_from, std::optional<std::string>(a));
  run_to(a, CallState::succeeded, "the output");
  EXPECT_EQ(m_store->get_input(d.id).value(), "the output");
  EXPECT_EQ(get(d.id).input_size, 10u);
  auto claimed = claim(k_t0 + 2000);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].input, "the output");
}

TEST_P(NeedsTest, InputFromCopiesOutputOfAnAlreadySucceededCall) {
  std::string a = submit_id();
  run_to(a, CallState::succeeded, "done before");
  NewCall nc = make_call();
  nc.call.input_from = a;
  Call d = submit(nc);
  EXPECT_EQ(d.state, CallState::queued);
  EXPECT_EQ(d.input_size, 11u);
  EXPECT_EQ(m_store->get_input(d.id).value(), "done before");
}

TEST_P(NeedsTest, CancelSkipsDependents) {
  std::string a = submit_id();
  std::string b = submit(needing({a})).id;
  std::vector<std::string> terminal;
  EXPECT_EQ(m_store->cancel(a, k_t0 + 5, &terminal).value(), CancelResult::cancelled);
  EXPECT_EQ(terminal, (std::vector<std::string>{a, b}));
  EXPECT_EQ(get(b).error, "dependency " + a + " cancelled");
}

TEST_P(NeedsTest, RetryOfASkippedCallWaitsForItsRetriedNeed) {
  std::string a = submit_id();
  NewCall nc = make_call();
  nc.call.input_from = a;
  std::string b = submit(nc).id;
  run_to(a, CallState::failed);
  EXPECT_EQ(get(b).state, CallState::skipped);

  auto refused = m_store->retry(b, k_t0 + 2000);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);

  ASSERT_TRUE(m_store->retry(a, k_t0 + 2000).ok());
  auto retried = m_store->retry(b, k_t0 + 2000);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(retried->state, CallState::waiting);
  run_to(a, CallState::succeeded, "second try", k_t0 + 3000);
  EXPECT_EQ(get(b).state, CallState::queued);
  EXPECT_EQ(m_store->get_input(b).value(), "second try");
}

TEST_P(NeedsTest, CallbacksBecomeDueWhenTheCallEnds) {
  NewCall nc = make_call();
  nc.call.callback = CallbackInfo{"http://127.0.0.1:9/cb", "pending", 0, std::nullopt};
  std::string id = submit(nc).id;
  EXPECT_TRUE(m_store->due_callbacks(k_t0 + 100000, 10)->empty());
  EXPECT_FALSE(m_store->next_callback_at().value());

  run_to(id, CallState::succeeded, "", k_t0 + 1000);
  EXPECT_EQ(m_store->next_callback_at().value(), std::optional<std::int64_t>(k_t0 + 1000));
  EXPECT_TRUE(m_store->due_callbacks(k_t0 + 999, 10)->empty());
  auto due = m_store->due_callbacks(k_t0 + 1000, 10).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].url, "http://127.0.0.1:9/cb");
  EXPECT_EQ(due[0].attempts, 0);

  ASSERT_TRUE(m_store->record_callback(id, "pending", 1, 500, k_t0 + 3000).ok());
  EXPECT_TRUE(m_store->due_callbacks(k_t0 + 2000, 10)->empty());
  EXPECT_EQ(m_store->due_callbacks(k_t0 + 3000, 10)->size(), 1u);
  ASSERT_TRUE(m_store->record_callback(id, "delivered", 2, 200, 0).ok());
  EXPECT_FALSE(m_store->next_callback_at().value());
  Call c = get(id);
  ASSERT_TRUE(c.callback);
  EXPECT_EQ(c.callback->state, "delivered");
  EXPECT_EQ(c.callback->attempts, 2);
  EXPECT_EQ(c.callback->last_status, std::optional<int>(200));

  std::string plain = submit_id();
  EXPECT_EQ(m_store->record_callback(plain, "delivered", 1, 200, 0).error().kind,
            ErrorKind::not_found);
}

TEST_P(NeedsTest, DeleteFunctionRefusesUnfinishedCallsUnlessForced) {
  std::string running = submit_id("other");
  claim();
  std::string queued = submit_id("other");
  std::string dependent = submit(needing({queued})).id;  // of "fn"

  auto refused = m_store->delete_function("other", false, k_t0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_EQ(refused.error().message,
            "function 'other' has 2 unfinished calls (delete with ?force=true to cancel them)");

  auto forced = m_store->delete_function("other", true, k_t0 + 10);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  EXPECT_EQ(forced->running_ids, std::vector<std::string>{running});
  EXPECT_EQ(forced->terminal_ids, (std::vector<std::string>{queued, dependent}));
  EXPECT_EQ(get(queued).state, CallState::cancelled);
  EXPECT_EQ(get(dependent).state, CallState::skipped);
  EXPECT_EQ(m_store->get_function("other").error().kind, ErrorKind::not_found);
  // The running call can still be finished by the daemon.
  EXPECT_TRUE(finish(outcome(running, 1, CallState::cancelled)).applied);

  EXPECT_EQ(m_store->delete_function("other", true, k_t0).error().kind, ErrorKind::not_found);
  Function f;
  f.name = "idle";
  f.command = {"true"};
  ASSERT_TRUE(m_store->put_function(f).ok());
  EXPECT_TRUE(m_store->delete_function("idle", false, k_t0).ok());
}

}  // namespace
}  // namespace fnq::test

namespace fnq::test {
namespace {

class FinishAndClaimTest : public NeedsTest {};
FNQ_STORE_TEST_BACKENDS(FinishAndClaimTest);

TEST_P(FinishAndClaimTest, ClaimsTheDependentItsOutcomeReleasesInTheSameCall) {
  std::string a = submit_id("fn", "in-a");
  NewCall nc = make_call("fn");
  nc.call.input_from = a;
  Call b = submit(std::move(nc));
  ASSERT_EQ(claim(k_t0, 10).size(), 1u);  // only a is claimable

  auto r =
      m_store->finish_and_claim({outcome(a, 1, CallState::succeeded, "out-a")}, k_t0 + 1000, 4, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->finished.size(), 1u);
  EXPECT_TRUE(r->finished[0].applied);
  EXPECT_EQ(r->finished[0].terminal_ids, std::vector<std::string>{a});
  ASSERT_EQ(r->claimed.size(), 1u);
  EXPECT_EQ(r->claimed[0].call.id, b.id);
  EXPECT_EQ(r->claimed[0].call.state, CallState::running);
  EXPECT_EQ(r->claimed[0].input, "out-a");  // input_from copied before the claim
  EXPECT_EQ(get(a).state, CallState::succeeded);
}

TEST_P(FinishAndClaimTest, ClaimsNothingWithNoRoomOrWhenTheFunctionIsSaturated) {
  std::string a = submit_id();
  std::string queued = submit_id();
  ASSERT_EQ(claim(k_t0, 1).size(), 1u);
  auto r = m_store->finish_and_claim({outcome(a, 1, CallState::failed)}, k_t0 + 1000, 0, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->claimed.empty());
  EXPECT_EQ(get(a).state, CallState::failed);
  r = m_store->finish_and_claim({}, k_t0 + 1000, 4, {"fn"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->claimed.empty());
  EXPECT_EQ(get(queued).state, CallState::queued);
}

}  // namespace
}  // namespace fnq::test
