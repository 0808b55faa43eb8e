#pragma once
// Thin RAII over libpq, in the style of sqlite.h: a Connection with a cache
// of prepared statements, PgResult (owns a PGresult), Params (text
// parameters, bytea ones sent binary), and a Transaction that rolls back
// unless committed.
//
// Errors map to the store's kinds: a lost or refused connection, a server
// shutting down or out of connections -> unavailable (HTTP 503); unique
// violations -> conflict; bad SQL -> internal; the rest -> io.
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "daemon/store/sqlite.h"  // FNQ_TRY_ASSIGN

// The database's clock in milliseconds since the epoch: hosts compare
// heartbeats on one clock, not on their own.
#define FNQ_PG_NOW "(extract(epoch from clock_timestamp()) * 1000)::bigint"

namespace fnq::pg {

// The error for a failed statement (res may be null) on conn.
Error pg_error(PGconn* conn, const PGresult* res, std::string_view what);

// A {"a","b"} literal of a text[] parameter.
std::string text_array(const std::vector<std::string>& items);

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

// The rows of one statement. Columns are 0-based.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* res) : m_res(res) {}

  int rows() const { return m_res ? PQntuples(m_res.get()) : 0; }
  // Rows changed by INSERT/UPDATE/DELETE.
  int affected() const;
  bool is_null(int row, int column) const { return PQgetisnull(m_res.get(), row, column) != 0; }
  std::string text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  PGresult* get() const { return m_res.get(); }

 private:
  std::unique_ptr<PGresult, PgResultDeleter> m_res;
};

// One row of a result, with the accessors read_call_row expects.
class Row {
 public:
  Row(const PgResult& res, int row) : m_res(&res), m_row(row) {}
  bool is_null(int column) const { return m_res->is_null(m_row, column); }
  std::int64_t int64(int column) const { return m_res->int64(m_row, column); }
  int int32(int column) const { return static_cast<int>(int64(column)); }
  std::optional<std::int64_t> opt_int64(int column) const;
  std::optional<int> opt_int32(int column) const;
  std::string text(int column) const { return m_res->text(m_row, column); }
  std::optional<std::string> opt_text(int column) const;

 private:
  const PgResult* m_res;
  int m_row;
};

// Statement parameters ($1, $2, ... in the order added). Text format, except
// bytes (bytea), sent in binary so that no escaping is needed.
class Params {
 public:
  Params& add(std::int64_t value) { return add_text(std::to_string(value)); }
  Params& add(int value) { return add(static_cast<std::int64_t>(value)); }
  Params& add(std::uint64_t value) { return add(static_cast<std::int64_t>(value)); }
  Params& add(bool value) { return add(static_cast<std::int64_t>(value ? 1 : 0)); }
  Params& add(std::string_view text) { return add_text(std::string(text)); }
  Params& add(const std::string& text) { return add_text(text); }
  Params& add(const char* text) { return add_text(text); }
  template <class T>
  Params& add(const std::optional<T>& value) {
    return value ? add(*value) : add_null();
  }
  Params& add_bytes(std::string_view bytes);
  Params& add_null();

  int size() const { return static_cast<int>(m_values.size()); }
  // Pointers valid while this object lives and is not changed.
  std::vector<const char*> values() const;
  std::vector<int> lengths() const;
  const std::vector<int>& formats() const { return m_formats; }

 private:
  Params& add_text(std::string text);
  std::vector<std::optional<std::string>> m_values;
  std::vector<int> m_formats;
};

// A connection, used by one thread at a time. Move-only; closes on
// destruction. A broken connection is re-established by reconnect().
class Connection {
 public:
  static Result<Connection> open(const std::string& conninfo);

  Connection() = default;
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  PGconn* handle() const { return m_conn; }
  bool is_broken() const;
  // PQreset, forgetting prepared statements; unavailable if it fails.
  Status reconnect();

  // Runs `sql` (prepared once per connection) with params. binary_result:
  // columns come back in binary (used for reading one bytea column).
  Result<PgResult> exec(const std::string& sql, const Params& params = Params(),
                        bool binary_result = false);
  // exec(), for a statement whose rows (if any) are not needed.
  Status command(const std::string& sql, const Params& params = Params());
  // Runs statements without parameters and without preparing (BEGIN,
  // COMMIT, migrations).
  Status run(const std::string& sql, std::string_view what = "");
  // The SQLSTATE of the last failed statement ("" after a success).
  const std::string& last_sqlstate() const { return m_last_sqlstate; }
  // Serialization failure or deadlock: running the transaction again may succeed.
  bool last_error_retryable() const;

 private:
  Result<std::string> prepared(const std::string& sql);
  Error fail(const PgResult& res, std::string_view what);
  void close();

  PGconn* m_conn = nullptr;
  std::unordered_map<std::string, std::string> m_statements;  // sql -> name
  std::string m_last_sqlstate;
};

// BEGIN now; ROLLBACK when it goes out of scope unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  const Status& status() const { return m_status; }
  Status commit();

 private:
  Connection& m_conn;
  Status m_status;
  bool m_done = false;
};

}  // namespace fnq::pg
