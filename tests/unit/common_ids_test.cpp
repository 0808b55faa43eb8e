#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/ids.h"

namespace fnq {
namespace {

TEST(CallId, IsUuidV7) {
  std::string id = new_call_id();
  EXPECT_TRUE(is_call_id(id)) << id;
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '7');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);  // RFC 9562 variant
}

TEST(CallId, StrictlyIncreasingInOneThread) {
  std::string prev = new_call_id();
  for (int i = 0; i < 20000; ++i) {
    std::string next = new_call_id();
    ASSERT_LT(prev, next);
    prev = next;
  }
}

TEST(CallId, UniqueUnderConcurrency) {
  constexpr int k_threads = 8, k_each = 5000;
  std::vector<std::vector<std::string>> per_thread(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_each; ++i) {
        per_thread[t].push_back(new_call_id());
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::set<std::string> all;
  for (const auto& ids : per_thread) {
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(k_threads * k_each));
}

// The random bits come from a pool refilled from getrandom: each byte
// serves one ID, so no two IDs share their last 62 random bits.
TEST(CallId, RandomBitsAreNeverReused) {
  std::set<std::string> tails;
  for (int i = 0; i < 10000; ++i) {
    tails.insert(new_call_id().substr(19));  // variant and rand_b: "8xxx-xxxxxxxxxxxx"
  }
  EXPECT_EQ(tails.size(), 10000u);
}

TEST(CallId, PrefixValidation) {
  std::string id = new_call_id();
  EXPECT_TRUE(is_call_id_prefix(id.substr(0, 8)));
  EXPECT_TRUE(is_call_id_prefix(id.substr(0, 13)));
  EXPECT_FALSE(is_call_id_prefix(id.substr(0, 7)));
  EXPECT_FALSE(is_call_id_prefix("ABCDEF01"));
  EXPECT_FALSE(is_call_id_prefix("0123456z"));
  EXPECT_FALSE(is_call_id("not-an-id"));
  EXPECT_EQ(random_hex(32).size(), 64u);
  EXPECT_NE(random_hex(16), random_hex(16));
}

}  // namespace
}  // namespace fnq
