#pragma once
// Group commit for a store whose writers would each wait for their own
// commit: requests that arrive while max_writers batches are being written
// wait, and go together in the next batch, written by one of them (the
// first to find a writer free) in one transaction. Under load a batch holds
// every request that arrived meanwhile, so the transactions per request
// fall as the load rises; alone, a request is its own batch and waits for
// nothing.
#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/result.h"

namespace fnq {

template <class Request, class T>
class Combiner {
 public:
  struct Item {
    Request* request;
    std::optional<Result<T>> result;  // set by the batch's writer, outside the lock
    bool waiting = true;              // in the queue, not yet in a batch
    bool done = false;                // result is set (under the lock, after it is)
  };

  Combiner(std::size_t max_batch, int max_writers)
      : m_max_batch(max_batch < 1 ? 1 : max_batch),
        m_max_writers(max_writers < 1 ? 1 : max_writers) {}

  // Requests waiting for a batch (for tests).
  std::size_t queued() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_queue.size();
  }

  // Returns the request's result once a batch holding it is written.
  // write(std::vector<Item*>&) must set every item's result; an exception
  // from it answers the items it left without one with an internal error.
  template <class Write>
  Result<T> submit(Request& request, Write&& write) {
    Item me{&request, std::nullopt};
    std::unique_lock<std::mutex> lock(m_mutex);
    m_queue.push_back(&me);
    for (;;) {
      if (me.done) {
        return std::move(*me.result);
      }
      if (m_writers == m_max_writers || !me.waiting) {
        m_done.wait(lock);  // me is in a batch being written, or no writer is free
        continue;
      }
      ++m_writers;
      std::vector<Item*> batch = take_batch();
      lock.unlock();
      write_batch(batch, write);
      lock.lock();
      for (Item* item : batch) {
        item->done = true;
      }
      --m_writers;
      m_done.notify_all();
    }
  }

  // Runs write on a batch; an exception from it answers the items it left
  // without a result with an internal error.
  template <class Write>
  static void write_batch(std::vector<Item*>& batch, Write& write) {
    try {
      write(batch);
    } catch (...) {
      for (Item* item : batch) {
        if (!item->result) {
          item->result = Result<T>(make_error(ErrorKind::internal, "the batch's write failed"));
        }
      }
    }
  }

 private:
  std::vector<Item*> take_batch() {
    std::size_t n = std::min(m_queue.size(), m_max_batch);
    std::vector<Item*> batch(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(n));
    for (Item* item : batch) {
      item->waiting = false;
    }
    m_queue.erase(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(n));
    return batch;
  }

  const std::size_t m_max_batch;
  const int m_max_writers;
  std::mutex m_mutex;
  std::condition_variable m_done;
  std::vector<Item*> m_queue;  // waiting for a batch, oldest first
  int m_writers = 0;           // batches being written
};

// The same group commit for callers that must not wait (the HTTP loop): a
// request is queued with what to do with its result, and returns at once.
// Up to `threads` threads of its own each take every request queued by then
// (at most max_batch), write them as one batch with the same write function
// as Combiner's, and hand each request its result. The threads start with
// the first request. stop() (or the destructor) lets them write every
// request already queued, then joins them; a request after that is answered
// at once with a shutting_down error. done must not throw: it is the HTTP
// loop's hand-off, and a request it leaves unanswered would hold its
// connection for ever; an exception from it ends fnqd (std::terminate, which
// logs it), as one from the SQLite writer's completions does.
template <class Request, class T>
class AsyncCombiner {
 public:
  using Item = typename Combiner<Request, T>::Item;
  using Done = std::function<void(Result<T>)>;
  using Write = std::function<void(std::vector<Item*>&)>;

  AsyncCombiner(std::size_t max_batch, int threads, Write write)
      : m_max_batch(max_batch < 1 ? 1 : max_batch),
        m_thread_count(threads < 1 ? 1 : threads),
        m_write(std::move(write)) {}
  ~AsyncCombiner() { stop(); }
  AsyncCombiner(const AsyncCombiner&) = delete;
  AsyncCombiner& operator=(const AsyncCombiner&) = delete;

  void submit(Request request, Done done) {
    std::unique_lock<std::mutex> lock(m_mutex);
    if (m_stopped) {
      lock.unlock();
      done(Result<T>(make_error(ErrorKind::shutting_down, "the store is closed")));
      return;
    }
    if (m_threads.empty()) {
      try {
        for (int i = 0; i < m_thread_count; ++i) {
          m_threads.emplace_back([this] { run(); });
        }
      } catch (const std::system_error&) {
        if (m_threads.empty()) {  // no thread to write it: say so now
          lock.unlock();
          done(Result<T>(make_error(ErrorKind::unavailable, "cannot start a thread to write")));
          return;
        }
      }
    }
    m_queue.push_back(std::make_unique<Queued>(Queued{std::move(request), std::move(done)}));
    m_ready.notify_one();
  }

  // Returns once every request queued before it is answered, whoever calls
  // it and however often (a second caller waits for the first).
  void stop() {
    std::lock_guard<std::mutex> stopping(m_stop_mutex);
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_stopped = true;
    }
    m_ready.notify_all();
    for (std::thread& t : m_threads) {
      if (t.get_id() == std::this_thread::get_id()) {
        t.detach();  // stopped from one of its own completions: it ends by itself
      } else if (t.joinable()) {
        t.join();
      }
    }
    m_threads.clear();
  }

 private:
  struct Queued {
    Request request;
    Done done;
  };

  void run() {
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
      m_ready.wait(lock, [this] { return m_stopped || !m_queue.empty(); });
      if (m_queue.empty()) {
        return;  // stopped, and every request queued is written
      }
      std::size_t n = std::min(m_queue.size(), m_max_batch);
      std::vector<std::unique_ptr<Queued>> taken;
      taken.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        taken.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
      }
      lock.unlock();
      std::vector<Item> items;
      items.reserve(n);
      std::vector<Item*> batch;
      batch.reserve(n);
      for (auto& q : taken) {
        items.push_back(Item{&q->request, std::nullopt});
        batch.push_back(&items.back());
      }
      Combiner<Request, T>::write_batch(batch, m_write);
      for (std::size_t i = 0; i < n; ++i) {
        taken[i]->done(std::move(*items[i].result));
      }
      taken.clear();
      lock.lock();
    }
  }

  const std::size_t m_max_batch;
  const int m_thread_count;
  const Write m_write;
  std::mutex m_stop_mutex;  // held by stop() while it joins
  std::mutex m_mutex;
  std::condition_variable m_ready;
  std::deque<std::unique_ptr<Queued>> m_queue;  // oldest first
  bool m_stopped = false;
  std::vector<std::thread> m_threads;  // started with the first request
};

}  // namespace fnq
