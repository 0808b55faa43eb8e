// The store under I/O faults: the Nth write, sync or truncate fails (disk
// full or an I/O error), for N stepped over a workload of submits, claims
// and finishes. Every write must either succeed and be fully visible or fail
// with a clear error; the database must stay intact; and once the fault
// clears, the same store (no reopen) must accept writes again, including the
// outcomes of calls claimed before the fault.
#include <sqlite3.h>

#include <cstdio>
#include <map>
#include <ostream>
#include <set>

#include "store_test_fixture.h"
#include "support/faulty_vfs.h"

namespace fnq::test {
namespace {

using Fault = FaultyVfs::Fault;

struct FaultCase {
  Fault fault;
  bool persistent;
};

void PrintTo(const FaultCase& c, std::ostream* os) {
  *os << (c.fault == Fault::disk_full ? "disk full" : "I/O error")
      << (c.persistent ? ", until cleared" : ", once");
}

std::string integrity_of(const std::string& path) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      result += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  result = result.empty() ? std::string("cannot check: ") + sqlite3_errmsg(db) : result;
  sqlite3_close(db);
  return result;
}

// What the workload was told by the store: the truth it must keep to.
struct Ledger {
  std::set<std::string> acknowledged;       // submits that succeeded
  std::set<std::string> refused;            // submits that failed
  std::map<std::string, int> claimed;       // running, by attempt, as far as we know
  std::map<std::string, std::string> done;  // finished: id -> output
  int errors = 0;
};

class FaultTest : public ::testing::TestWithParam<FaultCase> {
 protected:
  SqliteOptions options(bool faulty) const {
    SqliteOptions opts;
    opts.path = m_dir.file("fnq.db");
    opts.readers = 1;
    opts.vfs = faulty ? FaultyVfs::k_name : "";
    return opts;
  }

  std::unique_ptr<Store> open_store(bool faulty) {
    auto store = open_sqlite_store(options(faulty));
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // The error of a write refused under the fault: the kind the fault maps to.
  void expect_clear(const Error& e, const std::string& what) {
    ++m_ledger.errors;
    if (GetParam().fault == Fault::disk_full) {
      EXPECT_EQ(e.kind, ErrorKind::disk_full) << what << ": " << e.message;
      EXPECT_NE(e.message.find("database is full: no space left on device"), std::string::npos)
          << what << ": " << e.message;
    } else {
      EXPECT_EQ(e.kind, ErrorKind::io) << what << ": " << e.message;
      EXPECT_NE(e.message.find("disk I/O error"), std::string::npos) << what << ": " << e.message;
    }
  }

  void submit_two(Store& store, int round) {
    std::vector<NewCall> batch = {make_call("fn", "input " + std::to_string(round)),
                                  make_call("other")};
    auto r = store.submit(batch);
    for (const NewCall& nc : batch) {
      (r.ok() ? m_ledger.acknowledged : m_ledger.refused).insert(nc.call.id);
    }
    if (!r.ok()) {
      expect_clear(r.error(), "submit");
    }
  }

  void note_claimed(const std::vector<ClaimedCall>& claimed) {
    for (const ClaimedCall& c : claimed) {
      m_ledger.claimed[c.call.id] = c.call.attempt;
    }
  }

  // Outcomes for (at most `n` of) the calls held as claimed.
  std::vector<AttemptOutcome> outcomes(std::size_t n) const {
    std::vector<AttemptOutcome> out;
    for (const auto& [id, attempt] : m_ledger.claimed) {
      if (out.size() == n) {
        break;
      }
      AttemptOutcome o;
      o.id = id;
      o.attempt = attempt;
      o.state = CallState::succeeded;
      o.exit_code = 0;
      o.output = "output of " + id;
      o.output_size = o.output.size();
      o.finished_at = k_t0 + 1000;
      out.push_back(std::move(o));
    }
    return out;
  }

  void note_finished(const std::vector<AttemptOutcome>& outs,
                     const std::vector<FinishResult>& results) {
    ASSERT_EQ(outs.size(), results.size());
    for (std::size_t i = 0; i < outs.size(); ++i) {
      EXPECT_TRUE(results[i].applied) << outs[i].id;
      m_ledger.claimed.erase(outs[i].id);
      m_ledger.done[outs[i].id] = outs[i].output;
    }
  }

  // One round: a submit, a claim, a finish, and a finish_and_claim.
  void run_round(Store& store, int round) {
    submit_two(store, round);
    auto claimed = store.claim(k_t0, 2, {});
    claimed.ok() ? note_claimed(*claimed) : expect_clear(claimed.error(), "claim");
    auto outs = outcomes(1);
    auto finished = store.finish(outs);
    finished.ok() ? note_finished(outs, *finished) : expect_clear(finished.error(), "finish");
    outs = outcomes(1);
    auto both = store.finish_and_claim(outs, k_t0, 1, {});
    if (both.ok()) {
      note_finished(outs, both->finished);
      note_claimed(both->claimed);
    } else {
      expect_clear(both.error(), "finish_and_claim");
    }
  }

  // The store shows exactly what it acknowledged, and nothing it refused.
  void expect_ledger_kept(Store& store) {
    for (const std::string& id : m_ledger.acknowledged) {
      auto call = store.get_call(id);
      ASSERT_TRUE(call.ok()) << "acknowledged call " << id << " is missing";
      if (m_ledger.done.count(id)) {
        EXPECT_EQ(call->state, CallState::succeeded) << id;
        EXPECT_EQ(store.get_output(id).value(), m_ledger.done.at(id));
      } else if (m_ledger.claimed.count(id)) {
        EXPECT_EQ(call->state, CallState::running) << id;
        EXPECT_EQ(call->attempt, m_ledger.claimed.at(id)) << id;
      } else {
        EXPECT_EQ(call->state, CallState::queued) << id;
      }
    }
  }

  void expect_refused_absent(Store& store) {
    for (const std::string& id : m_ledger.refused) {
      auto call = store.get_call(id);
      ASSERT_FALSE(call.ok()) << "refused call " << id << " was stored";
      EXPECT_EQ(call.error().kind, ErrorKind::not_found);
    }
  }

  // Records the outcome of every call still held as claimed.
  void finish_all_claimed(Store& store) {
    auto outs = outcomes(m_ledger.claimed.size());
    auto finished = store.finish(outs);
    ASSERT_TRUE(finished.ok()) << finished.error().message;
    note_finished(outs, *finished);
    auto running = store.count_in_state(CallState::running);
    ASSERT_TRUE(running.ok());
    EXPECT_EQ(*running, 0) << "a call is running that no one will finish";
  }

  // Runs the workload with the fault after `after` operations; false once
  // the workload no longer reaches the fault.
  bool run_with_fault_after(int after) {
    FaultyVfs& vfs = FaultyVfs::instance();
    std::unique_ptr<Store> store = open_store(true);
    if (!store) {
      return false;
    }
    for (const char* name : {"fn", "other"}) {
      Function f;
      f.name = name;
      f.command = {"cat"};
      EXPECT_TRUE(store->put_function(f).ok());
    }
    vfs.arm(after, GetParam().fault, GetParam().persistent);
    for (int round = 0; round < 4; ++round) {
      run_round(*store, round);
    }
    bool fired = vfs.fired();
    vfs.clear();
    EXPECT_EQ(fired, m_ledger.errors > 0) << "a fault that fired must be reported";
    expect_ledger_kept(*store);
    expect_refused_absent(*store);
    EXPECT_EQ(integrity_of(options(false).path), "ok");
    // The same store, no reopen: writes work again, and the calls claimed
    // before the fault can have their outcomes recorded.
    finish_all_claimed(*store);
    int errors = m_ledger.errors;
    submit_two(*store, 99);
    EXPECT_EQ(m_ledger.errors, errors) << "a submit after the fault cleared failed";
    store.reset();
    // What was acknowledged survives a reopen, with the default VFS; what was
    // refused does not appear (the commits since have overwritten the WAL
    // frames of a commit whose sync failed).
    store = open_store(false);
    if (store) {
      expect_ledger_kept(*store);
      expect_refused_absent(*store);
    }
    EXPECT_EQ(integrity_of(options(false).path), "ok");
    return fired;
  }

  TempDir m_dir;
  Ledger m_ledger;
};

TEST_P(FaultTest, EveryWriteSucceedsWhollyOrFailsClearlyAndTheStoreRecovers) {
  int after = 0;
  for (; after < 2000; after += after < 24 ? 1 : 6) {
    SCOPED_TRACE("fault after " + std::to_string(after) + " operations");
    m_ledger = Ledger{};
    std::remove(m_dir.file("fnq.db").c_str());
    std::remove(m_dir.file("fnq.db-wal").c_str());
    std::remove(m_dir.file("fnq.db-shm").c_str());
    bool fired = run_with_fault_after(after);
    if (HasFailure() || !fired) {
      break;
    }
  }
  EXPECT_GT(after, 100) << "the workload should take more than 100 writes, syncs and truncates";
}

// The last checkpoint, at close, failing part way: the WAL is kept, and
// every acknowledged call is found after reopening.
TEST(FaultAtCloseTest, AFailedCheckpointLosesNothing) {
  FaultyVfs& vfs = FaultyVfs::instance();
  int after = 0;
  for (bool fired = true; fired && after < 200; ++after) {
    SCOPED_TRACE("fault after " + std::to_string(after) + " operations");
    TempDir dir;
    SqliteOptions opts;
    opts.path = dir.file("fnq.db");
    opts.vfs = FaultyVfs::k_name;
    auto store = open_sqlite_store(opts);
    ASSERT_TRUE(store.ok()) << store.error().message;
    Function f;
    f.name = "fn";
    f.command = {"cat"};
    ASSERT_TRUE((*store)->put_function(f).ok());
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
      NewCall nc = make_call("fn", std::string(8192, 'x'));
      ASSERT_TRUE((*store)->submit({nc}).ok());
      ids.push_back(nc.call.id);
    }
    vfs.arm(after, Fault::io_error, true);
    Status closed = (*store)->close();
    fired = vfs.fired();
    vfs.clear();
    if (fired) {
      ASSERT_FALSE(closed.ok());
      EXPECT_NE(closed.error().message.find("kept the write-ahead log " + opts.path + "-wal"),
                std::string::npos)
          << closed.error().message;
    }
    store = make_error(ErrorKind::internal, "closed");
    opts.vfs.clear();
    auto reopened = open_sqlite_store(opts);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    for (const std::string& id : ids) {
      EXPECT_TRUE((*reopened)->get_call(id).ok()) << id << " was lost";
    }
    reopened = make_error(ErrorKind::internal, "closed");
    EXPECT_EQ(integrity_of(opts.path), "ok");
  }
  EXPECT_GT(after, 3) << "the checkpoint at close should take several operations";
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultTest,
    ::testing::Values(FaultCase{Fault::disk_full, true}, FaultCase{Fault::disk_full, false},
                      FaultCase{Fault::io_error, true}, FaultCase{Fault::io_error, false}),
    [](const auto& param_info) {
      return std::string(param_info.param.fault == Fault::disk_full ? "DiskFull" : "IoError") +
             (param_info.param.persistent ? "Persistent" : "Once");
    });

}  // namespace
}  // namespace fnq::test
