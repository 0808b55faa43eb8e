#pragma once
// The PostgreSQL store: several fnqd on several hosts share one queue.
// Declared in every build; without libpq, open_postgresql_store says that
// PostgreSQL support is not compiled in.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/units.h"
#include "daemon/store/store.h"

namespace fnq {

struct PgOptions {
  std::string conninfo;  // a libpq URI (postgresql://...) or key=value string
  std::string host;      // this fnqd's stable name: claims record it, outcomes are fenced by it
  int connections = 16;  // connections in the pool
};

// What a host of a cluster does besides storing calls.
class ClusterStore : public Store {
 public:
  // One maintenance pass, run about every second: renews this host's
  // heartbeat; queues again the calls the database says run here but this
  // host never started (a claim that committed after its connection broke;
  // the attempt not counted); then, if this host holds (or takes) the
  // leader row, rescues
  // the running calls of hosts whose heartbeat is older than `lease`: each
  // goes back to queued (the attempt counts) or fails when no retries are
  // left, its dependents skipped. What was rescued is returned. A host
  // rescues nothing until it has itself beaten for a whole lease without a
  // failure (at start, and after losing the database): a silence that every
  // host shared is the database's, not theirs.
  virtual Result<RecoveryReport> maintain(Millis lease) = 0;
  // Calls this host claimed and is still running whose attempt is no longer
  // its own (rescued by another host, or gone), or whose cancel was asked
  // on another host: their processes must be stopped. A stopped attempt's
  // outcome is fenced (a lost call) or records the cancel.
  virtual Result<std::vector<std::string>> calls_to_stop() = 0;
  // Those of ids that are terminal now.
  virtual Result<std::vector<std::string>> terminal_among(const std::vector<std::string>& ids) = 0;

  // What other hosts announced (LISTEN/NOTIFY): new work, or calls that
  // became terminal there.
  struct Notification {
    bool any = false;
    std::vector<std::string> terminal_ids;
    bool check_all_waiters = false;  // too many ids to carry: re-read every watched call
    bool functions_changed = false;
    bool cancel_requested = false;  // a call running somewhere is to be stopped
  };
  // Waits up to timeout for notifications from other hosts.
  virtual Result<Notification> wait_for_notification(Millis timeout) = 0;
};

// A --db value names PostgreSQL (rather than a SQLite file) when it is a
// postgres:// or postgresql:// URI, or a key=value connection string (it
// starts with a keyword and '=', as in "host=db1 dbname=fnq").
inline bool is_postgresql_db(const std::string& db) {
  if (db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0) {
    return true;
  }
  std::size_t i = 0;
  while (i < db.size() && ((db[i] >= 'a' && db[i] <= 'z') || db[i] == '_')) {
    ++i;
  }
  return i > 0 && i < db.size() && db[i] == '=';
}

// Connects, applies schema/postgresql/ migrations under an advisory lock
// (refusing a database of another application, or a newer schema), and
// registers the host.
Result<std::unique_ptr<ClusterStore>> open_postgresql_store(const PgOptions& opts);

// false in a build without libpq.
bool postgresql_compiled_in();

}  // namespace fnq
