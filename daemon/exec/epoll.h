#pragma once
// The executor loop's wake-up sources: an epoll set and an eventfd that
// other threads write to when they enqueue a command.
#include <sys/epoll.h>

#include <cstdint>

#include "common/result.h"
#include "daemon/exec/fd.h"

namespace fnq {

class Epoll {
 public:
  // Throws std::system_error: failing here means the daemon cannot run calls.
  Epoll();
  // Level-triggered; `key` comes back in epoll_event::data.u64.
  Status add(int fd, std::uint32_t events, std::uint64_t key);
  // Must precede closing a watched fd: a copy of it in a process forked
  // meanwhile would otherwise keep the registration (and its stale key) alive.
  void remove(int fd) noexcept;
  // timeout_ms -1: no timeout. Returns the number of events; 0 on timeout or EINTR.
  int wait(epoll_event* events, int max_events, int timeout_ms);

 private:
  Fd m_fd;
};

class EventFd {
 public:
  // Throws std::system_error, like Epoll.
  EventFd();
  int fd() const { return m_fd.get(); }
  // Thread-safe, never blocks.
  void notify() noexcept;
  // Resets the counter so level-triggered epoll stops reporting it.
  void drain() noexcept;

 private:
  Fd m_fd;
};

}  // namespace fnq
