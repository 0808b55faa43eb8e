// Pipelines: their rows and the reads of their calls.
#include <algorithm>

#include "daemon/store/pg/pg_rows.h"
#include "daemon/store/pg/pg_store.h"
#include "daemon/store/store_checks.h"

namespace fnq {
namespace {

constexpr int k_max_page = 1000;
constexpr const char* k_after_ids = "\x7f";

#define FNQ_PIPELINE_COLUMNS "id, name, key, created_at, stage_count"

using pg::Connection;
using pg::Params;
using pg::PgResult;

std::vector<Pipeline> read_pipelines(const PgResult& res) {
  std::vector<Pipeline> out;
  for (int r = 0; r < res.rows(); ++r) {
    pg::Row row(res, r);
    Pipeline p;
    p.id = row.text(0);
    p.name = row.opt_text(1);
    p.key = row.opt_text(2);
    p.created_at = row.int64(3);
    p.stage_count = row.int32(4);
    out.push_back(std::move(p));
  }
  return out;
}

Status read_counts(Connection& conn, Pipeline& p) {
  FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT state, count(*) FROM calls WHERE pipeline = $1 "
                                         "GROUP BY state",
                                         Params().add(p.id)));
  for (int r = 0; r < res.rows(); ++r) {
    if (auto state = parse_call_state(res.text(r, 0))) {
      p.counts[*state] = res.int64(r, 1);
    }
  }
  return {};
}

Result<Pipeline> load_pipeline(Connection& conn, const std::string& id) {
  FNQ_TRY_ASSIGN(
      PgResult res,
      conn.exec("SELECT " FNQ_PIPELINE_COLUMNS " FROM pipelines WHERE id = $1", Params().add(id)));
  auto list = read_pipelines(res);
  if (list.empty()) {
    return unknown_pipeline(id);
  }
  FNQ_TRY(read_counts(conn, list.front()));
  return list.front();
}

}  // namespace

namespace pg {

Result<bool> insert_pipeline_row(Connection& conn, const Pipeline& p) {
  FNQ_TRY_ASSIGN(
      PgResult res,
      conn.exec("INSERT INTO pipelines (id, name, key, created_at, stage_count) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) WHERE key IS NOT NULL "
                "DO NOTHING",
                Params().add(p.id).add(p.name).add(p.key).add(p.created_at).add(p.stage_count)));
  return res.affected() == 1;
}

Result<std::optional<Pipeline>> pipeline_by_key(Connection& conn, const std::string& key) {
  FNQ_TRY_ASSIGN(PgResult res,
                 conn.exec("SELECT " FNQ_PIPELINE_COLUMNS " FROM pipelines WHERE key = $1",
                           Params().add(key)));
  auto list = read_pipelines(res);
  if (list.empty()) {
    return std::optional<Pipeline>();
  }
  return std::optional<Pipeline>(std::move(list.front()));
}

Result<std::vector<Call>> load_pipeline_calls(Connection& conn, const std::string& id) {
  FNQ_TRY_ASSIGN(PgResult res,
                 conn.exec("SELECT " FNQ_CALL_COLUMNS " FROM calls WHERE pipeline = $1 ORDER BY id",
                           Params().add(id)));
  return read_calls(res);
}

}  // namespace pg

Result<Pipeline> PgStore::get_pipeline(const std::string& id) {
  return read<Pipeline>([&](Connection& conn) { return load_pipeline(conn, id); });
}

Result<std::vector<Call>> PgStore::pipeline_calls(const std::string& id) {
  return read<std::vector<Call>>([&](Connection& conn) -> Result<std::vector<Call>> {
    FNQ_TRY(load_pipeline(conn, id));  // not_found
    return pg::load_pipeline_calls(conn, id);
  });
}

Result<std::vector<Pipeline>> PgStore::list_pipelines(const std::optional<std::string>& before,
                                                      int limit) {
  return read<std::vector<Pipeline>>([&](Connection& conn) -> Result<std::vector<Pipeline>> {
    FNQ_TRY_ASSIGN(
        PgResult res,
        conn.exec(
            "SELECT " FNQ_PIPELINE_COLUMNS " FROM pipelines WHERE id < $1 ORDER BY id DESC "
            "LIMIT $2",
            Params().add(before.value_or(k_after_ids)).add(std::clamp(limit, 1, k_max_page))));
    auto list = read_pipelines(res);
    for (Pipeline& p : list) {
      FNQ_TRY(read_counts(conn, p));
    }
    return list;
  });
}

}  // namespace fnq
