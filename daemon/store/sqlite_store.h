#pragma once
// The SQLite implementation of Store. Writes go through one Writer
// (group commit); reads go through a pool of read-only connections.
//
// Source files: sqlite_store.cpp (opening, functions), sqlite_store_calls.cpp
// (submit and reads), sqlite_store_pipelines.cpp (pipeline rows and reads), sqlite_store_sched.cpp
// (promote, claim, finish, requeue, recovery), sqlite_store_admin.cpp (cancel, retry, prune,
// callbacks, stats, delete_function).
#include <memory>
#include <mutex>
#include <utility>

#include "daemon/store/lock_file.h"
#include "daemon/store/reader_pool.h"
#include "daemon/store/store.h"
#include "daemon/store/writer.h"

namespace fnq {

class SqliteStore final : public Store {
 public:
  SqliteStore(LockFile lock, Database writer, std::vector<Database> readers, bool synchronous_full);
  // close(), if it was not called.
  ~SqliteStore() override;

  Status close() override;

  Result<std::vector<Function>> list_functions() override;
  Result<Function> get_function(const std::string& name) override;
  Result<bool> put_function(const Function& f) override;
  Result<DeleteResult> delete_function(const std::string& name, bool force,
                                       std::int64_t now) override;

  Result<std::vector<SubmitResult>> submit(std::vector<NewCall> calls) override;
  void submit_then(std::vector<NewCall> calls, SubmitDone done) override;
  bool submits_without_blocking() const override { return true; }
  Result<Call> get_call(const std::string& id) override;
  Result<std::vector<Call>> get_calls(const std::vector<std::string>& ids) override;
  Result<std::vector<std::string>> find_ids(const std::string& prefix, int limit) override;
  Result<std::string> get_output(const std::string& id) override;
  Result<std::string> get_stderr(const std::string& id) override;
  Result<std::string> get_input(const std::string& id) override;
  Result<std::vector<Call>> list_calls(const CallFilter& filter) override;

  Result<PipelineSubmitResult> submit_pipeline(NewPipeline pipeline) override;
  Result<Pipeline> get_pipeline(const std::string& id) override;
  Result<std::vector<Call>> pipeline_calls(const std::string& id) override;
  Result<std::vector<Pipeline>> list_pipelines(const std::optional<std::string>& before,
                                               int limit) override;

  Result<std::optional<std::int64_t>> promote_due(std::int64_t now) override;
  Result<std::vector<ClaimedCall>> claim(std::int64_t now, int limit,
                                         const std::vector<std::string>& saturated) override;
  Result<std::vector<FinishResult>> finish(const std::vector<AttemptOutcome>& outcomes) override;
  Result<FinishAndClaim> finish_and_claim(const std::vector<AttemptOutcome>& outcomes,
                                          std::int64_t now, int limit,
                                          const std::vector<std::string>& saturated) override;
  Status requeue(const std::string& id, int attempt) override;
  Result<CancelResult> cancel(const std::string& id, std::int64_t now,
                              std::vector<std::string>* terminal_ids) override;
  Result<Call> retry(const std::string& id, std::int64_t now) override;
  Result<RecoveryReport> recover_interrupted(std::int64_t now) override;
  Result<int> prune(std::int64_t before, int batch) override;

  Result<std::vector<CallbackJob>> due_callbacks(std::int64_t now, int limit) override;
  Result<std::optional<std::int64_t>> next_callback_at() override;
  Status record_callback(const std::string& id, const std::string& state, int attempts,
                         std::optional<int> last_status, std::int64_t next_at) override;

  Result<StoreStats> stats() override;
  Result<std::vector<MinuteCount>> finishes_since(std::int64_t since) override;
  Result<std::vector<std::string>> dependents_of(const std::string& id, int limit) override;
  Result<std::uint64_t> size_bytes() override;
  Result<std::int64_t> count_in_state(CallState state) override;

 private:
  // Runs fn(Database&) on a leased reader connection.
  template <class F>
  auto read(F&& fn) -> decltype(fn(std::declval<Database&>())) {
    auto lease = m_readers.acquire();
    if (!lease) {
      return make_error(ErrorKind::shutting_down, "the store is closed");
    }
    return fn(lease.db());
  }
  // Runs fn(Database&) -> Result<T> in the writer's next batch.
  template <class T, class F>
  Result<T> write(F&& fn, Writer::Commit commit = Writer::Commit::durable) {
    return m_writer->run_for<T>(std::forward<F>(fn), commit);
  }

  // Declared in this order so that the writer stops (and the connections
  // close) before the lock is given up.
  LockFile m_lock;
  ReaderPool m_readers;
  std::unique_ptr<Writer> m_writer;
  // submit_then's queue: taken whole by the one writer task posted for it.
  struct QueuedSubmit {
    std::vector<NewCall> calls;
    SubmitDone done;
    Result<std::vector<SubmitResult>> result = std::vector<SubmitResult>{};
  };
  std::mutex m_submits_mutex;
  std::vector<QueuedSubmit> m_submits;
  bool m_closed = false;  // close() is called by the store's owner, once nothing else uses it
};

}  // namespace fnq
