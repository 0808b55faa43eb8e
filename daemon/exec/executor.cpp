#include "daemon/exec/executor.h"

#include <pthread.h>

#include <array>
#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <variant>

#include "common/timeutil.h"
#include "daemon/exec/attempt.h"
#include "daemon/exec/epoll.h"
#include "daemon/exec/spawn.h"

namespace fnq {
namespace {

// Requests from other threads, applied on the executor thread in order
// (so a cancel right after a start finds the attempt).
struct Command {
  enum class Kind { start, cancel, interrupt_all };
  Kind kind = Kind::start;
  ExecRequest request;  // start
  std::string call_id;  // cancel
};

constexpr std::uint64_t k_wake_key = 0;  // attempt serials start at 1
constexpr int k_max_events = 64;

// spawn_attempt relies on this (a vfork child must not run daemon handlers),
// and so does stdin feeding: a write to a pipe whose reader is gone gives
// EPIPE instead of killing the daemon. The daemon takes its signals elsewhere.
void block_all_signals() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

}  // namespace

class EventLoopExecutor::Impl {
 public:
  explicit Impl(OnDone on_done) : m_on_done(std::move(on_done)) {
    if (!m_epoll.add(m_wake.fd(), EPOLLIN, k_wake_key)) {
      throw std::runtime_error("cannot watch the executor's eventfd");
    }
    m_thread = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_stopping = true;
    }
    m_wake.notify();
    m_thread.join();
  }

  void push(Command command) {
    if (command.kind == Command::Kind::start) {
      ++m_running;
    }
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_commands.push_back(std::move(command));
    }
    m_wake.notify();
  }

  std::size_t running() const { return m_running.load(); }

 private:
  void run();
  int wait_timeout_ms() const;
  void dispatch(const epoll_event& event);
  bool apply_commands();  // false once the executor is being destroyed
  void start_attempt(ExecRequest request);
  void stop_attempts(const std::string* call_id, StopReason reason);
  void finish_done_attempts();
  void report(ExecResult result);

  OnDone m_on_done;
  Epoll m_epoll;
  EventFd m_wake;
  std::atomic<std::size_t> m_running{0};

  std::mutex m_mutex;
  std::vector<Command> m_commands;  // guarded by m_mutex
  bool m_stopping = false;          // guarded by m_mutex

  // Executor thread only.
  std::map<std::uint64_t, std::unique_ptr<Attempt>> m_attempts;
  std::uint64_t m_next_serial = 1;
  ExecPaths m_paths;  // where each command was found

  std::thread m_thread;  // last: starts once everything above exists
};

void EventLoopExecutor::Impl::run() {
  block_all_signals();
  pthread_setname_np(pthread_self(), "fnq-exec");  // shows in top -H, gdb
  std::array<epoll_event, k_max_events> events{};
  for (;;) {
    int n = m_epoll.wait(events.data(), k_max_events, wait_timeout_ms());
    for (int i = 0; i < n; ++i) {
      dispatch(events[static_cast<std::size_t>(i)]);
    }
    auto now = Attempt::Clock::now();
    for (auto& [serial, attempt] : m_attempts) {
      attempt->on_tick(now);
    }
    if (!apply_commands()) {
      break;
    }
    finish_done_attempts();
  }
  // Kills and reaps every child on the thread that spawned them; their
  // results are dropped, as whoever would take them is going away.
  m_attempts.clear();
}

int EventLoopExecutor::Impl::wait_timeout_ms() const {
  std::optional<Attempt::Clock::time_point> next;
  for (const auto& [serial, attempt] : m_attempts) {
    auto deadline = attempt->next_deadline();
    if (deadline && (!next || *deadline < *next)) {
      next = deadline;
    }
  }
  if (!next) {
    return -1;
  }
  auto left = *next - Attempt::Clock::now();
  if (left <= Attempt::Clock::duration::zero()) {
    return 0;
  }
  // Rounded up, so the loop does not wake just before the deadline and spin.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, 1 << 30));
}

void EventLoopExecutor::Impl::dispatch(const epoll_event& event) {
  if (event.data.u64 == k_wake_key) {
    m_wake.drain();
    return;
  }
  // An earlier event of the same batch may have finished this attempt.
  auto it = m_attempts.find(event.data.u64 >> Attempt::k_channel_bits);
  if (it != m_attempts.end()) {
    auto mask = (std::uint64_t{1} << Attempt::k_channel_bits) - 1;
    it->second->on_event(static_cast<Attempt::Channel>(event.data.u64 & mask));
  }
}

bool EventLoopExecutor::Impl::apply_commands() {
  std::vector<Command> commands;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_stopping) {
      return false;
    }
    commands.swap(m_commands);
  }
  for (auto& command : commands) {
    switch (command.kind) {
      case Command::Kind::start: start_attempt(std::move(command.request)); break;
      case Command::Kind::cancel: stop_attempts(&command.call_id, StopReason::cancel); break;
      case Command::Kind::interrupt_all: stop_attempts(nullptr, StopReason::interrupt); break;
    }
  }
  return true;
}

void EventLoopExecutor::Impl::start_attempt(ExecRequest request) {
  ExecResult failed;  // reported if the command never gets to run
  failed.call_id = request.call_id;
  failed.attempt = request.attempt;
  failed.state = CallState::failed;
  failed.started_at = now_ms();
  auto spawned = spawn_attempt(request, &m_paths);
  if (auto* failure = std::get_if<SpawnFailure>(&spawned)) {
    failed.exit_code = failure->exit_code;
    failed.error = std::move(failure->error);
    failed.finished_at = now_ms();
    report(std::move(failed));
    return;
  }
  std::string name = request.argv[0];
  std::uint64_t serial = m_next_serial++;
  auto attempt =
      std::make_unique<Attempt>(std::move(request), std::move(std::get<Spawned>(spawned)), m_epoll,
                                serial, failed.started_at);
  if (auto watched = attempt->watch(); !watched) {
    attempt.reset();  // kills and reaps the child
    failed.error = "cannot watch '" + name + "': " + watched.error().message;
    failed.finished_at = now_ms();
    report(std::move(failed));
    return;
  }
  m_attempts.emplace(serial, std::move(attempt));
}

void EventLoopExecutor::Impl::stop_attempts(const std::string* call_id, StopReason reason) {
  for (auto& [serial, attempt] : m_attempts) {
    if (call_id == nullptr || attempt->call_id() == *call_id) {
      attempt->stop(reason);
    }
  }
}

void EventLoopExecutor::Impl::finish_done_attempts() {
  for (auto it = m_attempts.begin(); it != m_attempts.end();) {
    if (it->second->finished()) {
      ExecResult result = it->second->take_result();
      it = m_attempts.erase(it);
      report(std::move(result));
    } else {
      ++it;
    }
  }
}

void EventLoopExecutor::Impl::report(ExecResult result) {
  // Counted down first, so on_done already sees the slot free.
  --m_running;
  m_on_done(std::move(result));
}

EventLoopExecutor::EventLoopExecutor(OnDone on_done)
    : m_impl(std::make_unique<Impl>(std::move(on_done))) {}

EventLoopExecutor::~EventLoopExecutor() = default;

void EventLoopExecutor::start(ExecRequest request) {
  Command command;
  command.kind = Command::Kind::start;
  command.request = std::move(request);
  m_impl->push(std::move(command));
}

void EventLoopExecutor::cancel(const std::string& call_id) {
  Command command;
  command.kind = Command::Kind::cancel;
  command.call_id = call_id;
  m_impl->push(std::move(command));
}

void EventLoopExecutor::interrupt_all() {
  Command command;
  command.kind = Command::Kind::interrupt_all;
  m_impl->push(std::move(command));
}

std::size_t EventLoopExecutor::running() const { return m_impl->running(); }

}  // namespace fnq
