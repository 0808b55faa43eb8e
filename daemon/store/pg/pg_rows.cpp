#include "daemon/store/pg/pg_rows.h"

#include <algorithm>
#include <utility>

#include "daemon/store/call_row_reader.h"

namespace fnq::pg {
namespace {

struct Ended {
  std::string id;
  CallState state;
};

// Takes the dependents of `id` (in id order) and deletes the edges: each
// edge is acted on exactly once.
Result<std::vector<std::string>> take_dependents(Connection& conn, const std::string& id) {
  FNQ_TRY_ASSIGN(
      PgResult res,
      conn.exec("DELETE FROM call_needs WHERE needs_id = $1 RETURNING call_id", Params().add(id)));
  std::vector<std::string> out;
  for (int r = 0; r < res.rows(); ++r) {
    out.push_back(res.text(r, 0));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status release_one(Connection& conn, const std::string& need, const std::string& dependent,
                   Settlement& s) {
  FNQ_TRY_ASSIGN(PgResult res,
                 conn.exec("UPDATE calls SET pending_needs = pending_needs - 1, "
                           "state = CASE WHEN pending_needs = 1 AND run_at <= $2 THEN 'queued' "
                           "ELSE 'waiting' END "
                           "WHERE id = $1 AND state = 'waiting' AND pending_needs > 0 "
                           "RETURNING pending_needs, input_from",
                           Params().add(dependent).add(s.now)));
  if (res.rows() == 0) {
    return {};
  }
  if (res.int64(0, 0) == 0) {
    s.released = true;
  }
  if (!res.is_null(0, 1) && res.text(0, 1) == need) {
    FNQ_TRY(copy_output_to_input(conn, need, dependent));
  }
  return {};
}

Result<bool> skip_one(Connection& conn, const Ended& need, const std::string& dependent,
                      Settlement& s) {
  std::string error = "dependency " + need.id + " " + to_string(need.state);
  FNQ_TRY_ASSIGN(PgResult res,
                 conn.exec("UPDATE calls SET state = 'skipped', error = $2, finished_at = $3, "
                           "pending_needs = 0, " FNQ_CALLBACK_DUE_AT(
                               "$3::bigint") " WHERE id = $1 AND state = 'waiting' RETURNING id",
                           Params().add(dependent).add(error).add(s.now)));
  return res.rows() > 0;
}

}  // namespace

Result<std::vector<Call>> read_calls(const PgResult& res) {
  std::vector<Call> out;
  out.reserve(static_cast<std::size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r) {
    FNQ_TRY_ASSIGN(Call c, read_call_row(Row(res, r)));
    out.push_back(std::move(c));
  }
  return out;
}

Result<Call> load_call(Connection& conn, const std::string& id, bool for_update) {
  FNQ_TRY_ASSIGN(
      PgResult res,
      conn.exec(for_update ? "SELECT " FNQ_CALL_COLUMNS " FROM calls WHERE id = $1 FOR UPDATE"
                           : "SELECT " FNQ_CALL_COLUMNS " FROM calls WHERE id = $1",
                Params().add(id)));
  if (res.rows() == 0) {
    return unknown_call(id);
  }
  return read_call_row(Row(res, 0));
}

Result<CallState> lock_call_state(Connection& conn, const std::string& id, bool share) {
  FNQ_TRY_ASSIGN(PgResult res, conn.exec(share ? "SELECT state FROM calls WHERE id = $1 FOR SHARE"
                                               : "SELECT state FROM calls WHERE id = $1 FOR UPDATE",
                                         Params().add(id)));
  if (res.rows() == 0) {
    return unknown_call(id);
  }
  auto state = parse_call_state(res.text(0, 0));
  if (!state) {
    return make_error(ErrorKind::io, "call " + id + " has unknown state '" + res.text(0, 0) + "'");
  }
  return *state;
}

Status put_blob(Connection& conn, const std::string& call_id, BlobKind kind,
                std::string_view data) {
  if (data.empty()) {
    return conn.command("DELETE FROM call_blobs WHERE call_id = $1 AND kind = $2",
                        Params().add(call_id).add(static_cast<int>(kind)));
  }
  return conn.command(
      "INSERT INTO call_blobs (call_id, kind, data) VALUES ($1, $2, $3) "
      "ON CONFLICT (call_id, kind) DO UPDATE SET data = excluded.data",
      Params().add(call_id).add(static_cast<int>(kind)).add_bytes(data));
}

Result<std::string> read_blob(Connection& conn, const std::string& call_id, BlobKind kind) {
  // One statement, so the call's existence and its blob come from one snapshot.
  FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT (SELECT data FROM call_blobs WHERE call_id = $1 "
                                         "AND kind = $2) FROM calls WHERE id = $1",
                                         Params().add(call_id).add(static_cast<int>(kind)), true));
  if (res.rows() == 0) {
    return unknown_call(call_id);
  }
  return res.is_null(0, 0) ? std::string() : res.text(0, 0);
}

Status copy_output_to_input(Connection& conn, const std::string& from, const std::string& to) {
  FNQ_TRY(conn.command("DELETE FROM call_blobs WHERE call_id = $1 AND kind = 0", Params().add(to)));
  FNQ_TRY(
      conn.command("INSERT INTO call_blobs (call_id, kind, data) "
                   "SELECT $2::text, 0, data FROM call_blobs WHERE call_id = $1 AND kind = 1",
                   Params().add(from).add(to)));
  return conn.command(
      "UPDATE calls SET input_size = coalesce((SELECT length(data) FROM call_blobs "
      "WHERE call_id = $1 AND kind = 0), 0) WHERE id = $1",
      Params().add(to));
}

Status settle_dependents(Connection& conn, const std::string& id, CallState state, Settlement& s) {
  std::vector<Ended> work{{id, state}};
  while (!work.empty()) {
    Ended ended = std::move(work.back());
    work.pop_back();
    FNQ_TRY_ASSIGN(std::vector<std::string> dependents, take_dependents(conn, ended.id));
    for (const std::string& dependent : dependents) {
      if (ended.state == CallState::succeeded) {
        FNQ_TRY(release_one(conn, ended.id, dependent, s));
        continue;
      }
      FNQ_TRY_ASSIGN(bool skipped, skip_one(conn, ended, dependent, s));
      if (skipped) {
        s.terminal_ids.push_back(dependent);
        work.push_back({dependent, CallState::skipped});
      }
    }
  }
  return {};
}

Status end_call(Connection& conn, const std::string& id, CallState state, const std::string& error,
                Settlement& s) {
  FNQ_TRY_ASSIGN(PgResult res,
                 conn.exec("UPDATE calls SET state = $2, error = $3, finished_at = $4, "
                           "pending_needs = 0, " FNQ_CALLBACK_DUE_AT(
                               "$4::bigint") " WHERE id = $1 AND state NOT IN " FNQ_TERMINAL_STATES
                                             " RETURNING id",
                           Params().add(id).add(to_string(state)).add(error).add(s.now)));
  if (res.rows() == 0) {
    return {};
  }
  s.terminal_ids.push_back(id);
  return settle_dependents(conn, id, state, s);
}

}  // namespace fnq::pg
