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
#include <mutex>
#include <optional>
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

  const std::size_t m_max_batch;
  const int m_max_writers;
  std::mutex m_mutex;
  std::condition_variable m_done;
  std::vector<Item*> m_queue;  // waiting for a batch, oldest first
  int m_writers = 0;           // batches being written
};

}  // namespace fnq
