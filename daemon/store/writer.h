#pragma once
// The single writer with group commit.
//
// Callers hand a task to run() and block. The writer thread takes every task
// queued so far, runs them in ONE `BEGIN IMMEDIATE` transaction with a
// SAVEPOINT around each (a failing task is rolled back to its savepoint and
// gets its own error; the others go on), COMMITs once, and only then wakes
// the callers: a result is given only after it is durably committed. If the
// COMMIT fails, every task of the batch that had succeeded gets that error.
// One fsync thus serves many concurrent submits, finishes and claims.
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

  explicit Writer(Database db);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // Runs the tasks still queued, then stops the thread.
  ~Writer();

  // Runs task in the next batch; returns once that batch is committed (or
  // failed). Thread-safe.
  Status run(Task task);

  // run() for a task that computes a value.
  template <class T, class F>
  Result<T> run_for(F&& fn) {
    std::optional<Result<T>> out;
    Status status = run([&](Database& db) -> Status {
      out.emplace(fn(db));
      if (!out->ok()) {
        return out->error();
      }
      return {};
    });
    if (!status.ok()) {
      return status.error();
    }
    return std::move(*out);
  }

 private:
  struct Pending {
    Task task;
    Status result;
    bool done = false;
    std::condition_variable done_cv;
  };

  // Shared with the writer thread, which wakes the caller after releasing
  // the lock (a caller woken under it would only block again on the lock).
  using PendingPtr = std::shared_ptr<Pending>;

  void loop();
  void run_batch(const std::vector<PendingPtr>& batch);
  // Runs one task inside its savepoint. false: the whole transaction was
  // lost (SQLite rolled it back), so the batch cannot be committed.
  bool run_in_savepoint(Pending& p);

  Database m_db;  // used by the writer thread only (once it runs)
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<PendingPtr> m_queue;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace fnq
