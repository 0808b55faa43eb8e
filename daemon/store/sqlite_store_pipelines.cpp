// Pipelines: their rows and the reads of their calls.
#include <algorithm>

#include "daemon/store/call_rows.h"
#include "daemon/store/sqlite_pipelines.h"
#include "daemon/store/sqlite_store.h"
#include "daemon/store/store_checks.h"

namespace fnq {
namespace {

constexpr int k_max_page = 1000;
constexpr const char* k_after_ids = "\x7f";

#define FNQ_PIPELINE_COLUMNS "id, name, key, created_at, stage_count"

Pipeline read_pipeline(const Query& q) {
  Pipeline p;
  p.id = q.text(0);
  p.name = q.opt_text(1);
  p.key = q.opt_text(2);
  p.created_at = q.int64(3);
  p.stage_count = q.int32(4);
  return p;
}

Status read_counts(Database& db, Pipeline& p) {
  Query q = db.query(sql::k_pipeline_counts);
  q.bind(1, p.id);
  FNQ_TRY_ASSIGN(bool row, q.step());
  for (int i = 0; row && i < 8; ++i) {
    if (std::int64_t n = q.opt_int64(i).value_or(0); n > 0) {
      p.counts[static_cast<CallState>(i)] = n;
    }
  }
  return {};
}

}  // namespace

Status insert_pipeline_row(Database& db, const Pipeline& p) {
  Query q = db.query(
      "INSERT INTO pipelines (id, name, key, created_at, stage_count) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  q.bind(1, p.id).bind(2, p.name).bind(3, p.key).bind(4, p.created_at).bind(5, p.stage_count);
  return q.run();
}

Result<std::optional<Pipeline>> pipeline_by_key(Database& db, const std::string& key) {
  Query q = db.query("SELECT " FNQ_PIPELINE_COLUMNS " FROM pipelines WHERE key = ?1");
  q.bind(1, key);
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return std::optional<Pipeline>();
  }
  return std::optional<Pipeline>(read_pipeline(q));
}

Result<Pipeline> load_pipeline(Database& db, const std::string& id) {
  Query q = db.query("SELECT " FNQ_PIPELINE_COLUMNS " FROM pipelines WHERE id = ?1");
  q.bind(1, id);
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return unknown_pipeline(id);
  }
  Pipeline p = read_pipeline(q);
  FNQ_TRY(read_counts(db, p));
  return p;
}

Result<std::vector<Call>> load_pipeline_calls(Database& db, const std::string& id) {
  Query q = db.query(sql::k_pipeline_calls);
  q.bind(1, id);
  return q.collect(read_call);
}

Result<Pipeline> SqliteStore::get_pipeline(const std::string& id) {
  return read([&](Database& db) -> Result<Pipeline> {
    ReadTransaction snapshot(db);
    FNQ_TRY(snapshot.status());
    return load_pipeline(db, id);
  });
}

Result<std::vector<Call>> SqliteStore::pipeline_calls(const std::string& id) {
  return read([&](Database& db) -> Result<std::vector<Call>> {
    ReadTransaction snapshot(db);
    FNQ_TRY(snapshot.status());
    FNQ_TRY(load_pipeline(db, id));  // not_found
    return load_pipeline_calls(db, id);
  });
}

Result<std::vector<Pipeline>> SqliteStore::list_pipelines(const std::optional<std::string>& before,
                                                          int limit) {
  return read([&](Database& db) -> Result<std::vector<Pipeline>> {
    ReadTransaction snapshot(db);
    FNQ_TRY(snapshot.status());
    Query q = db.query("SELECT " FNQ_PIPELINE_COLUMNS
                       " FROM pipelines WHERE id < ?1 ORDER BY id DESC LIMIT ?2");
    q.bind(1, before.value_or(k_after_ids)).bind(2, std::clamp(limit, 1, k_max_page));
    FNQ_TRY_ASSIGN(std::vector<Pipeline> list, q.collect(read_pipeline));
    for (Pipeline& p : list) {
      FNQ_TRY(read_counts(db, p));
    }
    return list;
  });
}

}  // namespace fnq
