#pragma once
// Runs attempts as child processes. One event-loop thread owns every child:
// it spawns them (so PR_SET_PDEATHSIG, which follows the spawning thread,
// fires only when the daemon itself dies), feeds stdin, drains stdout and
// stderr, enforces exec_timeout and kill_grace, and reaps.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/model.h"

namespace fnq {

struct ExecRequest {
  std::string call_id;
  int attempt = 0;
  std::vector<std::string> argv;              // argv[0] searched in PATH if it has no '/'
  std::vector<std::string> env;               // complete environment, "NAME=value"
  std::string workdir;                        // empty: inherit
  std::string input;                          // written to stdin, which is then closed
  std::chrono::milliseconds exec_timeout{0};  // 0: none
  std::chrono::milliseconds kill_grace{5000};
  std::uint64_t max_output = 4u << 20;  // stdout bytes kept
  std::size_t max_stderr = 64u << 10;   // last bytes of stderr kept
};

struct ExecResult {
  std::string call_id;
  int attempt = 0;
  // succeeded | failed | timed_out | cancelled. `interrupted` results (the
  // daemon stopped the child for shutdown) carry state failed and must be
  // requeued, not finished.
  CallState state = CallState::failed;
  bool interrupted = false;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string
      error;  // "" on success; "exit status 3", "killed by signal 9",
              // "exec_timeout 30s exceeded", "cannot execute 'x': No such file or directory"
  std::string output;
  bool output_truncated = false;
  std::uint64_t output_size = 0;  // total bytes written to stdout
  std::string stderr_tail;
  std::int64_t started_at = 0;  // ms since epoch
  std::int64_t finished_at = 0;
};

// What the scheduler needs from whatever runs its attempts. The real one is
// EventLoopExecutor; scheduler unit tests put a fake in its place that runs
// nothing and finishes attempts when the test says so.
class Executor {
 public:
  using OnDone = std::function<void(ExecResult)>;

  virtual ~Executor() = default;
  // Thread-safe and non-blocking. on_done (given when the executor was
  // made) is called exactly once per start(), unless the executor is
  // destroyed first.
  virtual void start(ExecRequest request) = 0;
  // Stops the call's attempt; its result has state cancelled. No effect if
  // the call is not running.
  virtual void cancel(const std::string& call_id) = 0;
  // For graceful stop: like cancel for every attempt, but results are
  // marked interrupted.
  virtual void interrupt_all() = 0;
  // Attempts passed to start() whose result has not yet been handed to
  // on_done. Thread-safe.
  virtual std::size_t running() const = 0;
};

// Makes the scheduler's executor, given where results go.
using ExecutorFactory = std::function<std::unique_ptr<Executor>(Executor::OnDone)>;

class EventLoopExecutor final : public Executor {
 public:
  // on_done runs on the executor thread, once per start(); it must not block
  // for long, must not throw, and may call start()/cancel() but must not
  // destroy the Executor. Throws std::runtime_error (or std::system_error)
  // if the loop's epoll, eventfd or thread cannot be set up.
  explicit EventLoopExecutor(OnDone on_done);
  // Kills every child still running (SIGKILL to its group) and joins. Their
  // results, and those of starts not yet begun, are dropped: on_done is not
  // called for them.
  ~EventLoopExecutor() override;
  EventLoopExecutor(const EventLoopExecutor&) = delete;
  EventLoopExecutor& operator=(const EventLoopExecutor&) = delete;

  void start(ExecRequest request) override;
  // SIGTERM to the call's process group, SIGKILL after its kill_grace.
  void cancel(const std::string& call_id) override;
  void interrupt_all() override;
  // Counted down just before on_done runs.
  std::size_t running() const override;

 private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace fnq
