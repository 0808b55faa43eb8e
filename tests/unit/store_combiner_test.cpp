// Combiner: the group commit PgStore::submit uses (daemon/store/combiner.h).
#include "daemon/store/combiner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace fnq::test {
namespace {

using IntCombiner = Combiner<int, int>;
using Batch = std::vector<IntCombiner::Item*>;

// Each request's answer is its value times ten, so a mix-up shows.
void answer_all(Batch& batch) {
  for (auto* item : batch) {
    item->result = *item->request * 10;
  }
}

bool wait_until(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

TEST(Combiner, ARequestAloneIsItsOwnBatch) {
  IntCombiner combiner(16, 1);
  std::vector<std::size_t> sizes;
  int request = 4;
  auto result = combiner.submit(request, [&](Batch& batch) {
    sizes.push_back(batch.size());
    answer_all(batch);
  });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 40);
  EXPECT_EQ(sizes, std::vector<std::size_t>{1});
}

TEST(Combiner, RequestsArrivingDuringAWriteGoTogetherInTheNext) {
  IntCombiner combiner(16, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex sizes_mutex;
  std::vector<std::size_t> sizes;
  auto write = [&](Batch& batch) {
    {
      std::lock_guard<std::mutex> lock(sizes_mutex);
      sizes.push_back(batch.size());
    }
    if (*batch.front()->request == 0) {
      released.wait();  // the first batch is slow
    }
    answer_all(batch);
  };
  std::vector<std::future<Result<int>>> answers;
  std::vector<int> requests = {0, 1, 2, 3, 4, 5};
  answers.push_back(
      std::async(std::launch::async, [&] { return combiner.submit(requests[0], write); }));
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard<std::mutex> lock(sizes_mutex);
    return sizes.size() == 1;
  }));
  for (std::size_t i = 1; i < requests.size(); ++i) {
    answers.push_back(
        std::async(std::launch::async, [&, i] { return combiner.submit(requests[i], write); }));
  }
  ASSERT_TRUE(wait_until([&] { return combiner.queued() == 5; }));
  release.set_value();
  for (std::size_t i = 0; i < answers.size(); ++i) {
    auto result = answers[i].get();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(*result, requests[i] * 10);
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 5}));
}

TEST(Combiner, NoMoreBatchesAtOnceThanWritersAndEveryAnswerIsItsOwn) {
  IntCombiner combiner(4, 2);
  std::atomic<int> writing{0};
  std::atomic<int> most{0};
  auto write = [&](Batch& batch) {
    int now = ++writing;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    for (int spin = 0; spin < 1000; ++spin) {
      std::this_thread::yield();
    }
    answer_all(batch);
    --writing;
  };
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        int request = t * 1000 + i;
        auto result = combiner.submit(request, write);
        if (!result.ok() || *result != request * 10) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(most.load(), 2);
  EXPECT_GE(most.load(), 1);
}

TEST(Combiner, AWriteThatThrowsAnswersWhatItLeftWithAnError) {
  IntCombiner combiner(16, 1);
  int request = 1;
  auto result = combiner.submit(request, [](Batch&) { throw std::runtime_error("boom"); });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::internal);
  EXPECT_EQ(result.error().message.find("boom"), std::string::npos);
  // And the combiner still works.
  auto next = combiner.submit(request, answer_all);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 10);
}

}  // namespace
}  // namespace fnq::test
