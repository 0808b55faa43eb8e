// The scheduler through its seams: a fake clock, a fake executor and a store
// that fails on demand. No process is spawned and nothing sleeps: time moves
// only when a test advances it, and each check waits until the scheduler has
// nothing left to do (FakeClock::wait_idle).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "daemon/config.h"
#include "daemon/functions.h"
#include "daemon/metrics.h"
#include "daemon/scheduler.h"
#include "support/temp_dir.h"
#include "unit/daemon_captured_stderr.h"
#include "unit/daemon_fakes.h"

namespace fnq::test {
namespace {

using std::chrono::milliseconds;

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

Error disk_full() { return make_error(ErrorKind::disk_full, "database or disk is full"); }

class SchedulerSeamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_scratch_store(m_dir.file("fnq.db"));
    ASSERT_TRUE(store);
    m_store = std::make_unique<FaultyStore>(std::move(store));
    m_functions = std::make_unique<FunctionRegistry>(*m_store);
    add_function("fn");
    m_config.max_inflight = 2;
  }

  void TearDown() override {
    if (m_scheduler) {
      m_store->heal();
      m_scheduler->drain(Millis(0));
    }
  }

  void add_function(const std::string& name, std::optional<int> concurrency = std::nullopt) {
    Function f;
    f.name = name;
    f.command = {"true"};
    f.concurrency = concurrency;
    f.retry_backoff = Millis(1000);
    ASSERT_TRUE(m_functions->put(f).ok());
  }

  // Made on first use, so a test may change m_config first.
  Scheduler& scheduler() {
    if (!m_scheduler) {
      SchedulerSeams seams;
      seams.clock = &m_clock;
      seams.make_executor = m_runner.factory();
      seams.retry_jitter = [] { return 0.0; };
      m_scheduler = std::make_unique<Scheduler>(
          m_config, *m_store, *m_functions, m_metrics,
          [this](const std::vector<std::string>& ids, CallbackDue due) {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_terminal.insert(ids.begin(), ids.end());
            for (const auto& id : ids) {
              m_callback_due[id] = due;
            }
          },
          std::move(seams));
    }
    return *m_scheduler;
  }

  void start() {
    ASSERT_TRUE(scheduler().start().ok());
    settle();
  }

  void settle() { ASSERT_TRUE(m_clock.wait_idle()) << "the scheduler did not settle"; }

  void advance(std::int64_t ms) {
    m_clock.advance(milliseconds(ms));
    settle();
  }

  std::string submit(const std::string& function = "fn", int max_retries = 0,
                     std::vector<std::string> needs = {},
                     std::optional<std::string> callback_url = std::nullopt) {
    NewCall nc;
    if (callback_url) {
      nc.call.callback = CallbackInfo{*callback_url, "pending", 0, std::nullopt};
    }
    nc.call.id = new_call_id();
    nc.call.function = function;
    nc.call.created_at = m_clock.now_ms();
    nc.call.run_at = nc.call.created_at;
    nc.call.max_retries = max_retries;
    nc.call.needs = std::move(needs);
    std::vector<NewCall> batch;
    batch.push_back(nc);
    auto stored = m_store->submit(std::move(batch));
    EXPECT_TRUE(stored.ok()) << stored.error().message;
    if (m_scheduler) {
      scheduler().wake_for_due(nc.call.run_at);
      settle();
    }
    return nc.call.id;
  }

  Call call(const std::string& id) {
    auto c = m_store->real().get_call(id);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? *c : Call{};
  }
  CallState state_of(const std::string& id) { return call(id).state; }

  bool reported_terminal(const std::string& id) {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_terminal.count(id) > 0;
  }

  // How the call's end was reported to the callback sender, if it was.
  std::optional<CallbackDue> callback_due(const std::string& id) {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_callback_due.find(id);
    return it == m_callback_due.end() ? std::nullopt : std::optional<CallbackDue>(it->second);
  }

  std::vector<std::string> running_ids() {
    std::vector<std::string> ids;
    for (const auto& r : m_runner.running()) {
      ids.push_back(r.call_id);
    }
    return ids;
  }

  std::string metrics() { return m_metrics.render(StoreStats{}, m_scheduler->running(), 0); }

  TempDir m_dir;
  DaemonConfig m_config;
  Metrics m_metrics;
  FakeClock m_clock;
  FakeRunner m_runner{m_clock};
  std::unique_ptr<FaultyStore> m_store;
  std::unique_ptr<FunctionRegistry> m_functions;
  std::unique_ptr<Scheduler> m_scheduler;
  std::mutex m_mutex;
  std::set<std::string> m_terminal;
  std::map<std::string, CallbackDue> m_callback_due;
};

TEST_F(SchedulerSeamsTest, AnOutcomeTheStoreRefusesIsRetriedWithBackoffUntilRecorded) {
  start();
  std::string id = submit();
  ASSERT_EQ(running_ids(), std::vector<std::string>{id});
  m_store->fail("finish_and_claim", disk_full());
  CapturedStderr log;
  ASSERT_TRUE(m_runner.finish(id, CallState::succeeded, 0, "out"));
  settle();
  EXPECT_EQ(state_of(id), CallState::running);  // not yet recorded ...
  EXPECT_EQ(scheduler().unrecorded(), 1u);      // ... but kept
  EXPECT_EQ(scheduler().running(), 1u);
  EXPECT_FALSE(reported_terminal(id));
  EXPECT_EQ(m_store->calls("finish_and_claim"), 1);
  // The store is tried again after 100 ms, then 200, 400, 800: never sooner.
  int tries = 1;
  for (std::int64_t delay : {100, 200, 400, 800}) {
    advance(delay - 1);
    EXPECT_EQ(m_store->calls("finish_and_claim"), tries) << "retried before " << delay << "ms";
    advance(1);
    EXPECT_EQ(m_store->calls("finish_and_claim"), ++tries) << "not retried after " << delay << "ms";
  }
  std::string text = metrics();
  EXPECT_NE(text.find("\nfnq_unrecorded_outcomes 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nfnq_outcome_record_failures_total 5\n"), std::string::npos) << text;
  m_store->heal();
  advance(1600);
  EXPECT_EQ(state_of(id), CallState::succeeded);
  EXPECT_EQ(*m_store->real().get_output(id), "out");
  EXPECT_TRUE(reported_terminal(id));
  EXPECT_EQ(scheduler().unrecorded(), 0u);
  EXPECT_EQ(scheduler().running(), 0u);
  text = metrics();
  EXPECT_NE(text.find("\nfnq_unrecorded_outcomes 0\n"), std::string::npos) << text;
  std::string logged = log.restore();
  EXPECT_EQ(occurrences(logged, "cannot record 1 outcome(s): database or disk is full; retrying"),
            1u)
      << logged;
  EXPECT_EQ(occurrences(logged, "cannot record"), 1u) << logged;
  EXPECT_EQ(occurrences(logged, "recorded 1 outcome(s) after 3100ms and 5 failed attempt(s)"), 1u)
      << logged;
}

// The callback sender is woken for the outcomes that may make a callback due:
// a call with a callback_url, or a dependent skipped because of one (its
// callback is not known here); not for a call without one.
TEST_F(SchedulerSeamsTest, OnlyAnEndThatMayMakeACallbackDueWakesTheCallbackSender) {
  start();
  std::string plain = submit();
  std::string with_callback = submit("fn", 0, {}, "http://127.0.0.1:9/done");
  ASSERT_EQ(running_ids().size(), 2u);
  ASSERT_TRUE(m_runner.finish(plain, CallState::succeeded, 0, ""));
  settle();
  ASSERT_TRUE(m_runner.finish(with_callback, CallState::succeeded, 0, ""));
  settle();
  EXPECT_EQ(callback_due(plain), CallbackDue::none);
  EXPECT_EQ(callback_due(with_callback), CallbackDue::maybe);

  std::string failing = submit();
  std::string dependent = submit("fn", 0, {failing});
  ASSERT_EQ(running_ids(), std::vector<std::string>{failing});
  ASSERT_TRUE(m_runner.finish(failing, CallState::failed, 1, ""));
  settle();
  EXPECT_EQ(state_of(dependent), CallState::skipped);
  EXPECT_EQ(callback_due(failing), CallbackDue::maybe);  // reported with its skipped dependent
  EXPECT_EQ(callback_due(dependent), CallbackDue::maybe);
}

// A claimed call whose function cannot be found (deleted meanwhile, or
// registered elsewhere and not readable now) fails at once; its callback is
// due, so the sender is woken.
TEST_F(SchedulerSeamsTest, ACallFailedForAMissingFunctionWakesTheCallbackSender) {
  start();
  Function g;
  g.name = "g";
  g.command = {"true"};
  ASSERT_TRUE(m_store->real().put_function(g).ok());  // not in the registry's cache
  m_store->fail("get_function", make_error(ErrorKind::io, "disk I/O error"));
  std::string id = submit("g", 0, {}, "http://127.0.0.1:9/done");
  m_store->heal();
  EXPECT_EQ(state_of(id), CallState::failed);
  EXPECT_EQ(callback_due(id), CallbackDue::maybe);
}

TEST_F(SchedulerSeamsTest, TheStoreRetryBackoffDoublesUpToFiveSeconds) {
  UnrecordedOutcomes kept;
  std::int64_t now = 1000;
  std::vector<std::int64_t> delays;
  auto first = kept.write_failed({FinishedAttempt{AttemptOutcome{}, "fn"}}, now, "full");
  EXPECT_TRUE(first.has_value());
  for (int i = 0; i < 9; ++i) {
    EXPECT_FALSE(kept.due(*kept.next_attempt_at() - 1));
    EXPECT_TRUE(kept.due(*kept.next_attempt_at()));
    delays.push_back(*kept.next_attempt_at() - now);
    now = *kept.next_attempt_at();
    EXPECT_FALSE(kept.write_failed(kept.take(), now, "full").has_value());  // logged once
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000}));
  kept.take();
  auto last = kept.written(1, now);
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(kept.due(now));
  EXPECT_FALSE(kept.written(1, now).has_value());  // the episode is over
}

TEST_F(SchedulerSeamsTest, RetryDelayDoublesIsCappedAndJittersByTenPercent) {
  Millis base(1000);
  Millis cap(10'000);
  EXPECT_EQ(retry_delay_ms(base, 1, cap, 0), 1000);
  EXPECT_EQ(retry_delay_ms(base, 2, cap, 0), 2000);
  EXPECT_EQ(retry_delay_ms(base, 4, cap, 0), 8000);
  EXPECT_EQ(retry_delay_ms(base, 5, cap, 0), 10'000);
  EXPECT_EQ(retry_delay_ms(base, 500, cap, 0), 10'000);
  EXPECT_EQ(retry_delay_ms(base, 1, cap, -1), 900);
  EXPECT_EQ(retry_delay_ms(base, 1, cap, 1), 1100);
  EXPECT_EQ(retry_delay_ms(base, 500, cap, 1), 11'000);
  EXPECT_EQ(retry_delay_ms(base, 1, cap, 7), 1100);  // out of range: clamped
  for (int i = 0; i < 2000; ++i) {
    double j = random_jitter();
    ASSERT_GE(j, -1.0);
    ASSERT_LE(j, 1.0);
    std::int64_t d = retry_delay_ms(base, 1, cap, j);
    ASSERT_GE(d, 900);
    ASSERT_LE(d, 1100);
  }
}

TEST_F(SchedulerSeamsTest, AFailedAttemptRunsAgainExactlyWhenItsBackoffEnds) {
  start();
  std::string id = submit("fn", 2);
  ASSERT_TRUE(m_runner.finish(id, CallState::failed, 1));
  settle();
  EXPECT_EQ(state_of(id), CallState::waiting);
  for (std::int64_t backoff : {1000, 2000}) {
    advance(backoff - 1);
    EXPECT_TRUE(running_ids().empty()) << "started before its " << backoff << "ms backoff";
    advance(1);
    ASSERT_EQ(running_ids(), std::vector<std::string>{id}) << "not started after " << backoff;
    ASSERT_TRUE(m_runner.finish(id, CallState::failed, 1));
    settle();
  }
  EXPECT_EQ(state_of(id), CallState::failed);  // no retries left
  EXPECT_EQ(call(id).attempt, 3);
  EXPECT_TRUE(reported_terminal(id));
  EXPECT_EQ(m_runner.started(), 3u);
}

TEST_F(SchedulerSeamsTest, NoMoreThanMaxInflightRunAtOnce) {
  start();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(submit());
  }
  EXPECT_EQ(m_runner.running().size(), 2u);
  int finished = 0;
  while (!m_runner.running().empty()) {
    ASSERT_LE(m_runner.running().size(), 2u);
    ASSERT_TRUE(m_runner.finish(running_ids().front(), CallState::succeeded));
    ++finished;
    settle();
  }
  EXPECT_EQ(finished, 5);
  for (const auto& id : ids) {
    EXPECT_EQ(state_of(id), CallState::succeeded);
  }
}

TEST_F(SchedulerSeamsTest, AFunctionRunsNoMoreThanItsConcurrency) {
  m_config.max_inflight = 4;
  add_function("one", 1);
  start();
  std::string a = submit("one");
  std::string b = submit("one");
  std::string c = submit("fn");
  std::vector<std::string> running = running_ids();
  std::sort(running.begin(), running.end());
  EXPECT_EQ(running, (std::vector<std::string>{a, c}));
  ASSERT_TRUE(m_runner.finish(a, CallState::succeeded));
  settle();
  running = running_ids();
  std::sort(running.begin(), running.end());
  EXPECT_EQ(running, (std::vector<std::string>{b, c}));
}

TEST_F(SchedulerSeamsTest, AnOverClaimedCallTheStoreCannotPutBackIsPutBackLater) {
  m_config.max_inflight = 4;
  add_function("one", 1);
  std::string a = submit("one");
  std::string b = submit("one");  // one claim takes both; b has no room
  m_store->fail("requeue", make_error(ErrorKind::io, "disk I/O error"));
  start();
  std::vector<std::string> running = running_ids();
  ASSERT_EQ(running.size(), 1u);
  std::string started = running.front();
  std::string parked = started == a ? b : a;
  EXPECT_EQ(state_of(parked), CallState::running);  // claimed, not yet put back
  m_store->heal();
  advance(1000);
  EXPECT_EQ(state_of(parked), CallState::queued);
  ASSERT_TRUE(m_runner.finish(started, CallState::succeeded));
  settle();
  EXPECT_EQ(running_ids(), std::vector<std::string>{parked});
}

TEST_F(SchedulerSeamsTest, AnUnrecordedOutcomeHoldsItsSlot) {
  m_config.max_inflight = 1;
  start();
  std::string a = submit();
  std::string b = submit();
  ASSERT_EQ(running_ids(), std::vector<std::string>{a});
  m_store->fail("finish_and_claim", disk_full());
  ASSERT_TRUE(m_runner.finish(a, CallState::succeeded));
  settle();
  advance(100);  // a retry, and a pass that could claim
  EXPECT_EQ(m_runner.started(), 1u);
  EXPECT_EQ(state_of(b), CallState::queued);
  m_store->heal();
  advance(200);
  EXPECT_EQ(state_of(a), CallState::succeeded);
  EXPECT_EQ(running_ids(), std::vector<std::string>{b});
}

TEST_F(SchedulerSeamsTest, CancellingACallWhoseOutcomeIsUnrecordedSaysSo) {
  start();
  std::string id = submit();
  m_store->fail("finish_and_claim", disk_full());
  ASSERT_TRUE(m_runner.finish(id, CallState::succeeded));
  settle();
  auto answer = scheduler().cancel(id);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(*answer, CancelAnswer::finishing);
  EXPECT_STREQ(to_string(*answer), "finishing");
  settle();
  EXPECT_TRUE(m_runner.cancelled().empty());
  m_store->heal();
  advance(100);
  EXPECT_EQ(state_of(id), CallState::succeeded);  // the outcome stands
}

TEST_F(SchedulerSeamsTest, AStopRetriesForTheGraceThenNamesTheOutcomesItLost) {
  start();
  std::string a = submit();
  std::string b = submit();
  m_store->fail("finish_and_claim", disk_full());
  ASSERT_TRUE(m_runner.finish(a, CallState::succeeded));
  ASSERT_TRUE(m_runner.finish(b, CallState::failed, 3));
  settle();
  CapturedStderr log;
  std::int64_t stop_at = m_clock.now_ms() + 1000;
  std::thread stopper([&] { scheduler().drain(Millis(1000)); });
  ASSERT_TRUE(m_clock.wait_idle(2));  // the scheduler and drain() both wait
  while (m_clock.now_ms() < stop_at) {
    m_clock.advance(milliseconds(100));
    if (m_clock.now_ms() < stop_at) {
      ASSERT_TRUE(m_clock.wait_idle(2));
    }
  }
  stopper.join();
  std::string logged = log.restore();
  EXPECT_GE(m_store->calls("finish_and_claim"), 4);  // retried during the grace
  EXPECT_EQ(occurrences(logged, "2 outcome(s) lost"), 1u) << logged;
  std::string lost = logged.substr(logged.find("outcome(s) lost"));
  EXPECT_NE(lost.find(a), std::string::npos) << logged;
  EXPECT_NE(lost.find(b), std::string::npos) << logged;
  EXPECT_NE(lost.find("recovered as interrupted"), std::string::npos) << logged;
  EXPECT_EQ(state_of(a), CallState::running);  // for recovery at the next start
  m_scheduler.reset();
}

TEST_F(SchedulerSeamsTest, AStopWritesOutcomesTheStoreTakesWithinTheGrace) {
  start();
  std::string a = submit();
  m_store->fail("finish_and_claim", disk_full());
  ASSERT_TRUE(m_runner.finish(a, CallState::succeeded));
  settle();
  std::thread stopper([&] { scheduler().drain(Millis(5000)); });
  ASSERT_TRUE(m_clock.wait_idle(2));
  m_store->heal();
  m_clock.advance(milliseconds(100));
  stopper.join();  // returns without the rest of the grace
  EXPECT_EQ(state_of(a), CallState::succeeded);
  m_scheduler.reset();
}

TEST_F(SchedulerSeamsTest, DrainAfterAFailedStartReturns) {
  m_store->fail("recover_interrupted", make_error(ErrorKind::io, "disk I/O error"));
  EXPECT_FALSE(scheduler().start().ok());
  scheduler().drain(Millis(1000));  // no executor was made: nothing to stop
  m_scheduler.reset();
}

TEST_F(SchedulerSeamsTest, CancelReportsTheCallAndItsSkippedDependents) {
  std::string a = submit();
  std::string b = submit("fn", 0, {a});
  auto answer = scheduler().cancel(a);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(*answer, CancelAnswer::cancelled);
  EXPECT_TRUE(reported_terminal(a));
  EXPECT_TRUE(reported_terminal(b));
  EXPECT_EQ(state_of(b), CallState::skipped);
}

TEST_F(SchedulerSeamsTest, CancellingARunningCallStopsItsAttempt) {
  start();
  std::string id = submit();
  auto answer = scheduler().cancel(id);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(*answer, CancelAnswer::cancelling);
  settle();
  EXPECT_EQ(m_runner.cancelled(), std::vector<std::string>{id});
  EXPECT_EQ(state_of(id), CallState::cancelled);
  EXPECT_TRUE(reported_terminal(id));
}

TEST_F(SchedulerSeamsTest, AFailureReportsTheCallAndItsSkippedDependents) {
  start();
  std::string a = submit();
  std::string b = submit("fn", 0, {a});
  ASSERT_TRUE(m_runner.finish(a, CallState::failed, 1));
  settle();
  EXPECT_TRUE(reported_terminal(a));
  EXPECT_TRUE(reported_terminal(b));
  EXPECT_EQ(state_of(b), CallState::skipped);
}

TEST_F(SchedulerSeamsTest, RecoveryAtStartReportsTheCallsItFails) {
  std::string id = submit();
  auto claimed = m_store->claim(m_clock.now_ms(), 1, {});  // as a daemon that then died
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  start();
  EXPECT_EQ(state_of(id), CallState::failed);
  EXPECT_TRUE(reported_terminal(id));
}

}  // namespace
}  // namespace fnq::test
