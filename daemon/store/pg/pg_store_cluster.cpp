// What makes several hosts one queue: heartbeats, the leader row, rescue of
// silent hosts' calls, lost calls, and LISTEN/NOTIFY.
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "daemon/store/attempt_history.h"
#include "daemon/store/pg/pg_rows.h"
#include "daemon/store/pg/pg_store.h"

namespace fnq {
namespace {

using pg::Connection;
using pg::Params;
using pg::PgResult;

constexpr const char* k_channel = "fnq";
constexpr std::size_t k_max_payload = 7000;  // NOTIFY payloads must stay under 8000 bytes
constexpr std::int64_t k_work_notify_gap_ms = 50;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The leader row lives this long without renewal: long enough to survive a
// missed pass, short enough that a stopped leader is replaced well within
// the lease of the hosts it should rescue.
std::int64_t leader_ttl_ms(Millis lease) {
  return std::clamp<std::int64_t>(lease.count() / 2, 2000, 15000);
}

Result<bool> elect(Connection& conn, const std::string& host, Millis lease) {
  FNQ_TRY_ASSIGN(
      PgResult res,
      conn.exec("INSERT INTO cluster_leader (id, host, expires_at) VALUES (1, $1, " FNQ_PG_NOW
                " + $2) ON CONFLICT (id) DO UPDATE SET host = excluded.host, "
                "expires_at = excluded.expires_at WHERE cluster_leader.host = "
                "excluded.host OR cluster_leader.expires_at < " FNQ_PG_NOW " RETURNING host",
                Params().add(host).add(leader_ttl_ms(lease))));
  return res.rows() == 1;
}

// Requeues or fails the running calls of hosts silent for longer than lease.
Result<RecoveryReport> rescue(Connection& conn, const std::string& self, Millis lease) {
  FNQ_TRY_ASSIGN(
      PgResult running,
      conn.exec("SELECT c.id, c.attempt, c.max_retries, c.host FROM calls c "
                "LEFT JOIN hosts h ON h.name = c.host WHERE c.state = 'running' "
                "AND c.host <> $1 AND (h.name IS NULL OR h.heartbeat_at < " FNQ_PG_NOW " - $2) "
                "ORDER BY c.id FOR UPDATE OF c",
                Params().add(self).add(static_cast<std::int64_t>(lease.count()))));
  RecoveryReport report;
  Settlement s;
  FNQ_TRY_ASSIGN(PgResult now, conn.exec("SELECT " FNQ_PG_NOW));
  s.now = now.int64(0, 0);
  for (int r = 0; r < running.rows(); ++r) {
    std::string id = running.text(r, 0);
    if (running.int64(r, 1) <= running.int64(r, 2)) {
      std::string error = "host " + running.text(r, 3) + " stopped responding while running";
      FNQ_TRY(conn.command("UPDATE calls SET state = 'queued', " FNQ_PG_APPEND_ATTEMPT(
                               "$2", "'failed'", "NULL", "NULL", "$3") ", started_at = NULL, "
                                                                       "host = NULL WHERE id = $1",
                           Params().add(id).add(s.now).add(error)));
      report.retried.push_back(id);
    } else {
      std::string error =
          "host " + running.text(r, 3) + " stopped responding while running; no retries left";
      FNQ_TRY(pg::end_call(conn, id, CallState::failed, error, s));
    }
  }
  report.failed = std::move(s.terminal_ids);
  return report;
}

std::vector<std::string> split_ids(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string id;
  while (in >> id) {
    out.push_back(id);
  }
  return out;
}

// Adds one "HOST\nKIND\nIDS" payload from another host to n.
void take_payload(const std::string& self, const std::string& payload,
                  ClusterStore::Notification* n) {
  auto first = payload.find('\n');
  auto second = first == std::string::npos ? first : payload.find('\n', first + 1);
  if (second == std::string::npos || payload.compare(0, first, self) == 0) {
    return;  // ours (already acted on here), or not fnq's
  }
  n->any = true;
  char kind = payload[first + 1];
  std::string ids = payload.substr(second + 1);
  if (kind == 'f') {
    n->functions_changed = true;
  } else if (kind == 'c') {
    n->cancel_requested = true;
  } else if (kind == 't' && ids == "*") {
    n->check_all_waiters = true;
  } else if (kind == 't') {
    for (std::string& id : split_ids(ids)) {
      n->terminal_ids.push_back(std::move(id));
    }
  }
}

}  // namespace

Status PgStore::notify(Connection& conn, char kind, const std::vector<std::string>& ids) {
  std::string payload = m_host + "\n" + kind + "\n";
  std::size_t header = payload.size();
  for (const std::string& id : ids) {
    if (payload.size() + id.size() + 1 > k_max_payload) {
      payload.resize(header);
      payload += "*";
      break;
    }
    payload += id + " ";
  }
  return conn.command("SELECT pg_notify($1, $2)", Params().add(k_channel).add(payload));
}

Status PgStore::notify_work(Connection& conn) {
  std::int64_t now = steady_ms();
  std::int64_t last = m_last_work_notify.load();
  if (now - last < k_work_notify_gap_ms || !m_last_work_notify.compare_exchange_strong(last, now)) {
    return {};  // another host's polling (at most a second) or a recent notify covers it
  }
  return notify(conn, 'q');
}

void PgStore::track_claimed(const std::vector<ClaimedCall>& claimed) {
  std::lock_guard<std::mutex> lock(m_claimed_mutex);
  for (const ClaimedCall& c : claimed) {
    m_claimed[c.call.id] = c.call.attempt;
  }
}

void PgStore::untrack(const std::string& id) {
  std::lock_guard<std::mutex> lock(m_claimed_mutex);
  m_claimed.erase(id);
}

Result<RecoveryReport> PgStore::maintain(Millis lease) {
  auto report = write<RecoveryReport>([&](Connection& conn) -> Result<RecoveryReport> {
    FNQ_TRY_ASSIGN(
        PgResult beat,
        conn.exec("INSERT INTO hosts (name, started_at, heartbeat_at) VALUES ($1, " FNQ_PG_NOW
                  ", " FNQ_PG_NOW ") ON CONFLICT (name) DO UPDATE SET heartbeat_at = "
                  "excluded.heartbeat_at RETURNING heartbeat_at",
                  Params().add(m_host)));
    std::int64_t now = beat.int64(0, 0);
    if (m_connected_since == 0) {
      m_connected_since = now;
    }
    FNQ_TRY_ASSIGN(std::vector<std::string> unstarted, requeue_unstarted(conn));
    if (!unstarted.empty()) {
      FNQ_TRY(notify(conn, 'q'));
    }
    FNQ_TRY_ASSIGN(bool leader, elect(conn, m_host, lease));
    // Silence is judged only over time this host could hear the others: after
    // an outage of the database (or of this host's link to it) every host
    // was cut off alike, and each gets a whole lease to beat again.
    if (!leader || now - m_connected_since < lease.count()) {
      return RecoveryReport{unstarted, {}};
    }
    FNQ_TRY_ASSIGN(RecoveryReport rescued, rescue(conn, m_host, lease));
    if (!rescued.retried.empty() || !rescued.failed.empty()) {
      FNQ_TRY(notify(conn, 't', rescued.failed));
    }
    rescued.retried.insert(rescued.retried.end(), unstarted.begin(), unstarted.end());
    return rescued;
  });
  if (!report.ok()) {
    m_connected_since = 0;
  }
  return report;
}

Result<std::vector<std::string>> PgStore::requeue_unstarted(Connection& conn) {
  std::vector<std::string> requeued;
  std::uint64_t begun = m_claims_begun.load();
  if (m_claims_in_flight.load() != 0) {
    return requeued;  // next time
  }
  FNQ_TRY_ASSIGN(PgResult running,
                 conn.exec("SELECT id, attempt FROM calls WHERE state = 'running' AND host = $1",
                           Params().add(m_host)));
  std::vector<std::pair<std::string, std::int64_t>> unstarted;
  {
    std::lock_guard<std::mutex> lock(m_claimed_mutex);
    for (int r = 0; r < running.rows(); ++r) {
      auto it = m_claimed.find(running.text(r, 0));
      if (it == m_claimed.end() || it->second != running.int64(r, 1)) {
        unstarted.emplace_back(running.text(r, 0), running.int64(r, 1));
      }
    }
  }
  if (m_claims_in_flight.load() != 0 || m_claims_begun.load() != begun) {
    return requeued;  // a claim may have committed and not be tracked yet
  }
  // A call that ended meanwhile (its outcome recorded, then untracked) no
  // longer matches: only a call still running that attempt here goes back.
  for (const auto& [id, attempt] : unstarted) {
    FNQ_TRY_ASSIGN(
        PgResult res,
        conn.exec("UPDATE calls SET state = 'queued', attempt = attempt - 1, started_at = NULL, "
                  "host = NULL WHERE id = $1 AND state = 'running' AND attempt = $2 "
                  "AND host = $3 RETURNING id",
                  Params().add(id).add(attempt).add(m_host)));
    if (res.rows() > 0) {
      requeued.push_back(id);
    }
  }
  return requeued;
}

Result<std::vector<std::string>> PgStore::calls_to_stop() {
  std::vector<std::string> ids;
  std::vector<std::string> attempts;
  {
    std::lock_guard<std::mutex> lock(m_claimed_mutex);
    for (const auto& [id, attempt] : m_claimed) {
      ids.push_back(id);
      attempts.push_back(std::to_string(attempt));
    }
  }
  if (ids.empty()) {
    return ids;
  }
  return read<std::vector<std::string>>([&](Connection& conn) -> Result<std::vector<std::string>> {
    FNQ_TRY_ASSIGN(
        PgResult res,
        conn.exec("SELECT t.id FROM unnest($1::text[], $2::integer[]) AS t(id, attempt) "
                  "LEFT JOIN calls c ON c.id = t.id WHERE c.id IS NULL OR c.state <> 'running' "
                  "OR c.attempt <> t.attempt OR c.host IS DISTINCT FROM $3 "
                  "OR c.cancel_requested <> 0",
                  Params().add(pg::text_array(ids)).add(pg::text_array(attempts)).add(m_host)));
    std::vector<std::string> out;
    for (int r = 0; r < res.rows(); ++r) {
      out.push_back(res.text(r, 0));
    }
    return out;
  });
}

Result<std::vector<std::string>> PgStore::terminal_among(const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return std::vector<std::string>();
  }
  return read<std::vector<std::string>>([&](Connection& conn) -> Result<std::vector<std::string>> {
    FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT id FROM calls WHERE id = ANY($1::text[]) "
                                           "AND state IN " FNQ_TERMINAL_STATES,
                                           Params().add(pg::text_array(ids))));
    std::vector<std::string> out;
    for (int r = 0; r < res.rows(); ++r) {
      out.push_back(res.text(r, 0));
    }
    return out;
  });
}

Result<bool> PgStore::listen() {
  if (m_listener.handle() && !m_listener.is_broken()) {
    return true;
  }
  if (!m_listener.handle()) {
    FNQ_TRY_ASSIGN(m_listener, pg::Connection::open(m_pool.conninfo()));
  } else {
    FNQ_TRY(m_listener.reconnect());
  }
  FNQ_TRY(m_listener.run(std::string("LISTEN ") + k_channel, "cannot listen for notifications"));
  return true;
}

Result<ClusterStore::Notification> PgStore::wait_for_notification(Millis timeout) {
  std::lock_guard<std::mutex> lock(m_listener_mutex);
  Notification n;
  auto listening = listen();
  if (!listening.ok()) {
    std::this_thread::sleep_for(timeout);  // the caller polls meanwhile
    return listening.error();
  }
  // A fresh listener may have missed notifications: the caller's polling covers that.
  pollfd pfd{PQsocket(m_listener.handle()), POLLIN, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready > 0 && PQconsumeInput(m_listener.handle()) == 0) {
    return pg::pg_error(m_listener.handle(), nullptr, "lost the notification connection");
  }
  while (PGnotify* note = PQnotifies(m_listener.handle())) {
    take_payload(m_host, note->extra ? note->extra : "", &n);
    PQfreemem(note);
  }
  return n;
}

}  // namespace fnq
