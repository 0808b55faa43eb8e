#pragma once
// Call rows, blobs and dependents on PostgreSQL: the counterparts of
// call_rows.h and dependents.h (same contracts, $n parameters, and row
// locks where another host may be changing the same calls).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/call_rows.h"
#include "daemon/store/dependents.h"
#include "daemon/store/pg/pg.h"
#include "daemon/store/store.h"

namespace fnq::pg {

// Every row of a result of FNQ_CALL_COLUMNS.
Result<std::vector<Call>> read_calls(const PgResult& res);

// The call with this id; not_found "unknown call 'id'". for_update: the
// row stays locked until the transaction ends.
Result<Call> load_call(Connection& conn, const std::string& id, bool for_update = false);

// The state of a call, its row locked (FOR UPDATE, or FOR SHARE when
// `share`) until the transaction ends; not_found if it does not exist.
Result<CallState> lock_call_state(Connection& conn, const std::string& id, bool share);

Status put_blob(Connection& conn, const std::string& call_id, BlobKind kind, std::string_view data);
Result<std::string> read_blob(Connection& conn, const std::string& call_id, BlobKind kind);
Status copy_output_to_input(Connection& conn, const std::string& from, const std::string& to);

// Pipelines (pg_store_pipelines.cpp). insert_pipeline_row: false when a
// pipeline with its key exists (after waiting for a concurrent insert).
Result<bool> insert_pipeline_row(Connection& conn, const Pipeline& p);
Result<std::optional<Pipeline>> pipeline_by_key(Connection& conn, const std::string& key);
Result<std::vector<Call>> load_pipeline_calls(Connection& conn, const std::string& id);

// As settle_dependents and end_call in dependents.h.
Status settle_dependents(Connection& conn, const std::string& id, CallState state, Settlement& s);
Status end_call(Connection& conn, const std::string& id, CallState state, const std::string& error,
                Settlement& s);

}  // namespace fnq::pg
