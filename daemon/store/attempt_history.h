#pragma once
// A call's earlier attempts (Call::attempts), kept in its nullable
// `attempts` column as a JSON array, oldest first (schema/004_attempts.sql).
// A record is appended only by the statement that sends a call to run
// again, so a call that runs once never writes it; times are ms since the
// epoch here (RFC 3339 in the API).
#include <optional>
#include <string>
#include <vector>

#include "common/model.h"
#include "common/result.h"

// SET clauses that append the attempt the row holds (its attempt and
// started_at) as ended at `finished`, in `state`, with `exit_code`,
// `signal` and `error`: each an SQL expression, usually a parameter.
#define FNQ_SQLITE_APPEND_ATTEMPT(finished, state, exit_code, signal, error)         \
  "attempts = json_insert(coalesce(attempts, '[]'), '$[#]', json_object('attempt', " \
  "attempt, 'started_at', started_at, 'finished_at', " finished ", 'state', " state  \
  ", 'exit_code', " exit_code ", 'signal', " signal ", 'error', " error "))"
#define FNQ_PG_APPEND_ATTEMPT(finished, state, exit_code, signal, error)                 \
  "attempts = (coalesce(attempts, '[]')::jsonb || jsonb_build_array(jsonb_build_object(" \
  "'attempt', attempt, 'started_at', started_at, 'finished_at', " finished               \
  "::bigint, 'state', "                                                                  \
  "" state "::text, 'exit_code', " exit_code "::integer, 'signal', " signal              \
  "::integer, 'error', " error "::text)))::text"

namespace fnq {

// The column's text as records; io when it is not what the store wrote.
Result<std::vector<AttemptRecord>> parse_attempt_history(const std::string& call_id,
                                                         const std::string& text);

// The column's text once a manual retry keeps the attempt `c` ended with;
// nullopt when there is nothing to add (the call never started, or that
// attempt is already kept: it was waiting for a retry when it ended).
std::optional<std::string> history_with_last_attempt(const Call& c);

}  // namespace fnq
