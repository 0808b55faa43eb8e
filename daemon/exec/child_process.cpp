#include "daemon/exec/child_process.h"

#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <utility>

namespace fnq {

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_pidfd(std::move(other.m_pidfd)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    m_pid = std::exchange(other.m_pid, -1);
    m_pidfd = std::move(other.m_pidfd);
  }
  return *this;
}

void ChildProcess::signal(int sig) noexcept {
  if (m_pid <= 0) {
    return;
  }
  // ESRCH for an empty group (the leader left it) is expected.
  ::kill(-m_pid, sig);
  ::kill(m_pid, sig);
}

std::optional<int> ChildProcess::reap_exited() noexcept {
  if (m_pid <= 0) {
    return std::nullopt;
  }
  // Still a zombie here, so the pgid cannot have been reused yet.
  ::kill(-m_pid, SIGKILL);
  std::optional<int> status = wait_leader();
  m_pid = -1;
  m_pidfd.reset();
  return status;
}

void ChildProcess::kill_and_reap() noexcept {
  if (m_pid <= 0) {
    return;
  }
  signal(SIGKILL);
  wait_leader();
  m_pid = -1;
  m_pidfd.reset();
}

std::optional<int> ChildProcess::wait_leader() noexcept {
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(m_pid, &status, 0);
    if (r == m_pid) {
      return status;
    }
    if (r < 0 && errno != EINTR) {
      return std::nullopt;  // ECHILD: reaped elsewhere
    }
  }
}

}  // namespace fnq
