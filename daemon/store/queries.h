#pragma once
// The statements on the hot paths, named, so that a test can check with
// EXPLAIN QUERY PLAN that none of them scans the calls table: the store must
// stay fast with a million calls stored. Other statements sit beside the
// code that runs them.
//
// Without ANALYZE statistics SQLite prefers calls_by_state (an equality on
// its first column) over a partial index that matches the whole WHERE, and
// then sorts. Where a partial index is the right one, INDEXED BY names it:
// the choice does not depend on statistics, and a statement that could not
// use it fails to prepare instead of silently scanning.

// The columns read_call expects, in order.
#define FNQ_CALL_COLUMNS                                                                   \
  "id, function, state, attempt, max_retries, exit_code, signal, error, priority, sync, "  \
  "key, needs, input_from, created_at, run_at, started_at, finished_at, exec_timeout_ms, " \
  "input_size, output_size, output_truncated, callback_url, callback_state, "              \
  "callback_attempts, callback_last_status, request, pipeline, stage, attempts"

#define FNQ_TERMINAL_STATES "('succeeded', 'failed', 'timed_out', 'cancelled', 'skipped')"

// Assignments that make a call's callback due at parameter `at` once the
// call is terminal (no-op without a callback_url).
#define FNQ_CALLBACK_DUE_AT(at)                                                    \
  "callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END, " \
  "callback_next_at = CASE WHEN callback_url IS NULL THEN NULL ELSE " at " END"

namespace fnq::sql {

// ---- reading calls --------------------------------------------------------

inline constexpr const char k_call_by_id[] = "SELECT " FNQ_CALL_COLUMNS " FROM calls WHERE id = ?1";

inline constexpr const char k_call_by_key[] =
    "SELECT " FNQ_CALL_COLUMNS " FROM calls WHERE function = ?1 AND key = ?2";

inline constexpr const char k_blob_of_call[] =
    "SELECT (SELECT data FROM call_blobs WHERE call_id = ?1 AND kind = ?2) "
    "FROM calls WHERE id = ?1";

// A range on the primary key: every id that starts with a prefix.
inline constexpr const char k_find_ids[] =
    "SELECT id FROM calls WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3";

// list_calls: each shape walks one index backwards by id and stops after
// the limit. With both filters, calls_by_function_state (schema 003) holds
// exactly the matching calls, so a function with none in that state costs
// one lookup, not a walk over the function's or the state's calls.
// Unused parameters are bound to NULL.
inline constexpr const char k_list_all[] = "SELECT " FNQ_CALL_COLUMNS
                                           " FROM calls WHERE ?1 IS NULL AND ?2 IS NULL "
                                           "AND id < ?3 ORDER BY id DESC LIMIT ?4";
inline constexpr const char k_list_by_state[] = "SELECT " FNQ_CALL_COLUMNS
                                                " FROM calls WHERE state = ?1 AND ?2 IS NULL "
                                                "AND id < ?3 ORDER BY id DESC LIMIT ?4";
// By function alone: one walk of calls_by_function_state per state, each
// stopping after the limit, merged by id; then only the rows shown are read.
#define FNQ_FUNCTION_IDS_IN(state)                                               \
  "SELECT id FROM (SELECT id FROM calls WHERE function = ?2 AND state = '" state \
  "' AND id < ?3 ORDER BY id DESC LIMIT ?4)"
inline constexpr const char k_list_by_function[] =
    "SELECT " FNQ_CALL_COLUMNS
    " FROM calls WHERE ?1 IS NULL AND id IN (SELECT id FROM (" FNQ_FUNCTION_IDS_IN(
        "waiting") " UNION ALL " FNQ_FUNCTION_IDS_IN("queued") " UNION ALL " FNQ_FUNCTION_IDS_IN("running") " UNION ALL " FNQ_FUNCTION_IDS_IN("succeeded") " UNION ALL " FNQ_FUNCTION_IDS_IN("failed") " UNION ALL " FNQ_FUNCTION_IDS_IN("timed_out") " UNION ALL " FNQ_FUNCTION_IDS_IN("cancelled") " UNION ALL " FNQ_FUNCTION_IDS_IN("skipped") ") "
    "ORDER BY id DESC LIMIT ?4) ORDER BY id DESC";
#undef FNQ_FUNCTION_IDS_IN
inline constexpr const char k_list_by_both[] =
    "SELECT " FNQ_CALL_COLUMNS
    " FROM calls INDEXED BY calls_by_function_state WHERE state = ?1 AND function = ?2 "
    "AND id < ?3 ORDER BY id DESC LIMIT ?4";
// The calls of one pipeline (?5), with the other filters as they are given.
inline constexpr const char k_list_by_pipeline[] =
    "SELECT " FNQ_CALL_COLUMNS
    " FROM calls INDEXED BY calls_by_pipeline WHERE pipeline = ?5 "
    "AND (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR function = ?2) "
    "AND id < ?3 ORDER BY id DESC LIMIT ?4";
// Every call of a pipeline, in the order they were submitted.
inline constexpr const char k_pipeline_calls[] =
    "SELECT " FNQ_CALL_COLUMNS
    " FROM calls INDEXED BY calls_by_pipeline WHERE pipeline = ?1 ORDER BY id";
// Its calls by state, one column per state in CallState's order (a GROUP
// BY would sort them).
inline constexpr const char k_pipeline_counts[] =
    "SELECT sum(state = 'waiting'), sum(state = 'queued'), sum(state = 'running'), "
    "sum(state = 'succeeded'), sum(state = 'failed'), sum(state = 'timed_out'), "
    "sum(state = 'cancelled'), sum(state = 'skipped') "
    "FROM calls INDEXED BY calls_by_pipeline WHERE pipeline = ?1";

// ---- scheduling -----------------------------------------------------------

inline constexpr const char k_promote_due[] =
    "UPDATE calls INDEXED BY calls_due SET state = 'queued' "
    "WHERE state = 'waiting' AND pending_needs = 0 AND run_at <= ?1";
inline constexpr const char k_next_due[] =
    "SELECT min(run_at) FROM calls INDEXED BY calls_due "
    "WHERE state = 'waiting' AND pending_needs = 0";

// The subquery walks the claim index in order and stops at the limit.
inline constexpr const char k_claim[] =
    "UPDATE calls SET state = 'running', attempt = attempt + 1, started_at = ?1 "
    "WHERE id IN (SELECT id FROM calls INDEXED BY calls_claim WHERE state = 'queued' "
    "AND function NOT IN (SELECT value FROM json_each(?2)) "
    "ORDER BY sync DESC, priority DESC, run_at, id LIMIT ?3) "
    "RETURNING " FNQ_CALL_COLUMNS;

// Is any call claimable? (k_claim's subquery, on a reader.)
inline constexpr const char k_claimable[] =
    "SELECT 1 FROM calls INDEXED BY calls_claim WHERE state = 'queued' "
    "AND function NOT IN (SELECT value FROM json_each(?1)) LIMIT 1";

inline constexpr const char k_running[] =
    "SELECT id, attempt, max_retries FROM calls WHERE state = 'running'";

inline constexpr const char k_dependents[] = "SELECT call_id FROM call_needs WHERE needs_id = ?1";

// ---- maintenance ----------------------------------------------------------

// Oldest terminal calls first.
inline constexpr const char k_prunable[] =
    "SELECT id FROM calls INDEXED BY calls_prune WHERE finished_at < ?1 "
    "AND state IN " FNQ_TERMINAL_STATES " ORDER BY finished_at LIMIT ?2";

// Pipelines older than the cut whose calls have all been pruned.
inline constexpr const char k_prune_pipelines[] =
    "DELETE FROM pipelines WHERE created_at < ?1 AND NOT EXISTS "
    "(SELECT 1 FROM calls INDEXED BY calls_by_pipeline WHERE pipeline = pipelines.id)";

inline constexpr const char k_due_callbacks[] =
    "SELECT id, callback_url, callback_attempts FROM calls INDEXED BY calls_callbacks "
    "WHERE callback_state = 'pending' AND callback_next_at IS NOT NULL "
    "AND callback_next_at <= ?1 ORDER BY callback_next_at LIMIT ?2";
inline constexpr const char k_next_callback[] =
    "SELECT min(callback_next_at) FROM calls INDEXED BY calls_callbacks "
    "WHERE callback_state = 'pending' AND callback_next_at IS NOT NULL";

// Through the state index: unfinished calls are few, finished ones many.
inline constexpr const char k_unfinished_of_function[] =
    "SELECT id, state FROM calls "
    "WHERE state IN ('waiting', 'queued', 'running') AND +function = ?1";

inline constexpr const char k_count_in_state[] = "SELECT count(*) FROM calls WHERE state = ?1";

// ---- the dashboard (counters kept by triggers: schema/003_dashboard.sql) ---

inline constexpr const char k_call_counts[] =
    "SELECT function, state, n FROM call_counts WHERE n > 0 ORDER BY function, state";
inline constexpr const char k_finishes_since[] =
    "SELECT minute, state, n FROM call_finishes WHERE minute >= ?1 ORDER BY minute, state";
inline constexpr const char k_prune_finishes[] = "DELETE FROM call_finishes WHERE minute < ?1";
inline constexpr const char k_dependents_of[] =
    "SELECT call_id FROM call_dependents WHERE needs_id = ?1 ORDER BY call_id LIMIT ?2";

struct NamedQuery {
  const char* name;
  const char* sql;
};

// Every statement above: none may scan the calls table.
inline constexpr NamedQuery k_hot_queries[] = {
    {"call_by_id", k_call_by_id},
    {"call_by_key", k_call_by_key},
    {"blob_of_call", k_blob_of_call},
    {"find_ids", k_find_ids},
    {"list_all", k_list_all},
    {"list_by_state", k_list_by_state},
    {"list_by_function", k_list_by_function},
    {"list_by_both", k_list_by_both},
    {"list_by_pipeline", k_list_by_pipeline},
    {"pipeline_calls", k_pipeline_calls},
    {"pipeline_counts", k_pipeline_counts},
    {"promote_due", k_promote_due},
    {"next_due", k_next_due},
    {"claim", k_claim},
    {"claimable", k_claimable},
    {"running", k_running},
    {"dependents", k_dependents},
    {"prunable", k_prunable},
    {"due_callbacks", k_due_callbacks},
    {"next_callback", k_next_callback},
    {"unfinished_of_function", k_unfinished_of_function},
    {"count_in_state", k_count_in_state},
    {"call_counts", k_call_counts},
    {"finishes_since", k_finishes_since},
    {"prune_finishes", k_prune_finishes},
    {"dependents_of", k_dependents_of},
};

}  // namespace fnq::sql
