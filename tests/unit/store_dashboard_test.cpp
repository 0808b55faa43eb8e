// What the dashboard reads from the store: the counters kept by triggers
// (calls per function and state, finishes per minute), dependents and the
// database's size; on each backend.
#include <map>

#include "unit/store_test_fixture.h"

namespace fnq::test {
namespace {

class DashboardStoreTest : public StoreTest {
 protected:
  // (function, state) -> count, from stats().
  std::map<std::pair<std::string, CallState>, std::int64_t> counts() {
    std::map<std::pair<std::string, CallState>, std::int64_t> out;
    auto stats = m_store->stats();
    EXPECT_TRUE(stats.ok());
    for (const auto& [fn, state, n] : stats.ok() ? stats->counts : decltype(stats->counts){}) {
      EXPECT_GT(n, 0);
      out[{fn, state}] = n;
    }
    return out;
  }
  std::map<CallState, std::int64_t> finished_since(std::int64_t since) {
    std::map<CallState, std::int64_t> out;
    auto rows = m_store->finishes_since(since);
    EXPECT_TRUE(rows.ok());
    for (const auto& r : rows.ok() ? *rows : std::vector<MinuteCount>{}) {
      EXPECT_EQ(r.minute % 60000, 0);
      out[r.state] += r.count;
    }
    return out;
  }
};
FNQ_STORE_TEST_BACKENDS(DashboardStoreTest);

using Counts = std::map<std::pair<std::string, CallState>, std::int64_t>;

TEST_P(DashboardStoreTest, CountersFollowEveryChangeOfState) {
  if (!m_store) {
    return;
  }
  std::string a = submit_id("fn");
  std::string b = submit_id("fn");
  std::string c = submit_id("other");
  EXPECT_EQ(counts(), (Counts{{{"fn", CallState::queued}, 2}, {{"other", CallState::queued}, 1}}));
  run_to(a, CallState::succeeded, "", k_t0 + 1000);  // the oldest is claimed first
  auto claimed = claim(k_t0 + 2000, 1);
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_EQ(claimed[0].call.id, b);
  EXPECT_EQ((counts()[{"fn", CallState::running}]), 1);
  finish(outcome(b, claimed[0].call.attempt, CallState::failed, "", k_t0 + 3000));
  std::vector<std::string> terminal;
  ASSERT_TRUE(m_store->cancel(c, k_t0 + 4000, &terminal).ok());
  Counts after = counts();
  std::int64_t total = 0;
  for (const auto& [key, n] : after) {
    total += n;
    EXPECT_NE(key.second, CallState::queued);
    EXPECT_NE(key.second, CallState::running);
  }
  EXPECT_EQ(total, 3);
  EXPECT_EQ((after[{"fn", CallState::succeeded}]), 1);
  EXPECT_EQ((after[{"fn", CallState::failed}]), 1);
  EXPECT_EQ((after[{"other", CallState::cancelled}]), 1);
  EXPECT_EQ(m_store->count_in_state(CallState::queued).value(), 0);

  // Finishes per minute: each end counts, a retried call again when it ends again.
  auto f = finished_since(k_t0 - 60000);
  EXPECT_EQ(f[CallState::succeeded], 1);
  EXPECT_EQ(f[CallState::failed], 1);
  EXPECT_EQ(f[CallState::cancelled], 1);
  ASSERT_TRUE(m_store->retry(b, k_t0 + 5000).ok());
  EXPECT_EQ(finished_since(k_t0 - 60000)[CallState::failed], 1);
  run_to(b, CallState::succeeded, "", k_t0 + 6000);
  f = finished_since(k_t0 - 60000);
  EXPECT_EQ(f[CallState::succeeded], 2);
  EXPECT_EQ(f[CallState::failed], 1);
  EXPECT_TRUE(finished_since(k_t0 + 3600000).empty());

  // Pruning deletes the calls' counts and the minutes before the cut.
  EXPECT_EQ(m_store->prune(k_t0 + 120000, 100).value(), 3);
  EXPECT_TRUE(counts().empty());
  EXPECT_TRUE(finished_since(0).empty());
}

TEST_P(DashboardStoreTest, DependentsOutliveTheConsumedEdges) {
  if (!m_store) {
    return;
  }
  std::string a = submit_id("fn");
  NewCall child = make_call("other");
  child.call.needs = {a};
  std::string c = submit(child).id;
  EXPECT_EQ(m_store->dependents_of(a, 10).value(), std::vector<std::string>{c});
  run_to(a, CallState::succeeded);
  EXPECT_EQ(m_store->dependents_of(a, 10).value(), std::vector<std::string>{c});
  EXPECT_TRUE(m_store->dependents_of(c, 10).value().empty());
  EXPECT_GT(m_store->size_bytes().value(), 0u);
}

}  // namespace
}  // namespace fnq::test
