#pragma once
// Thin RAII over the SQLite C API: a Database connection with a cache of
// prepared statements, and Query, one use of a cached statement.
//
// A Query never throws: a failed prepare or bind is remembered and reported
// by the next step(), so call sites handle one Result per statement.
//
// The rest of the store reaches SQLite only through these types: no other
// file calls the C API.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "common/result.h"

namespace fnq {

// Maps a SQLite result code to an Error: SQLITE_FULL and ENOSPC -> disk_full,
// constraints -> conflict, too big -> too_large, misuse -> internal, the
// rest (I/O, corruption, busy) -> io. `what` says what was being done.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

// Turns off SQLite's memory statistics for the process, so that its every
// malloc and free does not take a global mutex. Takes effect only before
// SQLite initializes (the first open); harmless after.
void disable_sqlite_memory_statistics();

class Database;

namespace detail {
// What a row function gives: a T, or a Result<T> that can stop the query.
template <class T>
struct RowValue {
  using type = T;
  static constexpr bool can_fail = false;
};
template <class T>
struct RowValue<Result<T>> {
  using type = T;
  static constexpr bool can_fail = true;
};
}  // namespace detail
struct CachedStatement;

// One use of a prepared statement. Reset (and its bindings cleared) when it
// goes out of scope, so the cached statement is ready for the next use and
// holds no read snapshot open. Parameters are 1-based or named (":name" in
// the SQL), columns 0-based.
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
  // By name, as written in the SQL (":id"); a name the SQL lacks is an
  // error reported by step(). Names are string literals: the statement's
  // cache entry remembers each one's index by its address.
  template <class T, std::size_t N>
  Query& bind(const char (&name)[N], const T& value) {
    return bind(parameter_index(name), value);
  }
  template <std::size_t N>
  Query& bind_null(const char (&name)[N]) {
    return bind_null(parameter_index(name));
  }

  // true: a row is available; false: done.
  Result<bool> step();
  // Steps to the end, ignoring rows.
  Status run();
  // Steps to the end, calling row_fn(const Query&) on each row; row_fn
  // returns nothing, or a Status whose error stops the query.
  template <class RowFn>
  Status each(RowFn&& row_fn);
  // Steps to the end and gives what row_fn(const Query&) makes of each
  // row: a T, or a Result<T> whose error stops the query.
  template <class RowFn>
  auto collect(RowFn&& row_fn) -> Result<
      std::vector<typename detail::RowValue<std::invoke_result_t<RowFn&, const Query&>>::type>>;

  // The SQLite result code of the failure step() reported (SQLITE_OK if none).
  int result_code() const { return m_rc; }

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
  Query(Database* db, sqlite3_stmt* stmt, CachedStatement* entry, std::optional<Error> error,
        int rc);
  void note_bind(int rc);
  // 0 (which every bind refuses) for an unknown name, noted as an error.
  int parameter_index(const char* name);

  Database* m_db = nullptr;
  sqlite3_stmt* m_stmt = nullptr;
  CachedStatement* m_entry = nullptr;
  std::optional<Error> m_error;  // from prepare or bind, reported by step()
  int m_rc = SQLITE_OK;          // the SQLite code of m_error, if it has one
};

template <class RowFn>
Status Query::each(RowFn&& row_fn) {
  while (true) {
    FNQ_TRY_ASSIGN(bool row, step());
    if (!row) {
      return {};
    }
    if constexpr (std::is_void_v<std::invoke_result_t<RowFn&, const Query&>>) {
      row_fn(std::as_const(*this));
    } else {
      FNQ_TRY(row_fn(std::as_const(*this)));
    }
  }
}

template <class RowFn>
auto Query::collect(RowFn&& row_fn) -> Result<
    std::vector<typename detail::RowValue<std::invoke_result_t<RowFn&, const Query&>>::type>> {
  using Made = detail::RowValue<std::invoke_result_t<RowFn&, const Query&>>;
  std::vector<typename Made::type> out;
  FNQ_TRY(each([&](const Query& row) -> Status {
    if constexpr (Made::can_fail) {
      FNQ_TRY_ASSIGN(auto value, row_fn(row));
      out.push_back(std::move(value));
    } else {
      out.push_back(row_fn(row));
    }
    return {};
  }));
  return out;
}

struct CachedStatement {
  sqlite3_stmt* stmt = nullptr;
  bool in_use = false;
  // Named parameters looked up so far, by the address of the name (a string
  // literal, see Query::bind): sqlite3_bind_parameter_index compares the name with each
  // parameter in turn, which for an insert of 24 named values was a twentieth
  // of a large batch's time.
  std::vector<std::pair<const char*, int>> parameters;
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

  const std::string& path() const { return m_path; }

  // A use of the statement for `sql`, prepared once per connection. If the
  // cached statement is already in use (nested use), a fresh one is prepared.
  Query query(const std::string& sql);
  // The same for SQL in a string literal or constant array, found again by
  // its address: no copy or hash of its text per use.
  template <std::size_t N>
  Query query(const char (&sql)[N]) {
    return query_static(sql, N - 1);
  }
  // Runs a statement without parameters or rows (BEGIN, COMMIT, PRAGMA x=y).
  Status run(const std::string& sql) { return query(sql).run(); }
  // Runs several statements without caching (migrations).
  Status exec_script(const std::string& sql, std::string_view what);
  // Reads a pragma or other single integer.
  Result<std::int64_t> query_int(const std::string& sql);

  Error error(int rc, std::string_view what) const { return sqlite_error(m_db, rc, what); }
  // SQLite's text for the last failure on this connection.
  std::string error_message() const;

  // How long a statement waits for another connection's lock before it
  // fails with SQLITE_BUSY.
  void set_busy_timeout(int ms);
  // Closing the last connection leaves the WAL as it is instead of merging
  // it into the database.
  void keep_wal_at_close();
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const;
  // false once SQLite has ended the transaction (COMMIT, ROLLBACK, or a
  // rollback of its own after an error).
  bool in_transaction() const;

 private:
  void close();
  Query query_static(const char* sql, std::size_t size);

  sqlite3* m_db = nullptr;
  std::string m_path;
  // Node-based: a Query keeps a pointer to its entry.
  std::unordered_map<std::string, CachedStatement> m_cache;
  std::unordered_map<const char*, CachedStatement*> m_by_address;  // into m_cache
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
