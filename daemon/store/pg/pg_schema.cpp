#include "daemon/store/pg/pg_schema.h"

#include <string>

namespace fnq::pg {
namespace {

constexpr const char* k_version_table =
    "CREATE TABLE IF NOT EXISTS fnq_schema (\n"
    "  id      INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  version INTEGER NOT NULL\n"
    ");\n";

Result<std::int64_t> current_version(Connection& conn) {
  FNQ_TRY_ASSIGN(PgResult has,
                 conn.exec("SELECT to_regclass('fnq_schema') IS NOT NULL, "
                           "(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())"));
  bool ours = has.text(0, 0) == "t";
  std::int64_t tables = has.int64(0, 1);
  if (!ours) {
    if (tables > 0) {
      return make_error(ErrorKind::invalid_input,
                        "the PostgreSQL database is not an fnq database (it holds another "
                        "application's tables; give fnqd a database or schema of its own)");
    }
    return 0;
  }
  FNQ_TRY_ASSIGN(PgResult v, conn.exec("SELECT coalesce(max(version), 0) FROM fnq_schema"));
  return v.int64(0, 0);
}

Status apply(Connection& conn, std::int64_t version) {
  const auto& migrations = pg_schema_migrations();
  auto supported = static_cast<std::int64_t>(migrations.size());
  if (version > supported) {
    return make_error(ErrorKind::conflict, "database schema version " + std::to_string(version) +
                                               " is newer than this fnqd supports (" +
                                               std::to_string(supported) + "); upgrade fnqd");
  }
  for (auto i = static_cast<std::size_t>(version); i < migrations.size(); ++i) {
    std::string what =
        std::string("cannot apply schema migration postgresql/") + migrations[i].name;
    Transaction tx(conn);
    FNQ_TRY(tx.status());
    std::string script = std::string(migrations[i].sql) + ";\n" + k_version_table +
                         "INSERT INTO fnq_schema (id, version) VALUES (1, " +
                         std::to_string(i + 1) +
                         ") ON CONFLICT (id) DO UPDATE SET version = excluded.version;";
    FNQ_TRY(conn.run(script, what));
    FNQ_TRY(tx.commit());
  }
  return {};
}

}  // namespace

Status migrate(Connection& conn) {
  std::string key = std::to_string(k_schema_lock);
  FNQ_TRY(conn.run("SELECT pg_advisory_lock(" + key + ")", "cannot lock the schema"));
  Status applied = [&]() -> Status {
    FNQ_TRY_ASSIGN(std::int64_t version, current_version(conn));
    return apply(conn, version);
  }();
  (void)conn.run("SELECT pg_advisory_unlock(" + key + ")");
  return applied;
}

}  // namespace fnq::pg
