#include "daemon/store/call_rows.h"

namespace fnq {
namespace {

enum Column {
  c_id,
  c_function,
  c_state,
  c_attempt,
  c_max_retries,
  c_exit_code,
  c_signal,
  c_error,
  c_priority,
  c_sync,
  c_key,
  c_needs,
  c_input_from,
  c_created_at,
  c_run_at,
  c_started_at,
  c_finished_at,
  c_exec_timeout_ms,
  c_input_size,
  c_output_size,
  c_output_truncated,
  c_callback_url,
  c_callback_state,
  c_callback_attempts,
  c_callback_last_status,
  c_request,
};

// A JSON column written by the store; unparsable means a damaged database.
Result<json> parse_json_column(const Query& q, int column, const char* name) {
  json j = json::parse(q.text(column), nullptr, false);
  if (j.is_discarded()) {
    return make_error(ErrorKind::io,
                      std::string("call ") + q.text(c_id) + " has an invalid " + name + " column");
  }
  return j;
}

}  // namespace

Error unknown_call(const std::string& id) {
  return make_error(ErrorKind::not_found, "unknown call '" + id + "'");
}

Result<Call> read_call(const Query& q) {
  Call c;
  c.id = q.text(c_id);
  c.function = q.text(c_function);
  auto state = parse_call_state(q.text(c_state));
  if (!state) {
    return make_error(ErrorKind::io,
                      "call " + c.id + " has unknown state '" + q.text(c_state) + "'");
  }
  c.state = *state;
  c.attempt = q.int32(c_attempt);
  c.max_retries = q.int32(c_max_retries);
  c.exit_code = q.opt_int32(c_exit_code);
  c.signal = q.opt_int32(c_signal);
  c.error = q.opt_text(c_error);
  c.priority = q.int32(c_priority);
  c.sync = q.int64(c_sync) != 0;
  c.key = q.opt_text(c_key);
  if (!q.is_null(c_needs)) {
    FNQ_TRY_ASSIGN(json needs, parse_json_column(q, c_needs, "needs"));
    for (const auto& n : needs) {
      if (n.is_string()) {
        c.needs.push_back(n.get<std::string>());
      }
    }
  }
  c.input_from = q.opt_text(c_input_from);
  c.created_at = q.int64(c_created_at);
  c.run_at = q.int64(c_run_at);
  c.started_at = q.opt_int64(c_started_at);
  c.finished_at = q.opt_int64(c_finished_at);
  if (auto ms = q.opt_int64(c_exec_timeout_ms)) {
    c.exec_timeout = Millis(*ms);
  }
  c.input_size = static_cast<std::uint64_t>(q.int64(c_input_size));
  c.output_size = static_cast<std::uint64_t>(q.int64(c_output_size));
  c.output_truncated = q.int64(c_output_truncated) != 0;
  if (auto url = q.opt_text(c_callback_url)) {
    CallbackInfo cb;
    cb.url = *url;
    cb.state = q.opt_text(c_callback_state).value_or("pending");
    cb.attempts = q.int32(c_callback_attempts);
    cb.last_status = q.opt_int32(c_callback_last_status);
    c.callback = std::move(cb);
  }
  if (!q.is_null(c_request)) {
    FNQ_TRY_ASSIGN(json request, parse_json_column(q, c_request, "request"));
    c.request = request_info_from_json(request);
  }
  return c;
}

Result<Call> load_call(Database& db, const std::string& id) {
  Query q = db.query(sql::k_call_by_id);
  q.bind(1, id);
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return unknown_call(id);
  }
  return read_call(q);
}

Status put_blob(Database& db, const std::string& call_id, BlobKind kind, std::string_view data) {
  if (data.empty()) {
    Query q = db.query("DELETE FROM call_blobs WHERE call_id = ?1 AND kind = ?2");
    q.bind(1, call_id).bind(2, static_cast<int>(kind));
    return q.run();
  }
  Query q = db.query("INSERT OR REPLACE INTO call_blobs (call_id, kind, data) VALUES (?1, ?2, ?3)");
  q.bind(1, call_id).bind(2, static_cast<int>(kind)).bind_blob(3, data);
  return q.run();
}

Result<std::string> read_blob(Database& db, const std::string& call_id, BlobKind kind) {
  // One statement, so the call's existence and its blob come from one snapshot.
  Query q = db.query(sql::k_blob_of_call);
  q.bind(1, call_id).bind(2, static_cast<int>(kind));
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return unknown_call(call_id);
  }
  return q.blob(0);
}

Status copy_output_to_input(Database& db, const std::string& from, const std::string& to) {
  {
    Query q = db.query("DELETE FROM call_blobs WHERE call_id = ?1 AND kind = 0");
    q.bind(1, to);
    FNQ_TRY(q.run());
  }
  {
    Query q = db.query(
        "INSERT INTO call_blobs (call_id, kind, data) "
        "SELECT ?2, 0, data FROM call_blobs WHERE call_id = ?1 AND kind = 1");
    q.bind(1, from).bind(2, to);
    FNQ_TRY(q.run());
  }
  Query q = db.query(
      "UPDATE calls SET input_size = coalesce("
      "(SELECT length(data) FROM call_blobs WHERE call_id = ?1 AND kind = 0), 0) WHERE id = ?1");
  q.bind(1, to);
  return q.run();
}

}  // namespace fnq
