#include "daemon/cluster.h"

#include <chrono>

#include "daemon/functions.h"
#include "daemon/log.h"
#include "daemon/scheduler.h"
#include "daemon/watch.h"

namespace fnq {
namespace {

constexpr Millis k_listen_slice{250};  // longest wait for a notification (also stop latency)
constexpr Millis k_pass_interval{1000};

}  // namespace

Result<OpenedStore> open_store(const DaemonConfig& config) {
  OpenedStore out;
  if (is_postgresql_db(config.db_path)) {
    if (!postgresql_compiled_in()) {
      return make_error(ErrorKind::invalid_input,
                        "--db names a PostgreSQL database, but PostgreSQL support is not "
                        "compiled in (rebuild fnqd with libpq-dev installed, or give --db a "
                        "SQLite file path)");
    }
    PgOptions opts;
    opts.conninfo = config.db_path;
    opts.host = config.host_name;
    FNQ_TRY_ASSIGN(auto store, open_postgresql_store(opts));
    out.cluster = store.get();
    out.store = std::move(store);
    out.description = "PostgreSQL, host " + config.host_name + ", lease " +
                      std::to_string(config.lease.count()) + "ms";
    return out;
  }
  SqliteOptions opts;
  opts.path = config.db_path;
  opts.synchronous_full = config.sync_full;
  FNQ_TRY_ASSIGN(out.store, open_sqlite_store(opts));
  out.description = config.db_path;
  return out;
}

ClusterAgent::ClusterAgent(ClusterStore& store, Scheduler& scheduler, CallWatch& watch,
                           FunctionRegistry& functions, OnTerminal on_terminal, Millis lease)
    : m_store(store),
      m_scheduler(scheduler),
      m_watch(watch),
      m_functions(functions),
      m_on_terminal(std::move(on_terminal)),
      m_lease(lease) {}

ClusterAgent::~ClusterAgent() { stop(); }

void ClusterAgent::start() {
  m_thread = std::thread([this] { run(); });
}

void ClusterAgent::stop() {
  m_stop = true;
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void ClusterAgent::run() {
  auto next_pass = std::chrono::steady_clock::now();
  while (!m_stop) {
    auto n = m_store.wait_for_notification(k_listen_slice);
    if (n.ok() && n->any) {
      on_notification(*n);
    }
    if (std::chrono::steady_clock::now() >= next_pass) {
      pass();
      next_pass = std::chrono::steady_clock::now() + k_pass_interval;
    }
  }
}

void ClusterAgent::on_notification(const ClusterStore::Notification& n) {
  if (n.functions_changed) {
    (void)m_functions.load();
  }
  if (!n.terminal_ids.empty()) {
    m_on_terminal(n.terminal_ids, CallbackDue::maybe);  // ended on another host
  }
  if (n.check_all_waiters) {
    wake_watched();
  }
  m_scheduler.wake();
  if (n.cancel_requested) {
    stop_lost_calls();
  }
}

void ClusterAgent::pass() {
  auto rescued = m_store.maintain(m_lease);
  if (!rescued) {
    note_error("cannot renew this host's heartbeat", rescued.error());
    return;
  }
  if (m_failing) {
    log_line("the database is reachable again");
    m_failing = false;
  }
  if (!rescued->retried.empty() || !rescued->failed.empty()) {
    log_line("rescued " + std::to_string(rescued->retried.size() + rescued->failed.size()) +
             " call(s) of silent hosts, or claimed here and never started (" +
             std::to_string(rescued->failed.size()) + " failed: no retries left)");
    m_on_terminal(rescued->failed, CallbackDue::maybe);
  }
  (void)m_functions.load();
  m_scheduler.wake();  // the polling fallback: work a lost notification announced
  stop_lost_calls();
  wake_watched();
}

void ClusterAgent::stop_lost_calls() {
  auto lost = m_store.calls_to_stop();
  if (!lost) {
    note_error("cannot check running calls", lost.error());
    return;
  }
  if (!lost->empty()) {
    log_line("stopping " + std::to_string(lost->size()) +
             " call(s) rescued or cancelled on another host");
    m_scheduler.kill_running(*lost);
  }
}

void ClusterAgent::wake_watched() {
  std::vector<std::string> watched = m_watch.watched_ids();
  if (watched.empty()) {
    return;
  }
  auto ended = m_store.terminal_among(watched);
  if (ended && !ended->empty()) {
    m_watch.notify(*ended);
  }
}

void ClusterAgent::note_error(const char* what, const Error& e) {
  if (!m_failing) {
    log_line(std::string(what) + ": " + e.message + " (retrying every second)");
    m_failing = true;
  }
}

}  // namespace fnq
