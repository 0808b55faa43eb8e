// What the dashboard reads beyond calls: finishes per minute, dependents,
// the database's size. Each is a few index lookups, whatever is stored.
#include "daemon/store/queries.h"
#include "daemon/store/sqlite_store.h"

namespace fnq {

Result<std::vector<MinuteCount>> SqliteStore::finishes_since(std::int64_t since) {
  return read([&](Database& db) -> Result<std::vector<MinuteCount>> {
    Query q = db.query(sql::k_finishes_since);
    q.bind(1, since / 60000);
    std::vector<MinuteCount> out;
    FNQ_TRY(q.each([&](const Query& row) {
      if (auto state = parse_call_state(row.text(1))) {
        out.push_back(MinuteCount{row.int64(0) * 60000, *state, row.int64(2)});
      }
    }));
    return out;
  });
}

Result<std::vector<std::string>> SqliteStore::dependents_of(const std::string& id, int limit) {
  return read([&](Database& db) -> Result<std::vector<std::string>> {
    Query q = db.query(sql::k_dependents_of);
    q.bind(1, id).bind(2, std::max(0, limit));
    return q.collect([](const Query& row) { return row.text(0); });
  });
}

Result<std::uint64_t> SqliteStore::size_bytes() {
  return read([&](Database& db) -> Result<std::uint64_t> {
    Query q =
        db.query("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    FNQ_TRY_ASSIGN(bool row, q.step());
    return row ? static_cast<std::uint64_t>(q.int64(0)) : 0;
  });
}

}  // namespace fnq
