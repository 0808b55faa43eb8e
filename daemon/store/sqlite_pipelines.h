#pragma once
// The SQLite store's pipeline rows (sqlite_store_pipelines.cpp), shared with
// the submit path in sqlite_store_calls.cpp.
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/sqlite.h"
#include "daemon/store/store.h"

namespace fnq {

Status insert_pipeline_row(Database& db, const Pipeline& p);
// The pipeline with this key, if any (counts not read).
Result<std::optional<Pipeline>> pipeline_by_key(Database& db, const std::string& key);
// The pipeline with its counts; not_found "unknown pipeline 'id'".
Result<Pipeline> load_pipeline(Database& db, const std::string& id);
Result<std::vector<Call>> load_pipeline_calls(Database& db, const std::string& id);

}  // namespace fnq
