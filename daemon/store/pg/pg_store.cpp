#include "daemon/store/pg/pg_store.h"

#include "common/timeutil.h"
#include "daemon/store/pg/pg_schema.h"
#include "daemon/store/store_checks.h"

namespace fnq {

bool postgresql_compiled_in() { return true; }

Result<std::unique_ptr<ClusterStore>> open_postgresql_store(const PgOptions& opts) {
  if (opts.host.empty()) {
    return make_error(ErrorKind::invalid_input, "no host name given for the PostgreSQL store");
  }
  {
    FNQ_TRY_ASSIGN(pg::Connection conn, pg::Connection::open(opts.conninfo));
    FNQ_TRY(pg::migrate(conn));
  }
  auto store = std::make_unique<PgStore>(opts);
  FNQ_TRY(store->register_host());
  return std::unique_ptr<ClusterStore>(std::move(store));
}

PgStore::PgStore(const PgOptions& opts)
    : m_host(opts.host), m_pool(opts.conninfo, opts.connections) {}

PgStore::~PgStore() = default;

Status PgStore::register_host() {
  auto registered = write<bool>([&](pg::Connection& conn) -> Result<bool> {
    FNQ_TRY(conn.command(
        "INSERT INTO hosts (name, started_at, heartbeat_at) VALUES ($1, " FNQ_PG_NOW ", " FNQ_PG_NOW
        ") ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, "
        "heartbeat_at = excluded.heartbeat_at",
        pg::Params().add(m_host)));
    return true;
  });
  if (!registered) {
    return registered.error();
  }
  return {};
}

Status PgStore::ping() {
  auto answered = read<bool>([](pg::Connection& conn) -> Result<bool> {
    FNQ_TRY(conn.command("SELECT 1"));
    return true;
  });
  if (!answered) {
    return answered.error();
  }
  return {};
}

Result<std::vector<Function>> PgStore::list_functions() {
  return read<std::vector<Function>>([&](pg::Connection& conn) -> Result<std::vector<Function>> {
    FNQ_TRY_ASSIGN(pg::PgResult res,
                   conn.exec("SELECT name, definition FROM functions ORDER BY name"));
    std::vector<Function> out;
    for (int r = 0; r < res.rows(); ++r) {
      FNQ_TRY_ASSIGN(Function f, parse_stored_definition(res.text(r, 0), res.text(r, 1)));
      out.push_back(std::move(f));
    }
    return out;
  });
}

Result<Function> PgStore::get_function(const std::string& name) {
  return read<Function>([&](pg::Connection& conn) -> Result<Function> {
    FNQ_TRY_ASSIGN(pg::PgResult res, conn.exec("SELECT definition FROM functions WHERE name = $1",
                                               pg::Params().add(name)));
    if (res.rows() == 0) {
      return unknown_function(name);
    }
    return parse_stored_definition(name, res.text(0, 0));
  });
}

Result<bool> PgStore::put_function(const Function& f) {
  if (!is_valid_function_name(f.name)) {
    return make_error(ErrorKind::invalid_input, "invalid function name '" + f.name + "'");
  }
  std::string definition = to_json(f).dump();
  std::optional<int> concurrency;
  if (f.concurrency.value_or(0) > 0) {
    concurrency = *f.concurrency;
  }
  std::int64_t now = now_ms();
  return write<bool>([&](pg::Connection& conn) -> Result<bool> {
    // xmax is 0 in a row version this statement inserted (not updated).
    FNQ_TRY_ASSIGN(
        pg::PgResult res,
        conn.exec("INSERT INTO functions (name, definition, concurrency, updated_at) "
                  "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET "
                  "definition = excluded.definition, concurrency = excluded.concurrency, "
                  "updated_at = excluded.updated_at RETURNING (xmax = 0)",
                  pg::Params().add(f.name).add(definition).add(concurrency).add(now)));
    FNQ_TRY(notify(conn, 'f'));
    return res.rows() == 1 && res.text(0, 0) == "t";
  });
}

}  // namespace fnq
