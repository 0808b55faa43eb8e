#pragma once
// Reads a Call from a row of FNQ_CALL_COLUMNS starting at column 0. A
// template over the row type, so that the SQLite Query and the PostgreSQL
// pg::Row share one reader: each has is_null, int64, int32, opt_int32,
// opt_int64, text and opt_text.
#include <string>

#include "common/model.h"
#include "common/result.h"
#include "daemon/store/attempt_history.h"
#include "daemon/store/sqlite.h"  // FNQ_TRY_ASSIGN

namespace fnq {
namespace call_row {

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
  c_pipeline,
  c_stage,
  c_attempts,
};

// A JSON column written by the store; unparsable means a damaged database.
template <class Row>
Result<json> parse_json_column(const Row& q, int column, const char* name) {
  json j = json::parse(q.text(column), nullptr, false);
  if (j.is_discarded()) {
    return make_error(ErrorKind::io,
                      std::string("call ") + q.text(c_id) + " has an invalid " + name + " column");
  }
  return j;
}

}  // namespace call_row

template <class Row>
Result<Call> read_call_row(const Row& q) {
  using namespace call_row;  // the column names
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
  c.pipeline = q.opt_text(c_pipeline);
  c.stage = q.opt_text(c_stage);
  if (!q.is_null(c_attempts)) {
    FNQ_TRY_ASSIGN(c.attempts, parse_attempt_history(c.id, q.text(c_attempts)));
  }
  return c;
}

}  // namespace fnq
