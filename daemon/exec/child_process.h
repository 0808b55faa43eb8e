#pragma once
// The leader process of one attempt. It runs in its own process group
// (pgid == pid), so one kill(-pgid) reaches the whole tree it started, and it
// is watched through a pidfd, which becomes readable when it exits.
//
// Until the leader is reaped its pid (and so its pgid) cannot be reused, so
// signalling them is safe; once reaped, nothing is signalled any more.
// The owner must be the only one reaping it (SIGCHLD must not be SIG_IGN).
#include <sys/types.h>

#include <optional>

#include "daemon/exec/fd.h"

namespace fnq {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(pid_t pid, Fd pidfd) : m_pid(pid), m_pidfd(std::move(pidfd)) {}
  // Kills and reaps a leader that is still unreaped.
  ~ChildProcess() { kill_and_reap(); }
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return m_pid; }
  int pidfd() const { return m_pidfd.get(); }
  // Spawned and not yet reaped.
  bool unreaped() const { return m_pid > 0; }

  // Sends sig to the process group and to the leader itself (it may have
  // moved to another group). No effect once reaped.
  void signal(int sig) noexcept;

  // Call once the pidfd is readable (the leader has exited): SIGKILLs what
  // is left of its group, since a call's processes never outlive it, then
  // reaps the leader and closes the pidfd. Returns the wait status, or
  // nullopt if someone else reaped it.
  std::optional<int> reap_exited() noexcept;

  // SIGKILL to the group and the leader, then waits for the leader.
  void kill_and_reap() noexcept;

 private:
  std::optional<int> wait_leader() noexcept;

  pid_t m_pid = -1;
  Fd m_pidfd;
};

}  // namespace fnq
