#pragma once
// Thin RAII over the SQLite C API: a Database connection with a cache of
// prepared statements, and Query, one use of a cached statement.
//
// A Query never throws: a failed prepare or bind is remembered and reported
// by the next step(), so call sites handle one Result per statement.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "common/result.h"

namespace fnq {

// Maps a SQLite result code to an Error: SQLITE_FULL and ENOSPC -> disk_full,
// constraints -> conflict, too big -> too_large, misuse -> internal, the
// rest (I/O, corruption, busy) -> io. `what` says what was being done.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

class Database;
struct CachedStatement;

// One use of a prepared statement. Reset (and its bindings cleared) when it
// goes out of scope, so the cached statement is ready for the next use and
// holds no read snapshot open. Parameters are 1-based, columns 0-based.
class Query {
 public:
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  Query& bind(int index, std::int64_t value);
  Query& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Query& bind(int index, std::uint64_t value) {
    return bind(index, static_cast<std::int64_t>(value));
  }
  Query& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value)); }
  Query& bind(int index, std::string_view text);
  Query& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Query& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Query& bind_blob(int index, std::string_view bytes);
  Query& bind_null(int index);
  template <class T>
  Query& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // true: a row is available; false: done.
  Result<bool> step();
  // Steps to the end, ignoring rows.
  Status run();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  int int32(int column) const { return static_cast<int>(int64(column)); }
  std::optional<std::int64_t> opt_int64(int column) const;
  std::optional<int> opt_int32(int column) const;
  std::string text(int column) const;
  std::optional<std::string> opt_text(int column) const;
  std::string blob(int column) const;

 private:
  friend class Database;
  // entry: the cache slot of stmt, or nullptr for a statement of its own.
  Query(Database* db, sqlite3_stmt* stmt, CachedStatement* entry, std::optional<Error> error);
  void note_bind(int rc);

  Database* m_db = nullptr;
  sqlite3_stmt* m_stmt = nullptr;
  CachedStatement* m_entry = nullptr;
  std::optional<Error> m_error;  // from prepare or bind, reported by step()
};

struct CachedStatement {
  sqlite3_stmt* stmt = nullptr;
  bool in_use = false;
};

// A connection. Used by one thread at a time (the Writer's batch runner, or the
// holder of a reader lease). Move-only; closes on destruction.
class Database {
 public:
  // flags: SQLITE_OPEN_* (EXRESCODE and NOMUTEX are added); vfs: a
  // registered VFS name, or empty for the default.
  static Result<Database> open(const std::string& path, int flags, const std::string& vfs = {});

  Database() = default;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  sqlite3* handle() const { return m_db; }
  const std::string& path() const { return m_path; }

  // A use of the statement for `sql`, prepared once per connection. If the
  // cached statement is already in use (nested use), a fresh one is prepared.
  Query query(const std::string& sql);
  // Runs a statement without parameters or rows (BEGIN, COMMIT, PRAGMA x=y).
  Status run(const std::string& sql) { return query(sql).run(); }
  // Runs several statements without caching (migrations).
  Status exec_script(const std::string& sql, std::string_view what);
  // Reads a pragma or other single integer.
  Result<std::int64_t> query_int(const std::string& sql);

  Error error(int rc, std::string_view what) const { return sqlite_error(m_db, rc, what); }

 private:
  void close();

  sqlite3* m_db = nullptr;
  std::string m_path;
  // Node-based: a Query keeps a pointer to its entry.
  std::unordered_map<std::string, CachedStatement> m_cache;
};

// A read transaction on a reader connection: several statements see one
// snapshot. Ends (COMMIT, which for a reader only releases the snapshot)
// when it goes out of scope; keep it short, a long reader stops checkpoints.
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db);
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  ~ReadTransaction();
  const Status& status() const { return m_status; }

 private:
  Database& m_db;
  Status m_status;
};

}  // namespace fnq
