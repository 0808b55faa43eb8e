#pragma once
// The PostgreSQL implementation of Store. Every operation is one
// transaction on a pooled connection (PostgreSQL commits concurrent
// transactions together, so there is no writer thread); one that hits a
// deadlock or serialization failure is run again.
//
// Concurrency with other hosts is settled by row locks: a claim takes queued
// rows with FOR UPDATE SKIP LOCKED; every outcome is applied only if the
// call is still running that attempt on this host; a write that depends on
// another call's state (needs, cancel, retry) locks that row first.
//
// Source files: pg_store.cpp (opening, functions, hosts), pg_store_calls.cpp
// (submit and reads), pg_store_pipelines.cpp (pipeline rows and reads),
// pg_store_sched.cpp (promote, claim, finish, requeue,
// recovery), pg_store_admin.cpp (cancel, retry, prune, callbacks, stats,
// delete_function), pg_store_cluster.cpp (heartbeat, leader, rescue,
// lost calls, notifications), pg_rows.cpp (call rows, blobs, dependents).
//
// Notifications: a transaction that makes work runnable or calls terminal
// sends one NOTIFY on channel "fnq" (never one per row: NOTIFY serialises
// commits), "HOST\nKIND\nIDS": kind q (new work; from submits at most once
// per 50 ms per host), t (these calls are terminal: space-separated ids, or
// * when too many), c (a cancel of a running call), f (functions changed).
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "daemon/store/combiner.h"
#include "daemon/store/pg/pg_pool.h"
#include "daemon/store/pg_store.h"

namespace fnq {

class PgStore final : public ClusterStore {
 public:
  PgStore(const PgOptions& opts);
  ~PgStore() override;

  Result<std::vector<Function>> list_functions() override;
  Result<Function> get_function(const std::string& name) override;
  Result<bool> put_function(const Function& f) override;
  Result<DeleteResult> delete_function(const std::string& name, bool force,
                                       std::int64_t now) override;

  Result<std::vector<SubmitResult>> submit(std::vector<NewCall> calls) override;
  // The HTTP loop's submits: queued, and written in batches by the store's
  // own threads (m_async_submits), so that no thread waits for their commit.
  void submit_then(std::vector<NewCall> calls, SubmitDone done) override;
  bool submits_without_blocking() const override { return true; }
  // Writes what submit_then has queued; submit_then answers later ones
  // with an error.
  Status close() override;
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
  Status ping() override;

  Result<RecoveryReport> maintain(Millis lease) override;
  Result<std::vector<std::string>> calls_to_stop() override;
  Result<std::vector<std::string>> terminal_among(const std::vector<std::string>& ids) override;
  Result<Notification> wait_for_notification(Millis timeout) override;

  // Writes this host's row (started now) and takes a heartbeat.
  Status register_host();

 private:
  // Runs fn(pg::Connection&) -> Result<T> outside a transaction; once more
  // on a fresh connection if the pooled one turns out to be broken (the
  // server restarted since it was last used).
  template <class T, class F>
  Result<T> read(F&& fn) {
    for (int attempt = 1;; ++attempt) {
      FNQ_TRY_ASSIGN(auto lease, m_pool.acquire());
      Result<T> result = fn(lease.conn());
      if (result.ok() || attempt == 2 || !lease.conn().is_broken()) {
        return result;
      }
    }
  }
  // Runs fn(pg::Connection&) -> Result<T> in one transaction, again after a
  // deadlock or serialization failure, or once on a fresh connection if the
  // pooled one broke before COMMIT was sent (never after: the commit may
  // have happened).
  template <class T, class F>
  Result<T> write(F&& fn) {
    constexpr int k_tries = 5;
    for (int attempt = 1;; ++attempt) {
      FNQ_TRY_ASSIGN(auto lease, m_pool.acquire());
      pg::Connection& conn = lease.conn();
      pg::Transaction tx(conn);
      Result<T> result = tx.status().ok() ? fn(conn) : Result<T>(tx.status().error());
      if (!result.ok()) {
        bool stale = attempt == 1 && conn.is_broken();
        if ((stale || conn.last_error_retryable()) && attempt < k_tries) {
          continue;
        }
        return result.error();
      }
      Status committed = tx.commit();
      if (committed.ok()) {
        return result;
      }
      if (!conn.last_error_retryable() || attempt == k_tries) {
        return committed.error();
      }
    }
  }

  // NOTIFY in the current transaction (kinds: see the top of this file).
  Status notify(pg::Connection& conn, char kind, const std::vector<std::string>& ids = {});
  // t with the terminal ids of these outcomes, or q if some were retried.
  Status notify_finished(pg::Connection& conn, const std::vector<FinishResult>& results);
  // notify(q), unless this host sent one less than 50 ms ago.
  Status notify_work(pg::Connection& conn);
  // Attempts claimed here and not yet recorded (see calls_to_stop).
  void track_claimed(const std::vector<ClaimedCall>& claimed);
  void untrack(const std::string& id);
  // Calls running here in the database that this host never started: a
  // claim whose COMMIT took effect but whose answer was lost with the
  // connection. Queued again, the attempt not counted; their ids.
  Result<std::vector<std::string>> requeue_unstarted(pg::Connection& conn);
  // Counts claims under way, so that requeue_unstarted never takes a claim
  // that has committed and is not yet tracked for one never started.
  class ClaimScope {
   public:
    explicit ClaimScope(PgStore& store) : m_store(store) {
      ++m_store.m_claims_begun;
      ++m_store.m_claims_in_flight;
    }
    ~ClaimScope() { --m_store.m_claims_in_flight; }
    ClaimScope(const ClaimScope&) = delete;
    ClaimScope& operator=(const ClaimScope&) = delete;

   private:
    PgStore& m_store;
  };
  Result<bool> listen();  // (re)connects the listener; true when listening

  using SubmitCombiner = Combiner<std::vector<NewCall>, std::vector<SubmitResult>>;
  // One request's calls in a transaction of their own.
  Result<std::vector<SubmitResult>> submit_alone(const std::vector<NewCall>& calls);
  // Several requests' calls in one transaction; should one of them fail,
  // each request again alone, so that one bad request fails only itself.
  void submit_together(std::vector<SubmitCombiner::Item*>& batch);
  // A batch of submit_then's: requests of many calls alone, the rest together.
  void submit_queued(std::vector<SubmitCombiner::Item*>& batch);

  std::string m_host;
  pg::Pool m_pool;
  // Submits of a few calls share transactions (group commit): one commit
  // and one function check for all of them; up to 4 such transactions at
  // once, so a batch's round trips overlap another's.
  SubmitCombiner m_submits{256, 4};
  std::atomic<std::int64_t> m_last_work_notify{0};  // steady ms
  std::mutex m_claimed_mutex;
  std::map<std::string, int> m_claimed;  // id -> attempt
  std::atomic<std::uint64_t> m_claims_begun{0};
  std::atomic<int> m_claims_in_flight{0};
  // The database's time of the first heartbeat since this host last failed
  // to beat (0: failing, or none yet). Used by maintain() only.
  std::int64_t m_connected_since = 0;
  std::mutex m_listener_mutex;
  pg::Connection m_listener;  // LISTEN fnq; used by wait_for_notification
  // Last: its threads use the members above, and are gone before them.
  AsyncCombiner<std::vector<NewCall>, std::vector<SubmitResult>> m_async_submits{
      256, 4, [this](std::vector<SubmitCombiner::Item*>& batch) { submit_queued(batch); }};
};

}  // namespace fnq
