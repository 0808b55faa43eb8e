#pragma once
// Moves calls through their states: promotes due waiting calls, claims
// runnable ones up to --max-inflight and each function's concurrency, starts
// them on the executor, and records each attempt's outcome (retrying with
// backoff). One thread; it sleeps until there is work or a timer is due.
//
// Seams (SchedulerSeams): time comes from a Clock, attempts run on an
// Executor made by a factory; the store is the Store interface. Unit tests
// give it a fake clock, a fake executor and a store that fails on demand.
//
// An outcome the store refuses (disk full, I/O error, busy) is kept in
// memory and written again with backoff until the store takes it; until
// then its call still holds its slot (--max-inflight and the function's
// concurrency), as the store still shows it running. A stop that cannot
// write them within the grace logs which calls' outcomes were lost.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/clock.h"
#include "daemon/config.h"
#include "daemon/exec/executor.h"
#include "daemon/functions.h"
#include "daemon/scheduler_outcomes.h"
#include "daemon/store/store.h"
#include "daemon/terminal.h"

namespace fnq {

class Metrics;

// What the scheduler is built from besides the daemon's parts. The daemon
// leaves them empty; tests fill them.
struct SchedulerSeams {
  Clock* clock = nullptr;                // nullptr: the system clock
  ExecutorFactory make_executor;         // empty: an EventLoopExecutor
  std::function<double()> retry_jitter;  // in [-1, 1]; empty: random_jitter
};

// What a cancel did. finishing: the call's process has ended but its
// outcome is not recorded yet (the store refused it; it is being retried),
// so there is nothing to cancel and the outcome will stand.
enum class CancelAnswer { cancelled, cancelling, already_terminal, finishing };
const char* to_string(CancelAnswer answer);

class Scheduler {
 public:
  // on_terminal: called with calls that became terminal (see
  // daemon/terminal.h); on the scheduler thread, or the canceller's.
  using OnTerminal = fnq::OnTerminal;

  Scheduler(const DaemonConfig& config, Store& store, FunctionRegistry& functions, Metrics& metrics,
            OnTerminal on_terminal, SchedulerSeams seams = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Recovers calls left running by an earlier daemon, then starts the thread.
  Status start();
  // New work may be runnable (a retry, a cancel, a function change).
  void wake();
  // Calls were stored that become due at run_at (epoch ms) at the earliest.
  // Wakes the thread only if it would sleep past run_at: a stream of
  // delayed submits then costs the scheduler no wake-up and no read each.
  void wake_for_due(std::int64_t run_at);
  // Cancels a call in any state; a running one is killed and ends cancelled.
  Result<CancelAnswer> cancel(const std::string& id);
  // Stops the processes of these (running) calls, e.g. after a forced
  // delete; each ends cancelled. Thread-safe; done on the scheduler thread.
  void kill_running(const std::vector<std::string>& ids);
  // Graceful stop: claims nothing more, lets running calls finish (and
  // unrecorded outcomes be written) for up to grace, then interrupts the
  // rest and puts them back to queued. Logs the outcomes it could not write.
  // Safe when start() failed or was never called.
  void drain(Millis grace);
  // Calls running: with a process, or with an outcome not yet recorded.
  std::size_t running() const;
  // Outcomes kept because the store refused them.
  std::size_t unrecorded() const;

 private:
  struct Running {
    std::string function;
    int attempt = 0;
    int max_retries = 0;
    Millis retry_backoff{0};
    std::int64_t started_at = 0;
    bool has_callback = false;  // a callback_url: its end may make a callback due
  };

  void run();
  void on_exec_done(ExecResult result);
  // When the thread must wake up by itself (a due call, a prune, a retry of
  // the store), as epoch ms.
  std::int64_t wake_at(std::optional<std::int64_t> next_due, bool draining) const;
  // Ends the attempts of these results, then records their outcomes.
  void process_results(std::vector<ExecResult> results, std::int64_t now, bool claim_next);
  // The outcome of a result (retry decided), or nothing for an interrupted
  // one, which is put back to queued.
  std::optional<FinishedAttempt> end_attempt(ExecResult&& r, std::int64_t now);
  // Writes these outcomes with those kept from earlier and, if claim_next,
  // claims and starts what may run next in the same transaction. Keeps them
  // for later if the store refuses them or is being backed off from.
  void record(std::vector<FinishedAttempt> outcomes, std::int64_t now, bool claim_next);
  // Tells about the calls that became terminal in a recorded batch.
  // has_callback[i]: whether outcomes[i]'s call has a callback_url.
  void report_terminal(const std::vector<AttemptOutcome>& outcomes,
                       const std::vector<bool>& has_callback,
                       const std::vector<FinishResult>& finished);
  void publish_counts();  // m_running_count and m_unrecorded_ids, for other threads
  void log_lost_outcomes();
  int free_slots() const;  // --max-inflight minus calls running
  std::vector<std::string> saturated_functions() const;
  // Starts claimed calls; true if some went back to queued because their
  // function had no room left.
  bool start_claimed(const std::vector<ClaimedCall>& claimed, std::int64_t now);
  void stop_attempts(const std::vector<std::string>& ids);
  std::optional<std::int64_t> promote_and_claim(std::int64_t now);
  // Puts a claimed call that may not start yet back to queued; one the
  // store refuses is kept and tried again before the next claim.
  void put_back(const std::string& id, int attempt);
  bool retry_put_back();  // true when none is left
  void start_attempt(const ClaimedCall& claimed, const Function& f);
  std::vector<std::string> build_env(const Call& call, const Function& f) const;
  void prune_if_due(std::int64_t now);

  const DaemonConfig& m_config;
  Store& m_store;
  FunctionRegistry& m_functions;
  Metrics& m_metrics;
  OnTerminal m_on_terminal;
  Clock& m_clock;
  ExecutorFactory m_make_executor;
  std::function<double()> m_retry_jitter;
  std::vector<std::string> m_base_env;

  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_woken = true;
  std::int64_t m_sleep_until = 0;  // epoch ms the thread sleeps until; 0: not sleeping
  bool m_draining = false;
  bool m_drain_seen = false;  // the thread has seen m_draining: no more claims
  bool m_stop = false;
  std::vector<ExecResult> m_done;
  std::vector<std::string> m_to_stop;        // calls to cancel, see kill_running
  std::map<std::string, Running> m_running;  // by call id; scheduler thread
  // Calls per function holding a slot: running, or with an unrecorded outcome.
  std::map<std::string, int> m_running_by_function;
  UnrecordedOutcomes m_unrecorded;                      // scheduler thread
  std::vector<std::pair<std::string, int>> m_put_back;  // (id, attempt); scheduler thread
  std::size_t m_running_count = 0;         // processes; guarded by m_mutex, for drain()
  std::set<std::string> m_unrecorded_ids;  // guarded by m_mutex, for cancel()
  std::int64_t m_next_prune = 0;

  std::unique_ptr<Executor> m_executor;
  std::thread m_thread;
};

}  // namespace fnq
