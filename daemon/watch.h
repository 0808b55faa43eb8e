#pragma once
// Wakes long polls (?wait, /v1/await, sync routes) when calls they watch
// become terminal. Waiting costs no thread wakeups and no queries: a waiter
// is woken only for its own calls.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace fnq {

class CallWatch {
 public:
  class Subscription {
   public:
    Subscription(CallWatch& watch, std::vector<std::string> ids);
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    // True when one of the ids was reported since the last wait (or since
    // subscribing); false at the deadline or on shutdown.
    bool wait_until(std::chrono::steady_clock::time_point deadline);
    // How many reports of the ids have arrived since subscribing (an id
    // listed twice counts twice per report).
    std::uint64_t reports() const;
    // For a waiter that holds no thread (a parked long poll): calls wake
    // once, when `reports` reports have arrived since subscribing or on
    // shutdown, at once if that has happened already. wake runs with the
    // watch's lock held: it must be quick, must not block, and must not
    // destroy a Subscription.
    void wake_after(std::uint64_t reports, std::function<void()> wake);

   private:
    friend class CallWatch;
    void fire_wake();  // with the watch's lock held
    CallWatch& m_watch;
    std::vector<std::string> m_ids;
    std::uint64_t m_fired = 0;
    std::uint64_t m_seen = 0;
    std::condition_variable m_cv;
    std::function<void()> m_wake;
    std::uint64_t m_wake_at = 0;
  };

  void notify(const std::vector<std::string>& terminal_ids);
  // Wakes every waiter for good (daemon stopping).
  void shutdown();
  std::size_t waiters() const;
  // The ids some request waits for (each once): a cluster host checks them
  // against the store in case another host's notice of them was lost.
  std::vector<std::string> watched_ids() const;

 private:
  mutable std::mutex m_mutex;
  std::unordered_multimap<std::string, Subscription*> m_by_id;
  std::size_t m_waiters = 0;
  bool m_shutdown = false;
};

}  // namespace fnq
