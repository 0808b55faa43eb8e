#include "daemon/store/sqlite.h"

#include <cerrno>
#include <mutex>
#include <utility>

namespace fnq {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string prefix = what.empty() ? std::string() : std::string(what) + ": ";
  int primary = rc & 0xff;
  bool enospc = primary == SQLITE_IOERR && db && sqlite3_system_errno(db) == ENOSPC;
  if (primary == SQLITE_FULL || enospc) {
    return make_error(ErrorKind::disk_full, prefix + "database is full: no space left on device");
  }
  switch (primary) {
    case SQLITE_CONSTRAINT: return make_error(ErrorKind::conflict, prefix + detail);
    case SQLITE_TOOBIG: return make_error(ErrorKind::too_large, prefix + detail);
    case SQLITE_MISMATCH: return make_error(ErrorKind::invalid_input, prefix + detail);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return make_error(ErrorKind::io, prefix + "database is corrupt: " + detail);
    case SQLITE_ERROR:
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      // Bad SQL or API use: a bug in the store, not the world outside.
      return make_error(ErrorKind::internal, prefix + detail);
    default: return make_error(ErrorKind::io, prefix + detail);
  }
}

void disable_sqlite_memory_statistics() {
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

// ---- Query ---------------------------------------------------------------

Query::Query(Database* db, sqlite3_stmt* stmt, CachedStatement* entry, std::optional<Error> error,
             int rc)
    : m_db(db), m_stmt(stmt), m_entry(entry), m_error(std::move(error)), m_rc(rc) {}

Query::Query(Query&& other) noexcept
    : m_db(other.m_db),
      m_stmt(std::exchange(other.m_stmt, nullptr)),
      m_entry(other.m_entry),
      m_error(std::move(other.m_error)),
      m_rc(other.m_rc) {}

Query::~Query() {
  if (!m_stmt) {
    return;
  }
  if (!m_entry) {
    sqlite3_finalize(m_stmt);
    return;
  }
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
  m_entry->in_use = false;
}

void Query::note_bind(int rc) {
  if (rc != SQLITE_OK && !m_error) {
    m_error = m_db->error(rc, "bind");
    m_rc = rc;
  }
}

int Query::parameter_index(const char* name) {
  if (!m_stmt) {
    return 0;
  }
  if (m_entry) {
    for (const auto& [known, index] : m_entry->parameters) {
      if (known == name) {
        return index;
      }
    }
  }
  int index = sqlite3_bind_parameter_index(m_stmt, name);
  if (index != 0 && m_entry) {
    m_entry->parameters.emplace_back(name, index);
  }
  if (index == 0 && !m_error) {
    m_error = make_error(ErrorKind::internal, std::string("bind: no parameter ") + name +
                                                  " (in: " + sqlite3_sql(m_stmt) + ")");
    m_rc = SQLITE_RANGE;
  }
  return index;
}

Query& Query::bind(int index, std::int64_t value) {
  if (m_stmt) {
    note_bind(sqlite3_bind_int64(m_stmt, index, value));
  }
  return *this;
}

Query& Query::bind(int index, std::string_view text) {
  if (m_stmt) {
    note_bind(sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                  SQLITE_UTF8));
  }
  return *this;
}

Query& Query::bind_blob(int index, std::string_view bytes) {
  if (m_stmt) {
    // A zero-length blob, not NULL, for empty data.
    note_bind(bytes.empty() ? sqlite3_bind_zeroblob(m_stmt, index, 0)
                            : sqlite3_bind_blob64(m_stmt, index, bytes.data(), bytes.size(),
                                                  SQLITE_TRANSIENT));
  }
  return *this;
}

Query& Query::bind_null(int index) {
  if (m_stmt) {
    note_bind(sqlite3_bind_null(m_stmt, index));
  }
  return *this;
}

Result<bool> Query::step() {
  if (m_error) {
    return *m_error;
  }
  int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  m_error = m_db->error(rc, "");
  m_rc = rc;
  if (m_error->kind == ErrorKind::internal) {
    // A bug: say which statement, for the log.
    m_error->message += std::string(" (in: ") + sqlite3_sql(m_stmt) + ")";
  }
  return *m_error;
}

Status Query::run() {
  return each([](const Query&) {});
}

bool Query::is_null(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }

std::int64_t Query::int64(int column) const { return sqlite3_column_int64(m_stmt, column); }

std::optional<std::int64_t> Query::opt_int64(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return int64(column);
}

std::optional<int> Query::opt_int32(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return int32(column);
}

std::string Query::text(int column) const {
  const auto* p = sqlite3_column_text(m_stmt, column);
  int n = sqlite3_column_bytes(m_stmt, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

std::optional<std::string> Query::opt_text(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return text(column);
}

std::string Query::blob(int column) const {
  const void* p = sqlite3_column_blob(m_stmt, column);
  int n = sqlite3_column_bytes(m_stmt, column);
  return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

// ---- Database ------------------------------------------------------------

Result<Database> Database::open(const std::string& path, int flags, const std::string& vfs) {
  sqlite3* handle = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &handle, flags | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOMUTEX,
                      vfs.empty() ? nullptr : vfs.c_str());
  Database db;
  db.m_db = handle;  // closed by db's destructor even when open failed
  db.m_path = path;
  if (rc != SQLITE_OK) {
    return sqlite_error(handle, rc, "cannot open database " + path);
  }
  return db;
}

Database::Database(Database&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)),
      m_path(std::move(other.m_path)),
      m_cache(std::move(other.m_cache)),
      m_by_address(std::move(other.m_by_address)) {  // nodes move, pointers stay good
  other.m_cache.clear();
  other.m_by_address.clear();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    m_db = std::exchange(other.m_db, nullptr);
    m_path = std::move(other.m_path);
    m_cache = std::move(other.m_cache);
    m_by_address = std::move(other.m_by_address);
    other.m_cache.clear();
    other.m_by_address.clear();
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() {
  for (auto& entry : m_cache) {
    sqlite3_finalize(entry.second.stmt);
  }
  m_by_address.clear();
  m_cache.clear();
  if (m_db) {
    sqlite3_close_v2(m_db);
    m_db = nullptr;
  }
}

Query Database::query_static(const char* sql, std::size_t size) {
  auto known = m_by_address.find(sql);
  if (known != m_by_address.end() && !known->second->in_use) {
    known->second->in_use = true;
    return Query(this, known->second->stmt, known->second, std::nullopt, SQLITE_OK);
  }
  Query q = query(std::string(sql, size));
  if (q.m_entry) {  // the cached statement (not a fresh one for a nested use)
    m_by_address.emplace(sql, q.m_entry);
  }
  return q;
}

Query Database::query(const std::string& sql) {
  auto it = m_cache.find(sql);
  if (it != m_cache.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Query(this, it->second.stmt, &it->second, std::nullopt, SQLITE_OK);
  }
  bool cache = it == m_cache.end();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(m_db, sql.c_str(), static_cast<int>(sql.size()),
                              cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK || !stmt) {
    sqlite3_finalize(stmt);
    Error err =
        rc != SQLITE_OK ? error(rc, "prepare") : make_error(ErrorKind::internal, "empty SQL");
    if (err.kind == ErrorKind::internal) {
      err.message += " (in: " + sql + ")";
    }
    return Query(this, nullptr, nullptr, std::move(err), rc != SQLITE_OK ? rc : SQLITE_MISUSE);
  }
  CachedStatement* entry = nullptr;
  if (cache) {
    entry = &m_cache.emplace(sql, CachedStatement{stmt, true, {}}).first->second;
  }
  return Query(this, stmt, entry, std::nullopt, SQLITE_OK);
}

Status Database::exec_script(const std::string& sql, std::string_view what) {
  char* message = nullptr;
  int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) {
    return {};
  }
  Error err = error(rc, what);
  sqlite3_free(message);
  return err;
}

Result<std::int64_t> Database::query_int(const std::string& sql) {
  Query q = query(sql);
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return make_error(ErrorKind::internal, "no result from " + sql);
  }
  return q.int64(0);
}

std::string Database::error_message() const { return sqlite3_errmsg(m_db); }

void Database::set_busy_timeout(int ms) { sqlite3_busy_timeout(m_db, ms); }

void Database::keep_wal_at_close() {
  sqlite3_db_config(m_db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
}

int Database::changes() const { return sqlite3_changes(m_db); }

bool Database::in_transaction() const { return !sqlite3_get_autocommit(m_db); }

// ---- ReadTransaction -------------------------------------------------------

ReadTransaction::ReadTransaction(Database& db) : m_db(db), m_status(db.run("BEGIN")) {}

ReadTransaction::~ReadTransaction() {
  if (m_status.ok()) {
    (void)m_db.run("COMMIT");
  }
}

}  // namespace fnq
