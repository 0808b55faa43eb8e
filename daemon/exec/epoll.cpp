#include "daemon/exec/epoll.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace fnq {

Epoll::Epoll() : m_fd(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!m_fd.valid()) {
    throw std::system_error(errno, std::generic_category(), "epoll_create1");
  }
}

Status Epoll::add(int fd, std::uint32_t events, std::uint64_t key) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = key;
  if (::epoll_ctl(m_fd.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return make_error(ErrorKind::io, "epoll_ctl: " + errno_text(errno));
  }
  return {};
}

void Epoll::remove(int fd) noexcept { ::epoll_ctl(m_fd.get(), EPOLL_CTL_DEL, fd, nullptr); }

int Epoll::wait(epoll_event* events, int max_events, int timeout_ms) {
  int n = ::epoll_wait(m_fd.get(), events, max_events, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) {
      return 0;
    }
    // EBADF/EFAULT/EINVAL: only a bug can cause them.
    throw std::system_error(errno, std::generic_category(), "epoll_wait");
  }
  return n;
}

EventFd::EventFd() : m_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!m_fd.valid()) {
    throw std::system_error(errno, std::generic_category(), "eventfd");
  }
}

void EventFd::notify() noexcept {
  std::uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  [[maybe_unused]] ssize_t n = ::write(m_fd.get(), &one, sizeof one);
}

void EventFd::drain() noexcept {
  std::uint64_t value = 0;
  [[maybe_unused]] ssize_t n = ::read(m_fd.get(), &value, sizeof value);
}

}  // namespace fnq
