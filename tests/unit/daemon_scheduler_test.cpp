// The scheduler's wake-ups for submitted calls: a delayed call does not wake
// a sleeping scheduler, but one due before it would wake runs on time.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "common/timeutil.h"
#include "daemon/config.h"
#include "daemon/functions.h"
#include "daemon/metrics.h"
#include "daemon/scheduler.h"
#include "daemon/store/store.h"
#include "unit/daemon_fakes.h"
#include "support/temp_dir.h"

namespace fnq::test {
namespace {

constexpr std::int64_t k_day_ms = 86'400'000;

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_store = open_scratch_store(m_dir.file("fnq.db"));
    ASSERT_TRUE(m_store);
    m_functions = std::make_unique<FunctionRegistry>(*m_store);
    Function f;
    f.name = "fn";
    f.command = {"true"};
    ASSERT_TRUE(m_functions->put(f).ok());
    m_config.max_inflight = 2;
    m_scheduler =
        std::make_unique<Scheduler>(m_config, *m_store, *m_functions, m_metrics,
                                    [this](const std::vector<std::string>& ids, CallbackDue) {
                                      std::lock_guard<std::mutex> lock(m_mutex);
                                      m_terminal.insert(ids.begin(), ids.end());
                                      m_cv.notify_all();
                                    });
  }

  void TearDown() override {
    if (m_scheduler) {
      m_scheduler->drain(Millis(5'000));
    }
  }

  // Stores a call of fn due in `delay_ms` and tells the scheduler, as
  // submit_calls does.
  std::string submit_due_in(std::int64_t delay_ms) {
    NewCall nc;
    nc.call.id = new_call_id();
    nc.call.function = "fn";
    nc.call.created_at = now_ms();
    nc.call.run_at = nc.call.created_at + delay_ms;
    std::vector<NewCall> batch;
    batch.push_back(nc);
    auto stored = m_store->submit(std::move(batch));
    EXPECT_TRUE(stored.ok()) << stored.error().message;
    m_scheduler->wake_for_due(nc.call.run_at);
    return nc.call.id;
  }

  bool finishes_within(const std::string& id, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(m_mutex);
    return m_cv.wait_for(lock, timeout, [&] { return m_terminal.count(id) > 0; });
  }

  CallState state_of(const std::string& id) {
    auto c = m_store->get_call(id);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? c->state : CallState::failed;
  }

  TempDir m_dir;
  DaemonConfig m_config;
  Metrics m_metrics;
  std::unique_ptr<Store> m_store;
  std::unique_ptr<FunctionRegistry> m_functions;
  std::unique_ptr<Scheduler> m_scheduler;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::set<std::string> m_terminal;
};

TEST_F(SchedulerTest, ACallDueNowRunsAtOnce) {
  ASSERT_TRUE(m_scheduler->start().ok());
  std::string id = submit_due_in(0);
  ASSERT_TRUE(finishes_within(id, std::chrono::seconds(10)));
  EXPECT_EQ(state_of(id), CallState::succeeded);
}

TEST_F(SchedulerTest, ACallDueBeforeTheSchedulerWakesIsNotLate) {
  // The scheduler sleeps as long as it may (a minute) with only a call due
  // in 100 days stored; a later submit due sooner must wake it.
  std::string parked = submit_due_in(100 * k_day_ms);
  ASSERT_TRUE(m_scheduler->start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // asleep by now
  std::string soon = submit_due_in(300);
  std::string parked_too = submit_due_in(100 * k_day_ms);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(finishes_within(soon, std::chrono::seconds(10)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));
  EXPECT_EQ(state_of(soon), CallState::succeeded);
  EXPECT_EQ(state_of(parked), CallState::waiting);
  EXPECT_EQ(state_of(parked_too), CallState::waiting);
}

TEST_F(SchedulerTest, ACallDueNowWakesASchedulerSleepingForAnother) {
  std::string later = submit_due_in(30'000);
  ASSERT_TRUE(m_scheduler->start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string now = submit_due_in(0);
  ASSERT_TRUE(finishes_within(now, std::chrono::seconds(10)));
  EXPECT_EQ(state_of(later), CallState::waiting);
}

}  // namespace
}  // namespace fnq::test
