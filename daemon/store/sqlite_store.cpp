#include "daemon/store/sqlite_store.h"

#include <algorithm>

#include "common/timeutil.h"
#include "daemon/store/sqlite_open.h"
#include "daemon/store/sqlite_space.h"
#include "daemon/store/store_checks.h"

namespace fnq {

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& opts) {
  if (opts.path.empty()) {
    return make_error(ErrorKind::invalid_input, "no database path given");
  }
  // Before SQLite initializes: fnq reads no memory statistics, and keeping
  // them took a tenth of the writer's time in a batch submit.
  disable_sqlite_memory_statistics();
  // Before the lock file is created beside it: is this a database at all?
  FNQ_TRY(check_sqlite_header(opts.path));
  FNQ_TRY_ASSIGN(LockFile lock, LockFile::acquire(opts.path + ".lock", "database " + opts.path));
  auto writer = open_writer(opts);
  if (!writer) {
    return explain_open_error(opts.path, writer.error());
  }
  std::vector<Database> readers;
  for (int i = 0; i < std::max(1, opts.readers); ++i) {
    auto reader = open_reader(opts);
    if (!reader) {
      return explain_open_error(opts.path, reader.error());
    }
    readers.push_back(std::move(reader).value());
  }
  return std::unique_ptr<Store>(new SqliteStore(std::move(lock), std::move(writer).value(),
                                                std::move(readers), opts.synchronous_full));
}

SqliteStore::SqliteStore(LockFile lock, Database writer, std::vector<Database> readers,
                         bool synchronous_full)
    : m_lock(std::move(lock)),
      m_readers(std::move(readers)),
      m_writer(std::make_unique<Writer>(std::move(writer), synchronous_full)) {}

SqliteStore::~SqliteStore() { (void)close(); }

Status SqliteStore::close() {
  if (m_closed) {
    return {};
  }
  m_closed = true;
  Database writer = m_writer->stop();
  // The writer's connection closes last, so that it alone decides on the
  // last checkpoint (the last connection to close makes one).
  m_readers.close();
  return checkpoint_before_close(writer);
}

Result<std::vector<Function>> SqliteStore::list_functions() {
  return read([&](Database& db) -> Result<std::vector<Function>> {
    Query q = db.query("SELECT name, definition FROM functions ORDER BY name");
    return q.collect(
        [](const Query& row) { return parse_stored_definition(row.text(0), row.text(1)); });
  });
}

Result<Function> SqliteStore::get_function(const std::string& name) {
  return read([&](Database& db) -> Result<Function> {
    Query q = db.query("SELECT definition FROM functions WHERE name = ?1");
    q.bind(1, name);
    FNQ_TRY_ASSIGN(bool row, q.step());
    if (!row) {
      return unknown_function(name);
    }
    return parse_stored_definition(name, q.text(0));
  });
}

Result<bool> SqliteStore::put_function(const Function& f) {
  if (!is_valid_function_name(f.name)) {
    return make_error(ErrorKind::invalid_input, "invalid function name '" + f.name + "'");
  }
  std::string definition = to_json(f).dump();
  std::int64_t now = now_ms();
  return write<bool>([&](Database& db) -> Result<bool> {
    bool existed = false;
    {
      Query q = db.query("SELECT 1 FROM functions WHERE name = ?1");
      q.bind(1, f.name);
      FNQ_TRY_ASSIGN(existed, q.step());
    }
    Query q = db.query(
        "INSERT INTO functions (name, definition, updated_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, "
        "updated_at = excluded.updated_at");
    q.bind(1, f.name).bind(2, definition).bind(3, now);
    FNQ_TRY(q.run());
    return !existed;
  });
}

}  // namespace fnq
