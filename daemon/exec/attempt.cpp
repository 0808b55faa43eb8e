#include "daemon/exec/attempt.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "common/timeutil.h"
#include "common/units.h"
#include "daemon/exec/escapes.h"

namespace fnq {
namespace {

constexpr std::size_t k_read_chunk = 64 * 1024;
// Reads per event, so that one chatty child cannot starve the others.
constexpr int k_reads_per_event = 4;

// The result of an attempt that ended on its own.
void set_natural_outcome(ExecResult& r) {
  if (r.exit_code == 0) {
    r.state = CallState::succeeded;
    r.error.clear();
  } else if (r.exit_code) {
    r.error = "exit status " + std::to_string(*r.exit_code);
  } else if (r.signal) {
    r.error = "killed by signal " + std::to_string(*r.signal);
  } else {
    r.error = "exit status unknown";  // reaped by someone else
  }
}

}  // namespace

Attempt::Attempt(ExecRequest request, Spawned spawned, Epoll& epoll, std::uint64_t serial,
                 std::int64_t started_at)
    : m_request(std::move(request)),
      m_epoll(epoll),
      m_serial(serial),
      m_started_at(started_at),
      m_child(std::move(spawned.process)),
      m_stdin(std::move(spawned.stdin_write)),
      m_stdout(std::move(spawned.stdout_read)),
      m_stderr(std::move(spawned.stderr_read)),
      m_output(m_request.max_output),
      m_errors(m_request.max_stderr) {
  if (m_request.exec_timeout.count() > 0) {
    m_exec_deadline = Clock::now() + m_request.exec_timeout;
  }
  if (m_request.input.empty()) {
    m_stdin.reset();  // EOF at once
  }
}

Attempt::~Attempt() {
  close_watched(m_stdin);
  close_watched(m_stdout);
  close_watched(m_stderr);
  if (m_child.unreaped()) {
    m_epoll.remove(m_child.pidfd());
  }
  // m_child's destructor kills and reaps it.
}

Status Attempt::watch() {
  if (m_stdin.valid()) {
    FNQ_TRY(m_epoll.add(m_stdin.get(), EPOLLOUT, key(Channel::input)));
  }
  FNQ_TRY(m_epoll.add(m_stdout.get(), EPOLLIN, key(Channel::output)));
  FNQ_TRY(m_epoll.add(m_stderr.get(), EPOLLIN, key(Channel::errors)));
  FNQ_TRY(m_epoll.add(m_child.pidfd(), EPOLLIN, key(Channel::exit)));
  return {};
}

std::uint64_t Attempt::key(Channel channel) const {
  return (m_serial << k_channel_bits) | static_cast<std::uint64_t>(channel);
}

void Attempt::on_event(Channel channel) {
  switch (channel) {
    case Channel::input:
      if (m_stdin.valid()) {
        write_input();
      }
      break;
    case Channel::output:
      if (m_stdout.valid()) {
        read_from(m_stdout, channel);
      }
      break;
    case Channel::errors:
      if (m_stderr.valid()) {
        read_from(m_stderr, channel);
      }
      break;
    case Channel::exit:
      if (m_child.unreaped()) {
        on_exit();
      }
      break;
  }
}

void Attempt::write_input() {
  const std::string& input = m_request.input;
  while (m_input_written < input.size()) {
    ssize_t n =
        ::write(m_stdin.get(), input.data() + m_input_written, input.size() - m_input_written);
    if (n > 0) {
      m_input_written += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else {
      break;  // EPIPE: a child that does not read its input is fine
    }
  }
  close_watched(m_stdin);
  std::string().swap(m_request.input);  // inputs can be large
}

void Attempt::read_from(Fd& fd, Channel channel) {
  char buf[k_read_chunk];
  for (int i = 0; i < k_reads_per_event; ++i) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      auto size = static_cast<std::size_t>(n);
      if (channel == Channel::output) {
        m_output.append(buf, size);
      } else {
        m_errors.append(buf, size);
      }
      if (size < sizeof buf) {
        return;  // drained for now
      }
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else {
      close_watched(fd);  // EOF, or an error that will not go away
      return;
    }
  }
}

void Attempt::on_exit() {
  m_epoll.remove(m_child.pidfd());
  m_wait_status = m_child.reap_exited();
  // What left the group (setsid, a double fork) must not outlive the call either.
  kill_escaped_processes(m_request.call_id);
  m_exec_deadline.reset();
  m_kill_deadline.reset();
  close_watched(m_stdin);
  if (m_stdout.valid() || m_stderr.valid()) {
    m_drain_deadline = Clock::now() + k_drain_limit;
  }
}

void Attempt::close_watched(Fd& fd) {
  if (fd.valid()) {
    m_epoll.remove(fd.get());
    fd.reset();
  }
}

void Attempt::stop(StopReason reason) {
  if (m_reason != StopReason::none || !m_child.unreaped()) {
    return;
  }
  m_reason = reason;
  m_exec_deadline.reset();
  m_child.signal(SIGTERM);
  m_kill_deadline = Clock::now() + std::max(m_request.kill_grace, std::chrono::milliseconds(0));
}

void Attempt::on_tick(Clock::time_point now) {
  if (m_exec_deadline && now >= *m_exec_deadline) {
    stop(StopReason::timeout);
  }
  if (m_kill_deadline && now >= *m_kill_deadline) {
    m_kill_deadline.reset();
    m_child.signal(SIGKILL);
  }
  if (m_drain_deadline && now >= *m_drain_deadline) {
    m_drain_deadline.reset();
    close_watched(m_stdout);
    close_watched(m_stderr);
  }
}

std::optional<Attempt::Clock::time_point> Attempt::next_deadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& deadline : {m_exec_deadline, m_kill_deadline, m_drain_deadline}) {
    if (deadline && (!next || *deadline < *next)) {
      next = deadline;
    }
  }
  return next;
}

bool Attempt::finished() const {
  return !m_child.unreaped() && !m_stdout.valid() && !m_stderr.valid();
}

ExecResult Attempt::take_result() {
  ExecResult r;
  r.call_id = m_request.call_id;
  r.attempt = m_request.attempt;
  r.started_at = m_started_at;
  r.finished_at = now_ms();
  r.output_size = m_output.total();
  r.output_truncated = m_output.truncated();
  r.output = m_output.take();
  r.stderr_tail = m_errors.take();
  if (m_wait_status && WIFEXITED(*m_wait_status)) {
    r.exit_code = WEXITSTATUS(*m_wait_status);
  } else if (m_wait_status && WIFSIGNALED(*m_wait_status)) {
    r.signal = WTERMSIG(*m_wait_status);
  }
  r.state = CallState::failed;
  switch (m_reason) {
    case StopReason::timeout:
      r.state = CallState::timed_out;
      r.error = "exec_timeout " + format_duration(m_request.exec_timeout) + " exceeded";
      break;
    case StopReason::cancel:
      r.state = CallState::cancelled;
      r.error = "cancelled";
      break;
    case StopReason::interrupt:
      r.interrupted = true;
      r.error = "interrupted by daemon shutdown";
      break;
    case StopReason::none: set_natural_outcome(r); break;
  }
  return r;
}

}  // namespace fnq
