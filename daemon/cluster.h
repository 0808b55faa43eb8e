#pragma once
// Opening the store fnqd's --db names, and, on PostgreSQL, the host's part
// in the cluster: one thread that listens for other hosts' notifications
// and, about every second, heartbeats (and, as the leader, rescues silent
// hosts' calls), wakes the scheduler (the polling fallback for a lost
// notification), reloads functions, stops calls this host has lost or that
// were cancelled elsewhere, and wakes requests waiting on calls that ended
// on other hosts.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config.h"
#include "daemon/store/pg_store.h"
#include "daemon/terminal.h"

namespace fnq {

class CallWatch;
class FunctionRegistry;
class Scheduler;

struct OpenedStore {
  std::unique_ptr<Store> store;
  ClusterStore* cluster = nullptr;  // set on PostgreSQL
  std::string description;          // for the log; never the connection string (passwords)
};

// SQLite at config.db_path, or PostgreSQL when it is a URI or conninfo.
Result<OpenedStore> open_store(const DaemonConfig& config);

class ClusterAgent {
 public:
  ClusterAgent(ClusterStore& store, Scheduler& scheduler, CallWatch& watch,
               FunctionRegistry& functions, OnTerminal on_terminal, Millis lease);
  ~ClusterAgent();
  ClusterAgent(const ClusterAgent&) = delete;
  ClusterAgent& operator=(const ClusterAgent&) = delete;

  void start();
  void stop();

 private:
  void run();
  void on_notification(const ClusterStore::Notification& n);
  void pass();  // the once-a-second work
  void stop_lost_calls();
  void wake_watched();
  void note_error(const char* what, const Error& e);

  ClusterStore& m_store;
  Scheduler& m_scheduler;
  CallWatch& m_watch;
  FunctionRegistry& m_functions;
  OnTerminal m_on_terminal;
  Millis m_lease;
  std::atomic<bool> m_stop{false};
  bool m_failing = false;  // the last store operation failed (log changes only)
  std::thread m_thread;
};

}  // namespace fnq
