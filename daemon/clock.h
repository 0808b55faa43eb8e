#pragma once
// The time the scheduler reads and waits by. The scheduler never calls
// now_ms() or a timed condition-variable wait itself: it asks its Clock, so
// a test can put a fake one in its place that moves only when the test
// advances it, and wakes the scheduler's timed waits when it does.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "common/timeutil.h"

namespace fnq {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the epoch.
  virtual std::int64_t now_ms() = 0;
  // With lock held (on cv's mutex): waits on cv until pred() holds or this
  // clock reaches deadline_ms (epoch ms); returns pred(). Whoever makes pred
  // true notifies cv under, or after taking, that mutex.
  virtual bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          std::int64_t deadline_ms, const std::function<bool()>& pred) = 0;
};

// The wall clock; timed waits measure on the steady clock, so a change of
// the system time neither cuts a wait short nor stretches it.
class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() override { return fnq::now_ms(); }
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  std::int64_t deadline_ms, const std::function<bool()>& pred) override {
    while (!pred()) {
      std::int64_t left = deadline_ms - now_ms();
      if (left <= 0) {
        return false;
      }
      cv.wait_for(lock, std::chrono::milliseconds(left));
    }
    return true;
  }
};

inline Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

}  // namespace fnq
