// Combiner and AsyncCombiner: the group commits PgStore::submit and
// PgStore::submit_then use (daemon/store/combiner.h).
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

using IntAsync = AsyncCombiner<int, int>;

// What an AsyncCombiner's requests were answered with, by request.
struct Answers {
  std::mutex mutex;
  std::vector<std::vector<Result<int>>> by_request;

  explicit Answers(std::size_t n) : by_request(n) {}
  IntAsync::Done done_for(std::size_t i) {
    return [this, i](Result<int> r) {
      std::lock_guard<std::mutex> lock(mutex);
      by_request[i].push_back(std::move(r));
    };
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mutex);
    std::size_t n = 0;
    for (const auto& a : by_request) {
      n += a.size();
    }
    return n;
  }
};

TEST(AsyncCombiner, RequestsQueuedDuringAWriteGoTogetherAndEachGetsItsOwnAnswer) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex sizes_mutex;
  std::vector<std::size_t> sizes;
  IntAsync combiner(16, 1, [&](Batch& batch) {
    {
      std::lock_guard<std::mutex> lock(sizes_mutex);
      sizes.push_back(batch.size());
    }
    if (*batch.front()->request == 0) {
      released.wait();  // the first batch is slow
    }
    answer_all(batch);
  });
  Answers answers(6);
  combiner.submit(0, answers.done_for(0));  // returns at once: the write is the combiner's
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard<std::mutex> lock(sizes_mutex);
    return sizes.size() == 1;
  }));
  for (int i = 1; i < 6; ++i) {
    combiner.submit(i, answers.done_for(static_cast<std::size_t>(i)));
  }
  EXPECT_EQ(answers.count(), 0u);
  release.set_value();
  ASSERT_TRUE(wait_until([&] { return answers.count() == 6; }));
  for (std::size_t i = 0; i < 6; ++i) {
    ASSERT_EQ(answers.by_request[i].size(), 1u);
    ASSERT_TRUE(answers.by_request[i][0].ok());
    EXPECT_EQ(*answers.by_request[i][0], static_cast<int>(i) * 10);
  }
  std::lock_guard<std::mutex> lock(sizes_mutex);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 5}));
}

TEST(AsyncCombiner, StopWritesWhatIsQueuedThenRefusesWithShuttingDown) {
  std::atomic<int> written{0};
  Answers answers(101);
  {
    IntAsync combiner(8, 2, [&](Batch& batch) {
      written += static_cast<int>(batch.size());
      answer_all(batch);
    });
    for (std::size_t i = 0; i < 100; ++i) {
      combiner.submit(static_cast<int>(i), answers.done_for(i));
    }
    combiner.stop();
    EXPECT_EQ(written.load(), 100);
    EXPECT_EQ(answers.count(), 100u);
    combiner.submit(7, answers.done_for(100));  // after stop: answered at once
    ASSERT_EQ(answers.by_request[100].size(), 1u);
    ASSERT_FALSE(answers.by_request[100][0].ok());
    EXPECT_EQ(answers.by_request[100][0].error().kind, ErrorKind::shutting_down);
  }
  for (std::size_t i = 0; i < 100; ++i) {
    ASSERT_EQ(answers.by_request[i].size(), 1u) << i;
    EXPECT_EQ(*answers.by_request[i][0], static_cast<int>(i) * 10);
  }
}

TEST(AsyncCombiner, AWriteThatThrowsAnswersWhatItLeftWithAnError) {
  Answers answers(2);
  IntAsync combiner(16, 1, [](Batch& batch) {
    if (*batch.front()->request == 1) {
      throw std::runtime_error("boom");
    }
    answer_all(batch);
  });
  combiner.submit(1, answers.done_for(0));
  ASSERT_TRUE(wait_until([&] { return answers.count() == 1; }));
  ASSERT_FALSE(answers.by_request[0][0].ok());
  EXPECT_EQ(answers.by_request[0][0].error().kind, ErrorKind::internal);
  combiner.submit(2, answers.done_for(1));  // and it still works
  ASSERT_TRUE(wait_until([&] { return answers.count() == 2; }));
  ASSERT_TRUE(answers.by_request[1][0].ok());
  EXPECT_EQ(*answers.by_request[1][0], 20);
}

}  // namespace
}  // namespace fnq::test
