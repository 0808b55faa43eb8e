// What the dashboard reads beyond calls: finishes per minute, dependents,
// the database's size. The counters are sharded (schema/postgresql/
// 003_dashboard.sql), so each read adds up at most 16 rows per key.
#include <algorithm>

#include "daemon/store/pg/pg_store.h"

namespace fnq {

using pg::Connection;
using pg::Params;
using pg::PgResult;

Result<std::vector<MinuteCount>> PgStore::finishes_since(std::int64_t since) {
  return read<std::vector<MinuteCount>>([&](Connection& conn) -> Result<std::vector<MinuteCount>> {
    FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT minute, state, sum(n) FROM call_finishes "
                                           "WHERE minute >= $1 GROUP BY minute, state "
                                           "ORDER BY minute, state",
                                           Params().add(since / 60000)));
    std::vector<MinuteCount> out;
    for (int r = 0; r < res.rows(); ++r) {
      if (auto state = parse_call_state(res.text(r, 1))) {
        out.push_back(MinuteCount{res.int64(r, 0) * 60000, *state, res.int64(r, 2)});
      }
    }
    return out;
  });
}

Result<std::vector<std::string>> PgStore::dependents_of(const std::string& id, int limit) {
  return read<std::vector<std::string>>([&](Connection& conn) -> Result<std::vector<std::string>> {
    FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT call_id FROM call_dependents WHERE needs_id = "
                                           "$1 ORDER BY call_id LIMIT $2",
                                           Params().add(id).add(std::max(0, limit))));
    std::vector<std::string> out;
    for (int r = 0; r < res.rows(); ++r) {
      out.push_back(res.text(r, 0));
    }
    return out;
  });
}

Result<std::uint64_t> PgStore::size_bytes() {
  return read<std::uint64_t>([&](Connection& conn) -> Result<std::uint64_t> {
    FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT pg_database_size(current_database())"));
    return res.rows() > 0 ? static_cast<std::uint64_t>(res.int64(0, 0)) : 0;
  });
}

}  // namespace fnq
