#include "daemon/scheduler.h"

#include <algorithm>
#include <cstdlib>

#include "common/ids.h"
#include "common/timeutil.h"
#include "common/units.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/orphans.h"

namespace fnq {

namespace {

constexpr int k_prune_batch = 500;
constexpr std::int64_t k_prune_interval_ms = 60'000;
constexpr std::int64_t k_min_prune_interval_ms = 100;

// "Content-type" -> "Http_Content_Type", as the OpenFaaS watchdog names them.
std::string watchdog_header_var(const std::string& name) {
  std::string out = "Http_";
  bool upper = true;
  for (char c : name) {
    if (c == '-') {
      out += '_';
      upper = true;
    } else {
      out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                   : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      upper = false;
    }
  }
  return out;
}

// Every minute, or twice per --retention when that is shorter, so that a
// call is never kept much longer than the retention asks.
std::int64_t prune_interval(Millis retention) {
  return std::clamp<std::int64_t>(retention.count() / 2, k_min_prune_interval_ms,
                                  k_prune_interval_ms);
}

}  // namespace

const char* to_string(CancelAnswer answer) {
  switch (answer) {
    case CancelAnswer::cancelled: return "cancelled";
    case CancelAnswer::cancelling: return "cancelling";
    case CancelAnswer::already_terminal: return "already_terminal";
    case CancelAnswer::finishing: return "finishing";
  }
  return "unknown";
}

Scheduler::Scheduler(const DaemonConfig& config, Store& store, FunctionRegistry& functions,
                     Metrics& metrics, OnTerminal on_terminal, SchedulerSeams seams)
    : m_config(config),
      m_store(store),
      m_functions(functions),
      m_metrics(metrics),
      m_on_terminal(std::move(on_terminal)),
      m_clock(seams.clock ? *seams.clock : system_clock()),
      m_make_executor(std::move(seams.make_executor)),
      m_retry_jitter(seams.retry_jitter ? std::move(seams.retry_jitter) : random_jitter) {
  if (!m_make_executor) {
    m_make_executor = [](Executor::OnDone on_done) -> std::unique_ptr<Executor> {
      return std::make_unique<EventLoopExecutor>(std::move(on_done));
    };
  }
  for (const char* name : {"PATH", "HOME", "LANG", "TZ"}) {
    if (const char* v = std::getenv(name)) {
      m_base_env.push_back(std::string(name) + "=" + v);
    }
  }
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
    m_draining = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
  m_executor.reset();
}

Status Scheduler::start() {
  FNQ_TRY_ASSIGN(auto report, m_store.recover_interrupted(m_clock.now_ms()));
  for (const auto& id : report.retried) {
    log_line("call " + id + " was running when the daemon stopped; queued again");
  }
  for (const auto& id : report.failed) {
    log_line("call " + id + " failed: daemon stopped while running; no retries left");
  }
  if (!report.failed.empty()) {
    m_on_terminal(report.failed, CallbackDue::maybe);
  }
  std::vector<std::string> interrupted = report.retried;
  interrupted.insert(interrupted.end(), report.failed.begin(), report.failed.end());
  if (int n = kill_orphaned_processes(interrupted); n > 0) {
    log_line("killed " + std::to_string(n) + " leftover process(es) of interrupted calls");
  }
  m_executor = m_make_executor([this](ExecResult r) { on_exec_done(std::move(r)); });
  m_thread = std::thread([this] { run(); });
  return {};
}

void Scheduler::wake() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_woken = true;
  }
  m_cv.notify_all();
}

void Scheduler::wake_for_due(std::int64_t run_at) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    // Once awake, the thread promotes whatever is due, this call included.
    // A thread in a pass may have read the calls before this one was
    // stored, so it must look again (m_sleep_until is 0 then).
    if (m_sleep_until != 0 && run_at >= m_sleep_until && run_at > m_clock.now_ms()) {
      return;
    }
    m_woken = true;
  }
  m_cv.notify_all();
}

void Scheduler::on_exec_done(ExecResult result) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_done.push_back(std::move(result));
  }
  m_cv.notify_all();
}

std::size_t Scheduler::running() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_running_count + m_unrecorded_ids.size();
}

std::size_t Scheduler::unrecorded() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_unrecorded_ids.size();
}

Result<CancelAnswer> Scheduler::cancel(const std::string& id) {
  std::vector<std::string> terminal;
  FNQ_TRY_ASSIGN(auto result, m_store.cancel(id, m_clock.now_ms(), &terminal));
  switch (result) {
    case CancelResult::running: {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (m_unrecorded_ids.count(id) > 0) {
        return CancelAnswer::finishing;  // no process left; its outcome stands
      }
      break;
    }
    case CancelResult::cancelled:
      log_line("call " + id + " cancelled");
      m_on_terminal(terminal, CallbackDue::maybe);
      wake();  // a freed dependency chain may change what is runnable
      return CancelAnswer::cancelled;
    case CancelResult::already_terminal: return CancelAnswer::already_terminal;
  }
  kill_running({id});
  return CancelAnswer::cancelling;
}

void Scheduler::kill_running(const std::vector<std::string>& ids) {
  // Handed to the scheduler thread: the store may already say running while
  // that thread has yet to start the attempt, and a cancel that reached the
  // executor first would find nothing to stop.
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_to_stop.insert(m_to_stop.end(), ids.begin(), ids.end());
    m_woken = true;
  }
  m_cv.notify_all();
}

void Scheduler::stop_attempts(const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (m_running.count(id) > 0) {  // else it has finished meanwhile
      m_executor->cancel(id);
    }
  }
}

void Scheduler::drain(Millis grace) {
  std::int64_t deadline = m_clock.now_ms() + grace.count();
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_draining = true;
    m_woken = true;
    m_cv.notify_all();
    // An attempt the thread is starting right now must be counted below
    // and reached by interrupt_all(), so wait until it claims no more.
    m_cv.wait(lock, [&] { return m_drain_seen || !m_thread.joinable(); });
    if (!m_thread.joinable()) {
      return;  // never started (or start() failed): nothing runs
    }
    if (m_running_count > 0 || !m_unrecorded_ids.empty()) {
      log_line("stopping: waiting up to " + format_duration(grace) + " for " +
               std::to_string(m_running_count) + " running call(s)" +
               (m_unrecorded_ids.empty() ? std::string()
                                         : " and " + std::to_string(m_unrecorded_ids.size()) +
                                               " unrecorded outcome(s)"));
    }
    m_clock.wait_until(lock, m_cv, deadline,
                       [&] { return m_running_count == 0 && m_unrecorded_ids.empty(); });
  }
  m_executor->interrupt_all();
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_cv.wait(lock, [&] { return m_running_count == 0; });
    m_stop = true;
  }
  m_cv.notify_all();
  m_thread.join();
  log_lost_outcomes();
}

std::int64_t Scheduler::wake_at(std::optional<std::int64_t> next_due, bool draining) const {
  std::int64_t at = std::min(next_due.value_or(INT64_MAX), draining ? INT64_MAX : m_next_prune);
  return std::min(at, m_unrecorded.next_attempt_at().value_or(INT64_MAX));
}

void Scheduler::run() {
  std::optional<std::int64_t> next_due;
  for (;;) {
    std::vector<ExecResult> done;
    std::vector<std::string> to_stop;
    bool draining;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      auto pred = [&] { return m_woken || !m_done.empty() || m_stop; };
      std::int64_t now = m_clock.now_ms();
      std::int64_t wait_ms = wake_at(next_due, m_draining) - now;
      if (wait_ms > 0 && !pred()) {
        m_sleep_until = now + std::min<std::int64_t>(wait_ms, 60'000);
        m_clock.wait_until(lock, m_cv, m_sleep_until, pred);
        m_sleep_until = 0;
      }
      if (m_stop && m_done.empty()) {
        return;
      }
      done.swap(m_done);
      to_stop.swap(m_to_stop);
      m_woken = false;
      draining = m_draining;
      if (draining && !m_drain_seen) {
        m_drain_seen = true;  // every attempt started so far is counted
        m_cv.notify_all();
      }
    }
    std::int64_t now = m_clock.now_ms();
    if (!done.empty() || (!m_unrecorded.empty() && m_unrecorded.due(now))) {
      process_results(std::move(done), now, !draining);
    }
    stop_attempts(to_stop);
    if (!draining) {
      next_due = promote_and_claim(now);
      prune_if_due(now);
    } else {
      next_due.reset();
    }
  }
}

int Scheduler::free_slots() const {
  return m_config.max_inflight - static_cast<int>(m_running.size() + m_unrecorded.size());
}

std::vector<std::string> Scheduler::saturated_functions() const {
  std::vector<std::string> saturated;
  for (const auto& [name, count] : m_running_by_function) {
    auto f = m_functions.find(name);
    if (f && f->concurrency.value_or(0) > 0 && count >= *f->concurrency) {
      saturated.push_back(name);
    }
  }
  return saturated;
}

bool Scheduler::start_claimed(const std::vector<ClaimedCall>& claimed, std::int64_t now) {
  bool over_claimed = false;
  std::vector<FinishedAttempt> orphaned;
  for (const auto& c : claimed) {
    auto f = m_functions.find(c.call.function);
    int limit = f ? f->concurrency.value_or(0) : 0;
    if (f && limit > 0 && m_running_by_function[c.call.function] >= limit) {
      // One batch may hold more calls of a function than it has room for.
      put_back(c.call.id, c.call.attempt);
      over_claimed = true;
      continue;
    }
    if (!f) {
      FinishedAttempt o{AttemptOutcome{}, c.call.function, c.call.callback.has_value()};
      o.outcome.id = c.call.id;
      o.outcome.attempt = c.call.attempt;
      o.outcome.state = CallState::failed;
      o.outcome.error = "function '" + c.call.function + "' no longer exists";
      o.outcome.finished_at = now;
      ++m_running_by_function[c.call.function];  // its slot, until recorded
      orphaned.push_back(std::move(o));
      continue;
    }
    start_attempt(c, *f);
  }
  if (!orphaned.empty()) {
    record(std::move(orphaned), now, false);
  }
  return over_claimed;
}

void Scheduler::put_back(const std::string& id, int attempt) {
  auto s = m_store.requeue(id, attempt);
  if (!s) {
    // Left running in the store with no process, it would be stranded.
    log_line("cannot put call " + id + " back to queued: " + s.error().message + "; retrying");
    m_put_back.emplace_back(id, attempt);
  }
}

bool Scheduler::retry_put_back() {
  std::vector<std::pair<std::string, int>> pending;
  pending.swap(m_put_back);
  for (const auto& [id, attempt] : pending) {
    if (m_store.requeue(id, attempt)) {
      log_line("call " + id + " put back to queued");
    } else {
      m_put_back.emplace_back(id, attempt);
    }
  }
  return m_put_back.empty();
}

std::optional<std::int64_t> Scheduler::promote_and_claim(std::int64_t now) {
  if (!m_put_back.empty() && !retry_put_back()) {
    return now + 1000;  // try again soon
  }
  auto next_due = m_store.promote_due(now);
  if (!next_due) {
    log_line("cannot promote due calls: " + next_due.error().message);
    return now + 1000;  // try again soon
  }
  int free = free_slots();
  while (free > 0) {
    int asked = free;
    auto claimed = m_store.claim(now, asked, saturated_functions());
    if (!claimed) {
      log_line("cannot claim calls: " + claimed.error().message);
      return now + 1000;
    }
    if (claimed->empty()) {
      break;
    }
    bool over_claimed = start_claimed(*claimed, now);
    free = free_slots();
    if (over_claimed) {
      continue;  // the saturated list now excludes those functions
    }
    if (static_cast<int>(claimed->size()) < asked) {
      break;  // nothing more is queued
    }
  }
  if (!m_put_back.empty()) {
    return std::min(next_due->value_or(INT64_MAX), now + 1000);  // try again soon
  }
  return *next_due;
}

void Scheduler::start_attempt(const ClaimedCall& claimed, const Function& f) {
  const Call& call = claimed.call;
  Running info;
  info.function = call.function;
  info.attempt = call.attempt;
  info.max_retries = call.max_retries;
  info.retry_backoff = f.retry_backoff.value_or(m_config.retry_backoff);
  info.started_at = call.started_at.value_or(m_clock.now_ms());
  info.has_callback = call.callback.has_value();
  m_running[call.id] = info;
  ++m_running_by_function[call.function];
  publish_counts();
  ExecRequest req;
  req.call_id = call.id;
  req.attempt = call.attempt;
  req.argv = f.command;
  req.env = build_env(call, f);
  req.workdir = f.workdir;
  req.input = claimed.input;
  // Clamped: a call stored before ranges were checked may hold any value.
  req.exec_timeout =
      clamp_duration(call.exec_timeout.value_or(f.exec_timeout.value_or(m_config.exec_timeout)));
  req.kill_grace = clamp_duration(f.kill_grace.value_or(m_config.kill_grace));
  req.max_output = f.max_output.value_or(m_config.max_output);
  log_line("call " + call.id + " " + call.function + " attempt " + std::to_string(call.attempt) +
           " started");
  m_executor->start(std::move(req));
}

std::vector<std::string> Scheduler::build_env(const Call& call, const Function& f) const {
  // Daemon basics, then the function's env, then fnq's and the watchdog's
  // variables; later entries win. Nothing from the submitting client.
  std::map<std::string, std::string> vars;
  for (const auto& kv : m_base_env) {
    auto eq = kv.find('=');
    vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : f.env) {
    vars[k] = v;
  }
  vars["FNQ_CALL_ID"] = call.id;
  vars["FNQ_FUNCTION"] = call.function;
  vars["FNQ_ATTEMPT"] = std::to_string(call.attempt);
  vars["Http_Method"] = call.request.method;
  vars["Http_Path"] = call.request.path;
  if (!call.request.query.empty()) {
    vars["Http_Query"] = call.request.query;
  }
  for (const auto& [name, value] : call.request.headers) {
    std::string var = watchdog_header_var(name);
    vars.emplace(var, value);  // first value only, as the watchdog does
  }
  std::vector<std::string> env;
  env.reserve(vars.size());
  for (const auto& [k, v] : vars) {
    env.push_back(k + "=" + v);
  }
  return env;
}

void Scheduler::prune_if_due(std::int64_t now) {
  if (now < m_next_prune) {
    return;
  }
  auto deleted = m_store.prune(now - m_config.retention.count(), k_prune_batch);
  if (!deleted) {
    log_line("cannot prune: " + deleted.error().message);
    m_next_prune = now + prune_interval(m_config.retention);
    return;
  }
  if (*deleted > 0) {
    log_line("pruned " + std::to_string(*deleted) + " finished call(s) older than " +
             format_duration(m_config.retention));
  }
  // A full batch means more are due: come back soon, without starving claims.
  m_next_prune = now + (*deleted == k_prune_batch ? k_min_prune_interval_ms
                                                  : prune_interval(m_config.retention));
}

}  // namespace fnq
