#pragma once
// Moves calls through their states: promotes due waiting calls, claims
// runnable ones up to --max-inflight and each function's concurrency, starts
// them on the executor, and records each attempt's outcome (retrying with
// backoff). One thread; it sleeps until there is work or a timer is due.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config.h"
#include "daemon/exec/executor.h"
#include "daemon/functions.h"
#include "daemon/store/store.h"

namespace fnq {

class Metrics;

class Scheduler {
 public:
  // on_terminal: called (on the scheduler thread) with calls that became terminal.
  using OnTerminal = std::function<void(const std::vector<std::string>&)>;

  Scheduler(const DaemonConfig& config, Store& store, FunctionRegistry& functions, Metrics& metrics,
            OnTerminal on_terminal);
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
  Result<CancelResult> cancel(const std::string& id);
  // Stops the processes of these (running) calls, e.g. after a forced
  // delete; each ends cancelled. Thread-safe; done on the scheduler thread.
  void kill_running(const std::vector<std::string>& ids);
  // Graceful stop: claims nothing more, lets running calls finish for up to
  // grace, then interrupts the rest and puts them back to queued.
  void drain(Millis grace);
  std::size_t running() const;

 private:
  struct Running {
    std::string function;
    int attempt = 0;
    int max_retries = 0;
    Millis retry_backoff{0};
    std::int64_t started_at = 0;
  };

  void run();
  void on_exec_done(ExecResult result);
  // Records outcomes and, if claim_next, claims and starts what may run next
  // in the same transaction.
  void process_results(std::vector<ExecResult> results, std::int64_t now, bool claim_next);
  int free_slots() const;  // --max-inflight minus calls running
  std::vector<std::string> saturated_functions() const;
  // Starts claimed calls; true if some went back to queued because their
  // function had no room left.
  bool start_claimed(const std::vector<ClaimedCall>& claimed, std::int64_t now);
  void stop_attempts(const std::vector<std::string>& ids);
  std::optional<std::int64_t> promote_and_claim(std::int64_t now);
  void start_attempt(const ClaimedCall& claimed, const Function& f);
  std::vector<std::string> build_env(const Call& call, const Function& f) const;
  std::int64_t backoff_until(const Running& r, std::int64_t now) const;
  void prune_if_due(std::int64_t now);

  const DaemonConfig& m_config;
  Store& m_store;
  FunctionRegistry& m_functions;
  Metrics& m_metrics;
  OnTerminal m_on_terminal;
  std::vector<std::string> m_base_env;

  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_woken = true;
  std::int64_t m_sleep_until = 0;  // epoch ms the thread sleeps until; 0: not sleeping
  bool m_draining = false;
  bool m_drain_seen = false;  // the thread has seen m_draining: no more claims
  bool m_stop = false;
  std::vector<ExecResult> m_done;
  std::vector<std::string> m_to_stop;  // calls to cancel, see kill_running
  std::map<std::string, Running> m_running;  // by call id; scheduler thread
  std::map<std::string, int> m_running_by_function;
  std::size_t m_running_count = 0;  // guarded by m_mutex, for running()
  std::int64_t m_next_prune = 0;

  std::unique_ptr<Executor> m_executor;
  std::thread m_thread;
};

}  // namespace fnq
