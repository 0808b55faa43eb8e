#pragma once
// Fakes for the scheduler's seams: a clock that moves only when the test
// advances it, an executor that runs nothing, and a store that fails on
// demand. With them a scheduler test spawns no process and never sleeps.
//
// The store is the real SQLite store in the test's temp dir behind a
// wrapper that can make any method fail, rather than a hand-written fake:
// the scheduler leans on the store's semantics (claim order, fencing by
// attempt, dependents released or skipped, recovery), and a second
// implementation of them would drift from the real one. SQLite in a temp
// dir costs no process and no wait; the failures the scheduler must
// survive (disk full, I/O errors, busy) are injected at the interface.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/clock.h"
#include "daemon/exec/executor.h"
#include "daemon/store/store.h"

namespace fnq::test {

// Time stands still until advance(). Timed waits registered through
// wait_until() wake when an advance reaches their deadline. wait_idle()
// tells a test when the threads waiting on this clock have nothing to do,
// so it can check or advance without racing them.
// A SQLite store in `path` for a scheduler test (no fsync: the tests do not
// cut power). Fails the test and returns nullptr when it cannot be opened.
inline std::unique_ptr<Store> open_scratch_store(const std::string& path) {
  SqliteOptions opts;
  opts.path = path;
  opts.synchronous_full = false;
  auto store = open_sqlite_store(opts);
  if (!store.ok()) {
    ADD_FAILURE() << "cannot open " << path << ": " << store.error().message;
    return nullptr;
  }
  return std::move(store).value();
}

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t start_ms = 1'800'000'000'000) : m_now(start_ms) {}

  std::int64_t now_ms() override {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_now;
  }

  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  std::int64_t deadline_ms, const std::function<bool()>& pred) override {
    Sleeper me{lock.mutex(), &cv, &pred, deadline_ms};
    change_sleepers([&] { m_sleepers.push_back(&me); });
    while (!pred() && now_ms() < deadline_ms) {
      change_sleepers([] {});  // settled: wait_idle may look again
      cv.wait(lock);
    }
    change_sleepers(
        [&] { m_sleepers.erase(std::find(m_sleepers.begin(), m_sleepers.end(), &me)); });
    return pred();
  }

  void advance(std::chrono::milliseconds d) {
    std::vector<std::pair<std::mutex*, std::condition_variable*>> wake;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_now += d.count();
      for (Sleeper* s : m_sleepers) {
        wake.emplace_back(s->mutex, s->cv);
      }
    }
    // Taking each sleeper's mutex orders this advance before or after its
    // check of the time, never between the check and its wait.
    for (auto& [mutex, cv] : wake) {
      { std::lock_guard<std::mutex> lock(*mutex); }
      cv->notify_all();
    }
  }

  // True once at least `sleepers` threads wait on this clock, each with its
  // condition false and its deadline ahead; false if that takes longer than
  // `timeout` of real time (a failing test, not a measurement).
  bool wait_idle(std::size_t sleepers = 1,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto give_up = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
      std::uint64_t seen = m_changes;
      std::vector<std::mutex*> mutexes;
      for (Sleeper* s : m_sleepers) {
        mutexes.push_back(s->mutex);
      }
      lock.unlock();
      bool idle = mutexes.size() >= sleepers && all_idle(mutexes);
      lock.lock();
      if (idle) {
        return true;
      }
      if (!m_changed.wait_until(lock, give_up, [&] { return m_changes != seen; })) {
        return false;
      }
    }
  }

 private:
  struct Sleeper {
    std::mutex* mutex;
    std::condition_variable* cv;
    const std::function<bool()>* pred;
    std::int64_t deadline;
  };

  template <class F>
  void change_sleepers(F f) {
    std::lock_guard<std::mutex> lock(m_mutex);
    f();
    ++m_changes;
    m_changed.notify_all();
  }

  // Each sleeper is looked at under its own mutex, where it cannot move.
  bool all_idle(std::vector<std::mutex*> mutexes) {
    std::sort(mutexes.begin(), mutexes.end());
    mutexes.erase(std::unique(mutexes.begin(), mutexes.end()), mutexes.end());
    for (std::mutex* m : mutexes) {
      std::lock_guard<std::mutex> held(*m);
      std::vector<Sleeper*> here;
      std::int64_t now;
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        now = m_now;
        for (Sleeper* s : m_sleepers) {
          if (s->mutex == m) {
            here.push_back(s);
          }
        }
      }
      if (here.empty()) {
        return false;
      }
      for (Sleeper* s : here) {
        if ((*s->pred)() || now >= s->deadline) {
          return false;
        }
      }
    }
    return true;
  }

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::uint64_t m_changes = 0;
  std::int64_t m_now;
  std::vector<Sleeper*> m_sleepers;
};

// Stands in for the executor: start() only records the request; the test
// ends attempts with finish(). cancel() and interrupt_all() end them at once.
class FakeRunner {
 public:
  explicit FakeRunner(Clock& clock) : m_clock(clock) {}

  ExecutorFactory factory() {
    return [this](Executor::OnDone on_done) -> std::unique_ptr<Executor> {
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_on_done = std::move(on_done);
      }
      return std::make_unique<Fake>(*this);
    };
  }

  std::vector<ExecRequest> running() {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<ExecRequest> out;
    for (const auto& [id, req] : m_running) {
      out.push_back(req);
    }
    return out;
  }
  std::size_t started() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_started;
  }
  std::vector<std::string> cancelled() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_cancelled;
  }

  // Ends a running attempt as the executor would report it.
  bool finish(const std::string& id, CallState state, std::optional<int> exit_code = 0,
              std::string output = {}) {
    ExecResult r;
    r.state = state;
    r.exit_code = exit_code;
    if (state != CallState::succeeded) {
      r.error = exit_code ? "exit status " + std::to_string(*exit_code) : "failed";
    }
    r.output = std::move(output);
    r.output_size = r.output.size();
    return end(id, std::move(r));
  }

 private:
  class Fake final : public Executor {
   public:
    explicit Fake(FakeRunner& runner) : m_runner(runner) {}
    void start(ExecRequest request) override {
      std::lock_guard<std::mutex> lock(m_runner.m_mutex);
      ++m_runner.m_started;
      m_runner.m_started_at[request.call_id] = m_runner.m_clock.now_ms();
      m_runner.m_running[request.call_id] = std::move(request);
    }
    void cancel(const std::string& call_id) override {
      {
        std::lock_guard<std::mutex> lock(m_runner.m_mutex);
        m_runner.m_cancelled.push_back(call_id);
      }
      ExecResult r;
      r.state = CallState::cancelled;
      r.signal = 15;
      r.error = "killed by signal 15";
      m_runner.end(call_id, std::move(r));
    }
    void interrupt_all() override {
      for (const auto& req : m_runner.running()) {
        ExecResult r;
        r.interrupted = true;
        r.signal = 15;
        m_runner.end(req.call_id, std::move(r));
      }
    }
    std::size_t running() const override {
      std::lock_guard<std::mutex> lock(m_runner.m_mutex);
      return m_runner.m_running.size();
    }

   private:
    FakeRunner& m_runner;
  };

  bool end(const std::string& id, ExecResult r) {
    Executor::OnDone on_done;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      auto it = m_running.find(id);
      if (it == m_running.end()) {
        return false;
      }
      r.call_id = id;
      r.attempt = it->second.attempt;
      r.started_at = m_started_at[id];
      r.finished_at = m_clock.now_ms();
      m_running.erase(it);
      on_done = m_on_done;
    }
    on_done(std::move(r));
    return true;
  }

  Clock& m_clock;
  mutable std::mutex m_mutex;
  Executor::OnDone m_on_done;
  std::map<std::string, ExecRequest> m_running;
  std::map<std::string, std::int64_t> m_started_at;
  std::vector<std::string> m_cancelled;
  std::size_t m_started = 0;
};

// The real store, with failures injected per method: fail("finish_and_claim",
// ...) makes every later call of that method return the error without
// touching the database, until heal().
#define FNQ_FAULT(method)       \
  if (auto e = fault(method)) { \
    return *e;                  \
  }

class FaultyStore final : public Store {
 public:
  explicit FaultyStore(std::unique_ptr<Store> real) : m_real(std::move(real)) {}

  void fail(const std::string& method, Error error) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_faults[method] = std::move(error);
  }
  void heal() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_faults.clear();
  }
  // Calls of method wait, once counted, until release().
  void hold(const std::string& method) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_held.insert(method);
  }
  // Calls of method run on the real store, then wait until release(): what
  // they read is then older than what happens meanwhile.
  void hold_after(const std::string& method) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_held_after.insert(method);
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_held.clear();
      m_held_after.clear();
    }
    m_released.notify_all();
  }
  // Calls of a method so far, failed ones included.
  int calls(const std::string& method) {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_calls[method];
  }
  Store& real() { return *m_real; }

  Result<std::vector<Function>> list_functions() override {
    FNQ_FAULT("list_functions");
    auto all = m_real->list_functions();
    wait_after("list_functions");
    return all;
  }
  Result<Function> get_function(const std::string& name) override {
    FNQ_FAULT("get_function");
    return m_real->get_function(name);
  }
  Result<bool> put_function(const Function& f) override {
    FNQ_FAULT("put_function");
    return m_real->put_function(f);
  }
  Result<DeleteResult> delete_function(const std::string& name, bool force,
                                       std::int64_t now) override {
    FNQ_FAULT("delete_function");
    return m_real->delete_function(name, force, now);
  }
  Result<std::vector<SubmitResult>> submit(std::vector<NewCall> calls) override {
    FNQ_FAULT("submit");
    return m_real->submit(std::move(calls));
  }
  Result<Call> get_call(const std::string& id) override {
    FNQ_FAULT("get_call");
    return m_real->get_call(id);
  }
  Result<std::vector<Call>> get_calls(const std::vector<std::string>& ids) override {
    FNQ_FAULT("get_calls");
    return m_real->get_calls(ids);
  }
  Result<std::vector<std::string>> find_ids(const std::string& prefix, int limit) override {
    FNQ_FAULT("find_ids");
    return m_real->find_ids(prefix, limit);
  }
  Result<std::string> get_output(const std::string& id) override {
    FNQ_FAULT("get_output");
    return m_real->get_output(id);
  }
  Result<std::string> get_stderr(const std::string& id) override {
    FNQ_FAULT("get_stderr");
    return m_real->get_stderr(id);
  }
  Result<std::string> get_input(const std::string& id) override {
    FNQ_FAULT("get_input");
    return m_real->get_input(id);
  }
  Result<std::vector<Call>> list_calls(const CallFilter& filter) override {
    FNQ_FAULT("list_calls");
    return m_real->list_calls(filter);
  }
  Result<PipelineSubmitResult> submit_pipeline(NewPipeline pipeline) override {
    FNQ_FAULT("submit_pipeline");
    return m_real->submit_pipeline(std::move(pipeline));
  }
  Result<Pipeline> get_pipeline(const std::string& id) override {
    FNQ_FAULT("get_pipeline");
    return m_real->get_pipeline(id);
  }
  Result<std::vector<Call>> pipeline_calls(const std::string& id) override {
    FNQ_FAULT("pipeline_calls");
    return m_real->pipeline_calls(id);
  }
  Result<std::vector<Pipeline>> list_pipelines(const std::optional<std::string>& before,
                                               int limit) override {
    FNQ_FAULT("list_pipelines");
    return m_real->list_pipelines(before, limit);
  }
  Result<std::optional<std::int64_t>> promote_due(std::int64_t now) override {
    FNQ_FAULT("promote_due");
    return m_real->promote_due(now);
  }
  Result<std::vector<ClaimedCall>> claim(std::int64_t now, int limit,
                                         const std::vector<std::string>& saturated) override {
    FNQ_FAULT("claim");
    return m_real->claim(now, limit, saturated);
  }
  Result<std::vector<FinishResult>> finish(const std::vector<AttemptOutcome>& outcomes) override {
    FNQ_FAULT("finish");
    return m_real->finish(outcomes);
  }
  Result<FinishAndClaim> finish_and_claim(const std::vector<AttemptOutcome>& outcomes,
                                          std::int64_t now, int limit,
                                          const std::vector<std::string>& saturated) override {
    FNQ_FAULT("finish_and_claim");
    return m_real->finish_and_claim(outcomes, now, limit, saturated);
  }
  Status requeue(const std::string& id, int attempt) override {
    FNQ_FAULT("requeue");
    return m_real->requeue(id, attempt);
  }
  Result<CancelResult> cancel(const std::string& id, std::int64_t now,
                              std::vector<std::string>* terminal_ids) override {
    FNQ_FAULT("cancel");
    return m_real->cancel(id, now, terminal_ids);
  }
  Result<Call> retry(const std::string& id, std::int64_t now) override {
    FNQ_FAULT("retry");
    return m_real->retry(id, now);
  }
  Result<RecoveryReport> recover_interrupted(std::int64_t now) override {
    FNQ_FAULT("recover_interrupted");
    return m_real->recover_interrupted(now);
  }
  Result<int> prune(std::int64_t before, int batch) override {
    FNQ_FAULT("prune");
    return m_real->prune(before, batch);
  }
  Result<std::vector<CallbackJob>> due_callbacks(std::int64_t now, int limit) override {
    FNQ_FAULT("due_callbacks");
    return m_real->due_callbacks(now, limit);
  }
  Result<std::optional<std::int64_t>> next_callback_at() override {
    FNQ_FAULT("next_callback_at");
    return m_real->next_callback_at();
  }
  Status record_callback(const std::string& id, const std::string& state, int attempts,
                         std::optional<int> last_status, std::int64_t next_at) override {
    FNQ_FAULT("record_callback");
    return m_real->record_callback(id, state, attempts, last_status, next_at);
  }
  Result<StoreStats> stats() override {
    FNQ_FAULT("stats");
    return m_real->stats();
  }
  Result<std::vector<MinuteCount>> finishes_since(std::int64_t since) override {
    FNQ_FAULT("finishes_since");
    return m_real->finishes_since(since);
  }
  Result<std::vector<std::string>> dependents_of(const std::string& id, int limit) override {
    FNQ_FAULT("dependents_of");
    return m_real->dependents_of(id, limit);
  }
  Result<std::uint64_t> size_bytes() override {
    FNQ_FAULT("size_bytes");
    return m_real->size_bytes();
  }
  Result<std::int64_t> count_in_state(CallState state) override {
    FNQ_FAULT("count_in_state");
    return m_real->count_in_state(state);
  }

 private:
  std::optional<Error> fault(const std::string& method) {
    std::unique_lock<std::mutex> lock(m_mutex);
    ++m_calls[method];
    m_released.wait(lock, [&] { return m_held.count(method) == 0; });
    auto it = m_faults.find(method);
    return it == m_faults.end() ? std::nullopt : std::optional<Error>(it->second);
  }

  void wait_after(const std::string& method) {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_released.wait(lock, [&] { return m_held_after.count(method) == 0; });
  }

  std::unique_ptr<Store> m_real;
  std::mutex m_mutex;
  std::map<std::string, Error> m_faults;
  std::map<std::string, int> m_calls;
  std::set<std::string> m_held;
  std::set<std::string> m_held_after;
  std::condition_variable m_released;
};

#undef FNQ_FAULT

}  // namespace fnq::test
