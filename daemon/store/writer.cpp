#include "daemon/store/writer.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

namespace fnq {
namespace {

// Bounds one transaction, so that a flood of writers still sees commits
// (and the WAL checkpoints) at a steady pace.
constexpr std::size_t k_max_batch = 256;

}  // namespace

Writer::Writer(Database db, bool synchronous_full)
    : m_db(std::move(db)),
      m_synchronous_full(synchronous_full),
      m_full_now(synchronous_full),
      m_thread([this] { loop(); }) {}

Writer::~Writer() {
  if (m_thread.joinable()) {
    (void)stop();
  }
}

Database Writer::stop() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_one();
  m_thread.join();
  return std::move(m_db);
}

Status Writer::run(Task task, Commit commit) {
  auto pending = std::make_shared<Pending>();
  pending->task = std::move(task);
  pending->commit = commit;
  std::unique_lock<std::mutex> lock(m_mutex);
  if (m_stopping) {
    return make_error(ErrorKind::shutting_down, "the store is closing");
  }
  if (!m_running && m_queue.empty()) {
    // Alone: run it on this thread, without a hand-off and back.
    m_running = true;
    lock.unlock();
    FreeAfterLoneBatch free_after{*this};
    run_batch({pending});
    return pending->result;
  }
  m_queue.push_back(pending);
  lock.unlock();
  m_wake.notify_one();
  lock.lock();
  pending->done_cv.wait(lock, [&] { return pending->done; });
  return pending->result;
}

void Writer::post(Task task, Done done, Commit commit) {
  auto pending = std::make_shared<Pending>();
  pending->task = std::move(task);
  pending->on_done = std::move(done);
  pending->commit = commit;
  std::unique_lock<std::mutex> lock(m_mutex);
  if (!m_stopping) {
    m_queue.push_back(std::move(pending));
    lock.unlock();
    // Only the thread takes posted tasks: a lone caller runs its own.
    m_wake.notify_one();
    return;
  }
  lock.unlock();
  pending->on_done(make_error(ErrorKind::shutting_down, "the store is closing"));
}

Writer::FreeAfterLoneBatch::~FreeAfterLoneBatch() {
  std::lock_guard<std::mutex> lock(writer.m_mutex);
  writer.m_running = false;
  // Callers queued meanwhile, or a destructor waiting to stop the thread.
  // Notified under the lock: once it is released, the Writer may be gone.
  if (!writer.m_queue.empty() || writer.m_stopping) {
    writer.m_wake.notify_one();
  }
}

bool Writer::stopping() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_stopping;
}

std::size_t Writer::queued() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_queue.size();
}

void Writer::loop() {
  std::vector<PendingPtr> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_wake.wait(lock, [&] { return (m_stopping || !m_queue.empty()) && !m_running; });
      if (m_queue.empty()) {
        return;  // stopping, and nothing left to run
      }
      while (!m_queue.empty() && batch.size() < k_max_batch) {
        batch.push_back(m_queue.front());
        m_queue.pop_front();
      }
      m_running = true;
    }
    run_batch(batch);
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      for (const PendingPtr& p : batch) {
        p->done = true;
      }
      m_running = false;
    }
    for (const PendingPtr& p : batch) {
      if (p->on_done) {
        p->on_done(std::move(p->result));
      } else {
        p->done_cv.notify_one();
      }
    }
    batch.clear();
  }
}

bool Writer::set_durability(const std::vector<PendingPtr>& batch) {
  bool full = m_synchronous_full &&
              std::any_of(batch.begin(), batch.end(),
                          [](const PendingPtr& p) { return p->commit == Commit::durable; });
  if (full == m_full_now) {
    return true;
  }
  Status set = m_db.run(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  if (!set.ok()) {
    for (const PendingPtr& p : batch) {
      p->result = set;
    }
    return false;
  }
  m_full_now = full;
  return true;
}

void Writer::run_batch(const std::vector<PendingPtr>& batch) {
  if (!set_durability(batch)) {
    return;
  }
  Status begun = m_db.run("BEGIN IMMEDIATE");
  if (!begun.ok()) {
    for (const PendingPtr& p : batch) {
      p->result = begun;
    }
    return;
  }
  if (batch.size() == 1) {
    run_alone(*batch.front());
    return;
  }
  std::size_t ran = 0;
  bool lost = false;
  for (; ran < batch.size() && !lost; ++ran) {
    lost = !run_in_savepoint(*batch[ran]);
  }
  Status committed = lost ? Status(batch[ran - 1]->result.error()) : m_db.run("COMMIT");
  if (!committed.ok() && m_db.in_transaction()) {
    (void)m_db.run("ROLLBACK");
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Pending* p = batch[i].get();
    if (i >= ran) {
      // Not run because the transaction was lost: the caller may try again.
      p->result = make_error(committed.error().kind, "not written: " + committed.error().message);
    } else if (!committed.ok() && p->result.ok()) {
      p->result = committed;
    }
  }
}

void Writer::run_task(Pending& p) {
  try {
    p.result = p.task(m_db);
  } catch (const std::exception& e) {
    // A bug in a task; keep the writer (and every other caller) alive.
    p.result = make_error(ErrorKind::internal, std::string("store task failed: ") + e.what());
  }
  if (p.result.ok() && !m_db.in_transaction()) {
    // SQLite rolled back the whole transaction (e.g. on an I/O error).
    p.result = make_error(ErrorKind::internal, "transaction ended inside a store task");
  }
}

// A batch of one needs no savepoint: the transaction is the task's.
void Writer::run_alone(Pending& p) {
  run_task(p);
  Status ended = p.result.ok() ? m_db.run("COMMIT") : Status{};
  if ((!p.result.ok() || !ended.ok()) && m_db.in_transaction()) {
    (void)m_db.run("ROLLBACK");
  }
  if (!ended.ok()) {
    p.result = ended;
  }
}

bool Writer::run_in_savepoint(Pending& p) {
  p.result = m_db.run("SAVEPOINT task");
  if (!p.result.ok()) {
    return m_db.in_transaction();
  }
  run_task(p);
  if (!m_db.in_transaction()) {
    return false;
  }
  if (p.result.ok()) {
    Status released = m_db.run("RELEASE task");
    if (!released.ok()) {
      p.result = released;
    }
    return released.ok();
  }
  // Undo only this task's changes; the savepoint itself is then released.
  Status undone = m_db.run("ROLLBACK TO task");
  if (undone.ok()) {
    undone = m_db.run("RELEASE task");
  }
  return undone.ok();
}

}  // namespace fnq
