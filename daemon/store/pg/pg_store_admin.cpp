// Operations users ask for (cancel, retry, prune, deleting a function),
// callbacks, and counts.
#include <algorithm>

#include "daemon/store/attempt_history.h"
#include "daemon/store/pg/pg_rows.h"
#include "daemon/store/pg/pg_store.h"
#include "daemon/store/store_checks.h"

namespace fnq {
namespace {

using pg::Connection;
using pg::Params;
using pg::PgResult;

// How long a callback taken by due_callbacks is this host's to send.
constexpr std::int64_t k_callback_lease_ms = 60'000;

Status requeue_for_retry(Connection& conn, const Call& c, const RetryNeeds& needs,
                         std::int64_t now) {
  FNQ_TRY(conn.command(
      "UPDATE calls SET state = CASE WHEN $2::integer > 0 THEN 'waiting' ELSE 'queued' END, "
      "pending_needs = $2::integer, run_at = $3, exit_code = NULL, signal = NULL, error = NULL, "
      "started_at = NULL, finished_at = NULL, output_size = 0, output_truncated = 0, "
      "max_retries = greatest(max_retries, attempt), host = NULL, "
      "callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END, "
      "callback_next_at = NULL, callback_attempts = 0, callback_last_status = NULL, "
      "attempts = coalesce($4::text, attempts) WHERE id = $1",
      Params()
          .add(c.id)
          .add(static_cast<int>(needs.pending_ids.size()))
          .add(now)
          .add(history_with_last_attempt(c))));
  FNQ_TRY(pg::put_blob(conn, c.id, BlobKind::output, ""));
  FNQ_TRY(pg::put_blob(conn, c.id, BlobKind::stderr_tail, ""));
  if (needs.input_ready) {
    FNQ_TRY(pg::copy_output_to_input(conn, *c.input_from, c.id));
  }
  for (const std::string& need : needs.pending_ids) {
    FNQ_TRY(conn.command(
        "INSERT INTO call_needs (needs_id, call_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        Params().add(need).add(c.id)));
  }
  return {};
}

}  // namespace

Result<CancelResult> PgStore::cancel(const std::string& id, std::int64_t now,
                                     std::vector<std::string>* terminal_ids) {
  Settlement s;
  auto result = write<CancelResult>([&](Connection& conn) -> Result<CancelResult> {
    s = Settlement();
    s.now = now;
    // Locked: a claim on another host cannot start it meanwhile.
    FNQ_TRY_ASSIGN(CallState state, pg::lock_call_state(conn, id, false));
    if (state == CallState::running) {
      // The host running it stops it (see calls_to_stop).
      FNQ_TRY(
          conn.command("UPDATE calls SET cancel_requested = 1 WHERE id = $1", Params().add(id)));
      FNQ_TRY(notify(conn, 'c'));
      return CancelResult::running;
    }
    if (is_terminal(state)) {
      return CancelResult::already_terminal;
    }
    FNQ_TRY(pg::end_call(conn, id, CallState::cancelled, "cancelled", s));
    FNQ_TRY(notify(conn, 't', s.terminal_ids));
    return CancelResult::cancelled;
  });
  if (result.ok() && terminal_ids) {
    *terminal_ids = std::move(s.terminal_ids);
  }
  return result;
}

Result<Call> PgStore::retry(const std::string& id, std::int64_t now) {
  return write<Call>([&](Connection& conn) -> Result<Call> {
    FNQ_TRY_ASSIGN(Call c, pg::load_call(conn, id, true));
    FNQ_TRY(check_retryable(c));
    // The needed rows are locked FOR SHARE (see check_needs).
    FNQ_TRY_ASSIGN(RetryNeeds needs, retry_needs(c, [&](const std::string& need) {
                     return pg::lock_call_state(conn, need, true);
                   }));
    FNQ_TRY(requeue_for_retry(conn, c, needs, now));
    FNQ_TRY(notify(conn, 'q'));
    return pg::load_call(conn, id);
  });
}

Result<int> PgStore::prune(std::int64_t before, int batch) {
  if (batch <= 0) {
    return 0;
  }
  // Edges where a pruned call is the dependent of a still unfinished call
  // stay until that call ends and consumes them.
  return write<int>([&](Connection& conn) -> Result<int> {
    FNQ_TRY_ASSIGN(
        PgResult res,
        conn.exec("WITH doomed AS (SELECT id FROM calls WHERE finished_at < $1 AND state "
                  "IN " FNQ_TERMINAL_STATES
                  " ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED), "
                  "blobs AS (DELETE FROM call_blobs WHERE call_id IN (SELECT id FROM doomed)), "
                  "edges AS (DELETE FROM call_needs WHERE needs_id IN (SELECT id FROM doomed)) "
                  "DELETE FROM calls WHERE id IN (SELECT id FROM doomed) RETURNING id",
                  Params().add(before).add(batch)));
    if (res.rows() > 0) {
      // A pipeline goes with the last of its calls.
      FNQ_TRY(
          conn.command("DELETE FROM pipelines WHERE created_at < $1 AND NOT EXISTS "
                       "(SELECT 1 FROM calls WHERE pipeline = pipelines.id)",
                       Params().add(before)));
    }
    FNQ_TRY(
        conn.command("DELETE FROM call_finishes WHERE minute < $1", Params().add(before / 60000)));
    return res.rows();
  });
}

Result<std::vector<CallbackJob>> PgStore::due_callbacks(std::int64_t now, int limit) {
  // Taken, not just read: each due callback is leased to this host (its
  // next attempt pushed back) in the same statement, so that no other host
  // sends it too. The sender records the real outcome or next time.
  return write<std::vector<CallbackJob>>([&](Connection& conn) -> Result<std::vector<CallbackJob>> {
    FNQ_TRY_ASSIGN(
        PgResult res,
        conn.exec("WITH due AS (SELECT id AS due_id FROM calls WHERE callback_state = "
                  "'pending' AND callback_next_at IS NOT NULL AND callback_next_at <= $1 "
                  "ORDER BY callback_next_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
                  "UPDATE calls SET callback_next_at = $1 + $3 FROM due "
                  "WHERE calls.id = due.due_id "
                  "RETURNING id, callback_url, callback_attempts",
                  Params().add(now).add(std::max(0, limit)).add(k_callback_lease_ms)));
    std::vector<CallbackJob> out;
    for (int r = 0; r < res.rows(); ++r) {
      out.push_back(CallbackJob{res.text(r, 0), res.text(r, 1), static_cast<int>(res.int64(r, 2))});
    }
    return out;
  });
}

Result<std::optional<std::int64_t>> PgStore::next_callback_at() {
  using Next = std::optional<std::int64_t>;
  return read<Next>([&](Connection& conn) -> Result<Next> {
    FNQ_TRY_ASSIGN(PgResult res,
                   conn.exec("SELECT min(callback_next_at) FROM calls WHERE callback_state = "
                             "'pending' AND callback_next_at IS NOT NULL"));
    if (res.rows() == 0 || res.is_null(0, 0)) {
      return Next();
    }
    return Next(res.int64(0, 0));
  });
}

Status PgStore::record_callback(const std::string& id, const std::string& state, int attempts,
                                std::optional<int> last_status, std::int64_t next_at) {
  if (state != "pending" && state != "delivered" && state != "failed") {
    return make_error(ErrorKind::internal, "invalid callback state '" + state + "'");
  }
  auto done = write<bool>([&](Connection& conn) -> Result<bool> {
    FNQ_TRY_ASSIGN(
        PgResult res,
        conn.exec("UPDATE calls SET callback_state = $2, callback_attempts = $3, "
                  "callback_last_status = $4, callback_next_at = CASE WHEN "
                  "$2::text = 'pending' THEN $5::bigint ELSE NULL END "
                  "WHERE id = $1 AND callback_url IS NOT NULL RETURNING id",
                  Params().add(id).add(state).add(attempts).add(last_status).add(next_at)));
    if (res.rows() == 0) {
      return make_error(ErrorKind::not_found, "unknown call '" + id + "' with a callback");
    }
    return true;
  });
  if (!done) {
    return done.error();
  }
  return {};
}

Result<StoreStats> PgStore::stats() {
  return read<StoreStats>([&](Connection& conn) -> Result<StoreStats> {
    FNQ_TRY_ASSIGN(
        PgResult res,
        conn.exec("SELECT function, state, sum(n) FROM call_counts GROUP BY function, state "
                  "HAVING sum(n) > 0 ORDER BY function, state"));
    StoreStats out;
    for (int r = 0; r < res.rows(); ++r) {
      if (auto state = parse_call_state(res.text(r, 1))) {
        out.counts.emplace_back(res.text(r, 0), *state, res.int64(r, 2));
      }
    }
    return out;
  });
}

Result<std::int64_t> PgStore::count_in_state(CallState state) {
  return read<std::int64_t>([&](Connection& conn) -> Result<std::int64_t> {
    FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT count(*) FROM calls WHERE state = $1",
                                           Params().add(to_string(state))));
    return res.rows() > 0 ? res.int64(0, 0) : 0;
  });
}

Result<Store::DeleteResult> PgStore::delete_function(const std::string& name, bool force,
                                                     std::int64_t now) {
  return write<DeleteResult>([&](Connection& conn) -> Result<DeleteResult> {
    FNQ_TRY_ASSIGN(PgResult fn, conn.exec("SELECT 1 FROM functions WHERE name = $1 FOR UPDATE",
                                          Params().add(name)));
    if (fn.rows() == 0) {
      return make_error(ErrorKind::not_found, "unknown function '" + name + "'");
    }
    FNQ_TRY_ASSIGN(PgResult unfinished,
                   conn.exec("SELECT id, state FROM calls WHERE state IN ('waiting', 'queued', "
                             "'running') AND function = $1 ORDER BY id FOR UPDATE",
                             Params().add(name)));
    if (unfinished.rows() > 0 && !force) {
      return make_error(ErrorKind::conflict,
                        "function '" + name + "' has " + std::to_string(unfinished.rows()) +
                            " unfinished calls (delete with ?force=true to cancel them)");
    }
    DeleteResult result;
    Settlement s;
    s.now = now;
    for (int r = 0; r < unfinished.rows(); ++r) {
      if (unfinished.text(r, 1) == "running") {
        result.running_ids.push_back(unfinished.text(r, 0));
        FNQ_TRY(conn.command("UPDATE calls SET cancel_requested = 1 WHERE id = $1",
                             Params().add(unfinished.text(r, 0))));
      } else {
        FNQ_TRY(pg::end_call(conn, unfinished.text(r, 0), CallState::cancelled, "cancelled", s));
      }
    }
    result.terminal_ids = std::move(s.terminal_ids);
    FNQ_TRY(conn.command("DELETE FROM functions WHERE name = $1", Params().add(name)));
    FNQ_TRY(notify(conn, 'f'));
    if (!result.terminal_ids.empty()) {
      FNQ_TRY(notify(conn, 't', result.terminal_ids));
    }
    return result;
  });
}

}  // namespace fnq
