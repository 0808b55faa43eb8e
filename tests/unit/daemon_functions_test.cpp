// FunctionRegistry: the cache of function definitions. find reads the store
// for a name it has not cached; find_cached, for the HTTP loop (which must
// not block), never reads the store and never waits for the cache.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "daemon/functions.h"
#include "support/temp_dir.h"
#include "unit/daemon_fakes.h"

namespace fnq::test {
namespace {

Function function_named(const std::string& name) {
  Function f;
  f.name = name;
  f.command = {"true"};
  return f;
}

class FunctionRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_scratch_store(m_dir.file("fnq.db"));
    ASSERT_TRUE(store);
    m_store = std::make_unique<FaultyStore>(std::move(store));
    m_functions = std::make_unique<FunctionRegistry>(*m_store);
    ASSERT_TRUE(m_functions->load().ok());
  }

  TempDir m_dir;
  std::unique_ptr<FaultyStore> m_store;
  std::unique_ptr<FunctionRegistry> m_functions;
};

TEST_F(FunctionRegistryTest, FindCachedNeverReadsTheStore) {
  ASSERT_TRUE(m_functions->put(function_named("mine")).ok());
  // Registered by another fnqd sharing the store: not in this one's cache.
  ASSERT_TRUE(m_store->real().put_function(function_named("theirs")).ok());
  int reads = m_store->calls("get_function");
  EXPECT_TRUE(m_functions->find_cached("mine"));
  EXPECT_FALSE(m_functions->find_cached("theirs"));
  EXPECT_FALSE(m_functions->find_cached("nosuch"));
  EXPECT_EQ(m_store->calls("get_function"), reads);
  EXPECT_TRUE(m_functions->find("theirs"));  // find reads it, and caches it
  EXPECT_EQ(m_store->calls("get_function"), reads + 1);
  EXPECT_TRUE(m_functions->find_cached("theirs"));
}

TEST_F(FunctionRegistryTest, FindCachedDoesNotWaitForAWriteInProgress) {
  ASSERT_TRUE(m_functions->put(function_named("fn")).ok());
  m_store->hold("put_function");
  auto writing = std::async(std::launch::async,
                            [&] { return m_functions->put(function_named("other")).ok(); });
  // The write holds the cache while the store writes.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (m_store->calls("put_function") < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(m_store->calls("put_function"), 2);
  auto looking = std::async(std::launch::async, [&] { return m_functions->find_cached("fn"); });
  // Answered (with nothing: the cache is busy) while the write still waits.
  ASSERT_EQ(looking.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(looking.get());
  m_store->release();
  EXPECT_TRUE(writing.get());
  EXPECT_TRUE(m_functions->find_cached("fn"));
  EXPECT_TRUE(m_functions->find_cached("other"));
}

// load() reads the store without holding the cache, so a remove is not held
// up by it; a list read before that remove must not put the definition back.
TEST_F(FunctionRegistryTest, ALoadReadBeforeARemoveDoesNotBringTheFunctionBack) {
  ASSERT_TRUE(m_functions->put(function_named("fn")).ok());
  m_store->hold_after("list_functions");
  auto loading = std::async(std::launch::async, [&] { return m_functions->load().ok(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (m_store->calls("list_functions") < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(m_store->calls("list_functions"), 2);         // SetUp's load, then this one
  EXPECT_TRUE(m_functions->remove("fn", false, 0).ok());  // not waiting for the load
  EXPECT_TRUE(m_functions->find_cached("fn") == std::nullopt);
  m_store->release();
  EXPECT_TRUE(loading.get());
  EXPECT_FALSE(m_functions->find_cached("fn")) << "the load put a removed function back";
  EXPECT_FALSE(m_functions->find("fn"));
  // A load with nothing changed meanwhile applies what it read.
  ASSERT_TRUE(m_store->real().put_function(function_named("theirs")).ok());
  EXPECT_TRUE(m_functions->load().ok());
  EXPECT_TRUE(m_functions->find_cached("theirs"));
  EXPECT_FALSE(m_functions->find_cached("fn"));
}

TEST_F(FunctionRegistryTest, FindCachedIsAnsweredWhileOtherThreadsReadTheCache) {
  ASSERT_TRUE(m_functions->put(function_named("fn")).ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        (void)m_functions->find("fn");  // the scheduler starting calls
        (void)m_functions->all();       // GET /system/functions
      }
    });
  }
  int declined = 0;
  for (int i = 0; i < 100'000; ++i) {
    declined += m_functions->find_cached("fn") ? 0 : 1;
  }
  stop = true;
  for (auto& t : readers) {
    t.join();
  }
  EXPECT_EQ(declined, 0) << "find_cached declined while only readers held the cache";
}

}  // namespace
}  // namespace fnq::test
