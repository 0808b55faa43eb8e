#pragma once
// The queue's durable state. All SQL lives behind this interface, so that a
// PostgreSQL store (many daemons sharing one queue) can sit beside SQLite.
//
// Every method is thread-safe. Writing methods return only after their
// transaction is durably committed (group commit may batch several callers'
// writes into one transaction; each caller still gets its own result).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <optional>
#include <string>
#include <vector>

#include "common/model.h"
#include "common/result.h"

namespace fnq {

// A call to insert. `call` carries function, priority, sync, key, needs,
// input_from, run_at, max_retries (already resolved), exec_timeout,
// callback (url only), request, created_at and id. The store derives the
// initial state from needs and run_at.
struct NewCall {
  Call call;
  std::string input;
  // call.request as JSON (to_json(...).dump()) when the caller made it on
  // its own thread; empty: the store makes it.
  std::string request_json;
};

struct SubmitResult {
  Call call;
  bool existing = false;  // an idempotent repeat: this is the earlier call
};

struct ClaimedCall {
  Call call;  // state running, attempt already incremented, started_at set
  std::string input;
};

// The outcome of one attempt, applied with the attempt as fencing token.
struct AttemptOutcome {
  std::string id;
  int attempt = 0;
  CallState state = CallState::failed;  // succeeded|failed|timed_out|cancelled
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::optional<std::string> error;
  std::string output;
  bool output_truncated = false;
  std::uint64_t output_size = 0;  // bytes the process wrote, even past the cap
  std::string stderr_tail;
  std::int64_t finished_at = 0;
  // Set for a failed/timed_out attempt that is to be retried: the call goes
  // back to `waiting` with run_at = retry_at (attempt kept; error kept).
  std::optional<std::int64_t> retry_at;
};

struct FinishResult {
  bool applied = false;  // false: the call was not running with that attempt
  // Calls that became terminal in this transaction: this call (unless
  // retried) and every dependent skipped because of it, transitively.
  std::vector<std::string> terminal_ids;
  bool released = false;  // some dependent may now be runnable
};

enum class CancelResult { cancelled, running, already_terminal };

struct CallFilter {
  std::optional<CallState> state;
  std::optional<std::string> function;
  std::optional<std::string> pipeline;
  std::optional<std::string> before;  // only ids < before (pagination)
  int limit = 50;
};

// A pipeline: calls submitted together, each a named stage (SPEC §10).
struct Pipeline {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> key;  // idempotency key of the whole pipeline
  std::int64_t created_at = 0;
  int stage_count = 0;
  // Its calls by state, as read (get_pipeline, list_pipelines).
  std::map<CallState, std::int64_t> counts;
};

// A pipeline to insert, with its calls (pipeline and stage set on each) in
// an order where every call comes after the calls it needs.
struct NewPipeline {
  Pipeline pipeline;
  std::vector<NewCall> calls;
};

struct PipelineSubmitResult {
  Pipeline pipeline;
  std::vector<Call> calls;  // in the order submitted
  bool existing = false;    // an idempotent repeat: the earlier pipeline
};

struct RecoveryReport {
  std::vector<std::string> retried;  // back to waiting/queued
  std::vector<std::string> failed;   // terminal now (and their skipped dependents)
};

struct CallbackJob {
  std::string id;
  std::string url;
  int attempts = 0;
};

struct StoreStats {
  // (function, state) -> count, by function then state; no zero counts.
  std::vector<std::tuple<std::string, CallState, std::int64_t>> counts;
};

// Calls that became terminal in one minute, in one state (a retried call
// counts each time it ends).
struct MinuteCount {
  std::int64_t minute = 0;  // the minute's start, ms since the epoch
  CallState state = CallState::succeeded;
  std::int64_t count = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Functions.
  virtual Result<std::vector<Function>> list_functions() = 0;
  virtual Result<Function> get_function(const std::string& name) = 0;  // not_found
  virtual Result<bool> put_function(const Function& f) = 0;            // true: created
  // Refused (conflict) while the function has non-terminal calls unless
  // force, which cancels waiting/queued ones (their dependents are skipped)
  // and returns the ids of running ones, which the caller must stop.
  struct DeleteResult {
    std::vector<std::string> terminal_ids;
    std::vector<std::string> running_ids;
  };
  virtual Result<DeleteResult> delete_function(const std::string& name, bool force,
                                               std::int64_t now) = 0;

  // Calls. submit is all-or-nothing for the batch: unknown function or
  // unknown needs/input_from id -> not_found error naming it; an existing
  // (function, key) returns that call with existing=true. A call whose needs
  // include an unsuccessful terminal call is stored as skipped at once.
  virtual Result<std::vector<SubmitResult>> submit(std::vector<NewCall> calls) = 0;
  // submit() without blocking the caller: done gets submit()'s result once
  // the calls are durably stored (or not), on a thread of the store's. A
  // store that cannot do that (submits_without_blocking() false) runs
  // submit() and calls done on the caller's thread.
  using SubmitDone = std::function<void(Result<std::vector<SubmitResult>>)>;
  virtual void submit_then(std::vector<NewCall> calls, SubmitDone done) {
    done(submit(std::move(calls)));
  }
  virtual bool submits_without_blocking() const { return false; }
  virtual Result<Call> get_call(const std::string& id) = 0;  // not_found
  // In the order asked; not_found names the first unknown id.
  virtual Result<std::vector<Call>> get_calls(const std::vector<std::string>& ids) = 0;
  // Full ids starting with prefix, at most limit of them, ascending.
  virtual Result<std::vector<std::string>> find_ids(const std::string& prefix, int limit) = 0;
  virtual Result<std::string> get_output(const std::string& id) = 0;
  virtual Result<std::string> get_stderr(const std::string& id) = 0;
  virtual Result<std::string> get_input(const std::string& id) = 0;
  // Newest first.
  virtual Result<std::vector<Call>> list_calls(const CallFilter& filter) = 0;

  // Pipelines. submit_pipeline inserts the pipeline and all its calls in one
  // transaction, or nothing: as submit, and a stage's key that some call of
  // its function already has is a conflict (a pipeline's calls are its
  // own). An existing pipeline key returns that pipeline with existing=true.
  virtual Result<PipelineSubmitResult> submit_pipeline(NewPipeline pipeline) = 0;
  // not_found: "unknown pipeline 'ID'".
  virtual Result<Pipeline> get_pipeline(const std::string& id) = 0;
  // Its calls still stored, in the order submitted.
  virtual Result<std::vector<Call>> pipeline_calls(const std::string& id) = 0;
  // Newest first; only ids < before when given.
  virtual Result<std::vector<Pipeline>> list_pipelines(const std::optional<std::string>& before,
                                                       int limit) = 0;

  // Scheduling. promote_due turns waiting calls with no pending needs and
  // run_at <= now into queued; returns the earliest run_at still in the
  // future among such calls, if any.
  virtual Result<std::optional<std::int64_t>> promote_due(std::int64_t now) = 0;
  // Claims up to limit queued calls, sync first, then priority desc, run_at,
  // id; skipping functions in `saturated`. Marks them running.
  virtual Result<std::vector<ClaimedCall>> claim(std::int64_t now, int limit,
                                                 const std::vector<std::string>& saturated) = 0;
  // Applies several outcomes in one transaction.
  virtual Result<std::vector<FinishResult>> finish(const std::vector<AttemptOutcome>& outcomes) = 0;
  // finish(), then claim() of what may run next, in one transaction: a
  // scheduler pass that records results and starts the next calls costs one
  // commit (one fsync) instead of two.
  struct FinishAndClaim {
    std::vector<FinishResult> finished;
    std::vector<ClaimedCall> claimed;
  };
  virtual Result<FinishAndClaim> finish_and_claim(const std::vector<AttemptOutcome>& outcomes,
                                                  std::int64_t now, int limit,
                                                  const std::vector<std::string>& saturated) {
    auto finished = finish(outcomes);
    if (!finished) {
      return finished.error();
    }
    auto claimed = claim(now, limit, saturated);
    if (!claimed) {
      return claimed.error();
    }
    return FinishAndClaim{std::move(*finished), std::move(*claimed)};
  }
  // Puts a running call back to queued without counting the attempt
  // (graceful stop). Fenced by attempt.
  virtual Status requeue(const std::string& id, int attempt) = 0;
  // waiting/queued -> cancelled (dependents skipped; ids in terminal_ids).
  virtual Result<CancelResult> cancel(const std::string& id, std::int64_t now,
                                      std::vector<std::string>* terminal_ids) = 0;
  // A terminal unsuccessful call goes back to queued under the same id
  // (attempt counter continues; max_retries grows so one more attempt is
  // allowed). conflict if it is not terminal or succeeded.
  virtual Result<Call> retry(const std::string& id, std::int64_t now) = 0;
  // At start: calls left running by an earlier daemon. Those with retries
  // left go back to queued (the attempt counts); the others end failed with
  // "daemon stopped while running; no retries left".
  virtual Result<RecoveryReport> recover_interrupted(std::int64_t now) = 0;
  // Deletes up to batch terminal calls finished before `before`; returns the count.
  virtual Result<int> prune(std::int64_t before, int batch) = 0;

  // Callbacks: terminal calls whose callback is pending and due.
  virtual Result<std::vector<CallbackJob>> due_callbacks(std::int64_t now, int limit) = 0;
  virtual Result<std::optional<std::int64_t>> next_callback_at() = 0;
  // state: pending (then next_at is when to try again) | delivered | failed.
  virtual Status record_callback(const std::string& id, const std::string& state, int attempts,
                                 std::optional<int> last_status, std::int64_t next_at) = 0;

  // Ends the use of the store, once nothing else uses it (the destructor
  // does it too): later calls fail with shutting_down. An error here is for
  // the log: nothing is lost (the SQLite store kept its write-ahead log for
  // the next start, the disk being nearly full).
  virtual Status close() { return {}; }

  // From counters the store keeps with every change of a call (no scan).
  virtual Result<StoreStats> stats() = 0;
  // Per minute since `since` (ms), oldest first; from kept counters too.
  // Counters of minutes older than what prune deletes are deleted with it.
  virtual Result<std::vector<MinuteCount>> finishes_since(std::int64_t since) = 0;
  // Calls that list `id` in their needs, ascending, at most limit (the edges
  // are kept while the dependent call exists, whatever its state).
  virtual Result<std::vector<std::string>> dependents_of(const std::string& id, int limit) = 0;
  // Bytes the database takes (SQLite: its pages; PostgreSQL: the database).
  virtual Result<std::uint64_t> size_bytes() = 0;
  // Non-terminal calls per function currently running (for concurrency after restart).
  virtual Result<std::int64_t> count_in_state(CallState state) = 0;
  // Whether the store can be reached now (/healthz). A local file always can.
  virtual Status ping() { return {}; }
};

struct SqliteOptions {
  std::string path;
  bool synchronous_full = true;  // false: synchronous=NORMAL
  int readers = 4;               // read connections in the pool
  // 0: no limit. Otherwise writes that would grow the database past this
  // many bytes fail with disk_full (PRAGMA max_page_count); tests use it to
  // simulate a full disk.
  std::uint64_t max_size_bytes = 0;
  // The SQLite VFS to open the database with; empty: the default. Tests use
  // one that injects I/O errors.
  std::string vfs;
};

// Opens (creating if absent) and migrates the database. Refuses, with a clear
// message, a file that is not an fnq database, one newer than this binary, a
// corrupt one, and one locked by another fnqd (an exclusive lock file beside it).
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& opts);

}  // namespace fnq
