#pragma once
// One running attempt: its child, the daemon's ends of its pipes, what has
// been captured, and its deadlines. Used by the executor thread only.
#include <chrono>
#include <cstdint>
#include <optional>

#include "daemon/exec/epoll.h"
#include "daemon/exec/executor.h"
#include "daemon/exec/output_capture.h"
#include "daemon/exec/spawn.h"

namespace fnq {

// Why the executor ended an attempt early. The first reason wins.
enum class StopReason { none, timeout, cancel, interrupt };

class Attempt {
 public:
  using Clock = std::chrono::steady_clock;
  // The low bits of an epoll key; the attempt's serial number is the rest.
  enum class Channel : std::uint64_t { input = 1, output = 2, errors = 3, exit = 4 };
  static constexpr int k_channel_bits = 3;
  // How long pipes are still read after the leader exited and its group was
  // killed: a process that escaped the group (setsid) may hold them forever.
  static constexpr std::chrono::milliseconds k_drain_limit{1000};

  Attempt(ExecRequest request, Spawned spawned, Epoll& epoll, std::uint64_t serial,
          std::int64_t started_at);
  // Unwatches its fds; the ChildProcess member kills and reaps a live child.
  ~Attempt();
  Attempt(const Attempt&) = delete;
  Attempt& operator=(const Attempt&) = delete;

  // Registers the pipes and the pidfd with epoll.
  Status watch();
  const std::string& call_id() const { return m_request.call_id; }
  // Its fd for `channel` is ready (level-triggered: any leftover comes back).
  void on_event(Channel channel);
  // SIGTERM to the group, SIGKILL after kill_grace. No effect once a reason
  // is set or the leader has exited.
  void stop(StopReason reason);
  // Acts on the deadlines that are due.
  void on_tick(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const;
  // The leader is reaped and its pipes are drained (or abandoned).
  bool finished() const;
  // Only once finished; moves the captured output out.
  ExecResult take_result();

 private:
  std::uint64_t key(Channel channel) const;
  void write_input();
  void read_from(Fd& fd, Channel channel);
  void on_exit();
  void close_watched(Fd& fd);

  ExecRequest m_request;
  Epoll& m_epoll;
  std::uint64_t m_serial;
  std::int64_t m_started_at;
  ChildProcess m_child;
  Fd m_stdin;
  Fd m_stdout;
  Fd m_stderr;
  std::size_t m_input_written = 0;
  HeadCapture m_output;
  TailCapture m_errors;
  StopReason m_reason = StopReason::none;
  std::optional<int> m_wait_status;
  std::optional<Clock::time_point> m_exec_deadline;
  std::optional<Clock::time_point> m_kill_deadline;
  std::optional<Clock::time_point> m_drain_deadline;
};

}  // namespace fnq
