#pragma once
// The single writer with group commit.
//
// Callers hand a task to run() and block. The writer thread takes every task
// queued so far, runs them in ONE `BEGIN IMMEDIATE` transaction with a
// SAVEPOINT around each (a failing task is rolled back to its savepoint and
// gets its own error; the others go on), COMMITs once, and only then wakes
// the callers: a result is given only after it is durably committed. If the
// COMMIT fails, every task of the batch that had succeeded gets that error.
// A batch of one task runs without a savepoint (its failure rolls back the
// transaction): a savepoint costs a copy of every page it changes.
// One fsync thus serves many concurrent submits, finishes and claims.
//
// A caller that finds nothing queued and no batch running (the scheduler
// between bursts, a lone submit) runs its task as a batch of one on its own
// thread: two thread switches fewer. Under load the writer thread keeps
// taking whole batches, without a hand-off between them.
//
// post() queues a task without blocking: the writer thread runs it in its
// next batch and then calls its `done` with the result, after the COMMIT, so
// that one thread answers a whole batch (the HTTP loop's parked submits).
//
// A task may be deferred: its batch, if it holds only deferred tasks, commits
// with synchronous=NORMAL, so it is written to the WAL but not fsynced; the
// next durable commit's fsync covers it (the WAL is appended in order). A
// process crash loses nothing either way; a power cut may lose deferred
// commits. Used for what the daemon can lose and redo: claims and promotions
// (see docs/internals.md, "Crash safety and stopping").
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "daemon/store/sqlite.h"

namespace fnq {

class Writer {
 public:
  // A task reads and writes through the connection it is given, inside the
  // batch transaction; it must not begin or end transactions itself.
  using Task = std::function<Status(Database&)>;
  // Called once with a posted task's result, on the writer thread (or on
  // the caller's, at once, when the writer is stopping).
  using Done = std::function<void(Status)>;

  enum class Commit {
    durable,   // fsynced before run() returns (with --sync full)
    deferred,  // may wait for the next durable commit's fsync
  };

  // synchronous_full: the daemon's --sync; false makes every commit deferred.
  Writer(Database db, bool synchronous_full);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // Runs the tasks still queued, then stops the thread (unless stop() did).
  ~Writer();

  // Runs the tasks still queued, stops the thread, and hands back the
  // connection (to be closed by its owner, last); run() is refused from
  // then on. Call once.
  Database stop();

  // Runs task in the next batch; returns once that batch is committed (or
  // failed). Thread-safe.
  Status run(Task task, Commit commit = Commit::durable);

  // Runs task in the next batch without waiting for it: done gets its
  // result after that batch's COMMIT. done must not throw or call run().
  // Thread-safe.
  void post(Task task, Done done, Commit commit = Commit::durable);

  // Tasks waiting for the next batch, and whether the destructor has begun
  // (for tests).
  std::size_t queued() const;
  bool stopping() const;

  // run() for a task that computes a value.
  template <class T, class F>
  Result<T> run_for(F&& fn, Commit commit = Commit::durable) {
    std::optional<Result<T>> out;
    Status status = run(
        [&](Database& db) -> Status {
          out.emplace(fn(db));
          if (!out->ok()) {
            return out->error();
          }
          return {};
        },
        commit);
    if (!status.ok()) {
      return status.error();
    }
    return std::move(*out);
  }

 private:
  struct Pending {
    Task task;
    Done on_done;  // posted: called instead of waking a waiting caller
    Commit commit = Commit::durable;
    Status result;
    bool done = false;
    std::condition_variable done_cv;
  };

  // Shared with the writer thread, which wakes the caller after releasing
  // the lock (a caller woken under it would only block again on the lock).
  using PendingPtr = std::shared_ptr<Pending>;

  void loop();
  // Ends a lone caller's batch however it ends (an exception included):
  // frees the writer and wakes the thread if it has work or must stop.
  struct FreeAfterLoneBatch {
    Writer& writer;
    ~FreeAfterLoneBatch();
  };
  void run_batch(const std::vector<PendingPtr>& batch);
  // Sets PRAGMA synchronous for the batch's commit. false: it failed, and
  // the batch's tasks have that error.
  bool set_durability(const std::vector<PendingPtr>& batch);
  // Runs p's task, an exception or a transaction it ended becoming its error.
  void run_task(Pending& p);
  // Runs a batch's only task and ends the transaction.
  void run_alone(Pending& p);
  // Runs one task inside its savepoint. false: the whole transaction was
  // lost (SQLite rolled it back), so the batch cannot be committed.
  bool run_in_savepoint(Pending& p);

  Database m_db;  // used by whoever set m_running
  const bool m_synchronous_full;
  bool m_full_now;  // PRAGMA synchronous is FULL on m_db now
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<PendingPtr> m_queue;
  bool m_running = false;  // a batch is being run (by the thread or a lone caller)
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace fnq
