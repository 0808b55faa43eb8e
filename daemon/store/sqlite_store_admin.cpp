// Operations users ask for (cancel, retry, prune, deleting a function),
// callbacks, and counts.
#include <algorithm>

#include "daemon/store/attempt_history.h"
#include "daemon/store/call_rows.h"
#include "daemon/store/dependents.h"
#include "daemon/store/sqlite_store.h"
#include "daemon/store/store_checks.h"

namespace fnq {
namespace {

Result<CallState> call_state(Database& db, const std::string& id) {
  Query q = db.query("SELECT state FROM calls WHERE id = ?1");
  q.bind(1, id);
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return unknown_call(id);
  }
  auto state = parse_call_state(q.text(0));
  if (!state) {
    return make_error(ErrorKind::io, "call " + id + " has unknown state '" + q.text(0) + "'");
  }
  return *state;
}

Status requeue_for_retry(Database& db, const Call& c, const RetryNeeds& needs, std::int64_t now) {
  // max_retries grows to the attempts made so far, so exactly one more
  // attempt is possible (more only if the call had retries left).
  Query q = db.query(
      "UPDATE calls SET state = CASE WHEN ?2 > 0 THEN 'waiting' ELSE 'queued' END, "
      "pending_needs = ?2, run_at = ?3, exit_code = NULL, signal = NULL, error = NULL, "
      "started_at = NULL, finished_at = NULL, output_size = 0, output_truncated = 0, "
      "max_retries = max(max_retries, attempt), "
      "callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END, "
      "callback_next_at = NULL, callback_attempts = 0, callback_last_status = NULL, "
      "attempts = coalesce(?4, attempts) WHERE id = ?1");
  q.bind(1, c.id).bind(2, static_cast<int>(needs.pending_ids.size())).bind(3, now);
  q.bind(4, history_with_last_attempt(c));
  FNQ_TRY(q.run());
  FNQ_TRY(put_blob(db, c.id, BlobKind::output, ""));
  FNQ_TRY(put_blob(db, c.id, BlobKind::stderr_tail, ""));
  if (needs.input_ready) {
    FNQ_TRY(copy_output_to_input(db, *c.input_from, c.id));
  }
  for (const std::string& need : needs.pending_ids) {
    Query edge = db.query("INSERT OR IGNORE INTO call_needs (needs_id, call_id) VALUES (?1, ?2)");
    edge.bind(1, need).bind(2, c.id);
    FNQ_TRY(edge.run());
  }
  return {};
}

Status delete_call(Database& db, const std::string& id) {
  for (const char* sql :
       {"DELETE FROM call_blobs WHERE call_id = ?1", "DELETE FROM call_needs WHERE needs_id = ?1",
        "DELETE FROM calls WHERE id = ?1"}) {
    Query q = db.query(sql);
    q.bind(1, id);
    FNQ_TRY(q.run());
  }
  return {};
}

}  // namespace

Result<CancelResult> SqliteStore::cancel(const std::string& id, std::int64_t now,
                                         std::vector<std::string>* terminal_ids) {
  Settlement s;
  s.now = now;
  auto result = write<CancelResult>([&](Database& db) -> Result<CancelResult> {
    FNQ_TRY_ASSIGN(CallState state, call_state(db, id));
    if (state == CallState::running) {
      return CancelResult::running;  // the daemon stops it; finish() records cancelled
    }
    if (is_terminal(state)) {
      return CancelResult::already_terminal;
    }
    FNQ_TRY(end_call(db, id, CallState::cancelled, "cancelled", s));
    return CancelResult::cancelled;
  });
  if (result.ok() && terminal_ids) {
    *terminal_ids = std::move(s.terminal_ids);
  }
  return result;
}

Result<Call> SqliteStore::retry(const std::string& id, std::int64_t now) {
  return write<Call>([&](Database& db) -> Result<Call> {
    FNQ_TRY_ASSIGN(Call c, load_call(db, id));
    FNQ_TRY(check_retryable(c));
    FNQ_TRY_ASSIGN(RetryNeeds needs,
                   retry_needs(c, [&](const std::string& need) { return call_state(db, need); }));
    FNQ_TRY(requeue_for_retry(db, c, needs, now));
    return load_call(db, id);
  });
}

Result<int> SqliteStore::prune(std::int64_t before, int batch) {
  if (batch <= 0) {
    return 0;
  }
  return write<int>([&](Database& db) -> Result<int> {
    std::vector<std::string> ids;
    {
      Query q = db.query(sql::k_prunable);
      q.bind(1, before).bind(2, batch);
      FNQ_TRY_ASSIGN(ids, q.collect([](const Query& row) { return row.text(0); }));
    }
    // Edges where a pruned call is the dependent of a still unfinished call
    // stay until that call ends and consumes them (see call_needs).
    for (const std::string& id : ids) {
      FNQ_TRY(delete_call(db, id));
    }
    if (!ids.empty()) {
      // A pipeline goes with the last of its calls.
      Query q = db.query(sql::k_prune_pipelines);
      q.bind(1, before);
      FNQ_TRY(q.run());
    }
    FNQ_TRY(db.query(sql::k_prune_finishes).bind(1, before / 60000).run());
    return static_cast<int>(ids.size());
  });
}

Result<std::vector<CallbackJob>> SqliteStore::due_callbacks(std::int64_t now, int limit) {
  return read([&](Database& db) -> Result<std::vector<CallbackJob>> {
    Query q = db.query(sql::k_due_callbacks);
    q.bind(1, now).bind(2, std::max(0, limit));
    return q.collect([](const Query& row) {
      return CallbackJob{row.text(0), row.text(1), row.int32(2)};
    });
  });
}

Result<std::optional<std::int64_t>> SqliteStore::next_callback_at() {
  using Next = std::optional<std::int64_t>;
  return read([&](Database& db) -> Result<Next> {
    Query q = db.query(sql::k_next_callback);
    FNQ_TRY_ASSIGN(bool row, q.step());
    return row ? q.opt_int64(0) : Next();
  });
}

Status SqliteStore::record_callback(const std::string& id, const std::string& state, int attempts,
                                    std::optional<int> last_status, std::int64_t next_at) {
  if (state != "pending" && state != "delivered" && state != "failed") {
    return make_error(ErrorKind::internal, "invalid callback state '" + state + "'");
  }
  return m_writer->run([&](Database& db) -> Status {
    Query q = db.query(
        "UPDATE calls SET callback_state = ?2, callback_attempts = ?3, "
        "callback_last_status = ?4, "
        "callback_next_at = CASE WHEN ?2 = 'pending' THEN ?5 ELSE NULL END "
        "WHERE id = ?1 AND callback_url IS NOT NULL RETURNING id");
    q.bind(1, id).bind(2, state).bind(3, attempts).bind(4, last_status).bind(5, next_at);
    FNQ_TRY_ASSIGN(bool row, q.step());
    FNQ_TRY(q.run());
    if (!row) {
      return make_error(ErrorKind::not_found, "unknown call '" + id + "' with a callback");
    }
    return {};
  });
}

Result<StoreStats> SqliteStore::stats() {
  // From call_counts, kept by triggers (schema/003_dashboard.sql): a count
  // over the calls table read every row, about a second per million calls.
  return read([&](Database& db) -> Result<StoreStats> {
    Query q = db.query(sql::k_call_counts);
    StoreStats out;
    FNQ_TRY(q.each([&](const Query& row) {
      if (auto state = parse_call_state(row.text(1))) {
        out.counts.emplace_back(row.text(0), *state, row.int64(2));
      }
    }));
    return out;
  });
}

Result<std::int64_t> SqliteStore::count_in_state(CallState state) {
  // Counts entries of the state index (cheap for the small unfinished states).
  return read([&](Database& db) -> Result<std::int64_t> {
    Query q = db.query(sql::k_count_in_state);
    q.bind(1, to_string(state));
    FNQ_TRY_ASSIGN(bool row, q.step());
    return row ? q.int64(0) : 0;
  });
}

Result<Store::DeleteResult> SqliteStore::delete_function(const std::string& name, bool force,
                                                         std::int64_t now) {
  return write<DeleteResult>([&](Database& db) -> Result<DeleteResult> {
    {
      Query q = db.query("SELECT 1 FROM functions WHERE name = ?1");
      q.bind(1, name);
      FNQ_TRY_ASSIGN(bool row, q.step());
      if (!row) {
        return make_error(ErrorKind::not_found, "unknown function '" + name + "'");
      }
    }
    std::vector<std::pair<std::string, std::string>> unfinished;  // id, state
    {
      Query q = db.query(sql::k_unfinished_of_function);
      q.bind(1, name);
      FNQ_TRY_ASSIGN(unfinished, q.collect([](const Query& row) {
        return std::make_pair(row.text(0), row.text(1));
      }));
    }
    if (!unfinished.empty() && !force) {
      return make_error(ErrorKind::conflict,
                        "function '" + name + "' has " + std::to_string(unfinished.size()) +
                            " unfinished calls (delete with ?force=true to cancel them)");
    }
    DeleteResult result;
    Settlement s;
    s.now = now;
    for (const auto& [id, state] : unfinished) {
      if (state == "running") {
        result.running_ids.push_back(id);
      } else {
        FNQ_TRY(end_call(db, id, CallState::cancelled, "cancelled", s));
      }
    }
    result.terminal_ids = std::move(s.terminal_ids);
    Query q = db.query("DELETE FROM functions WHERE name = ?1");
    q.bind(1, name);
    FNQ_TRY(q.run());
    return result;
  });
}

}  // namespace fnq
