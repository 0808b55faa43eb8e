#include "daemon/store/pg/pg.h"

#include <cstdlib>
#include <utility>

namespace fnq::pg {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

ErrorKind kind_of(const std::string& sqlstate) {
  if (starts_with(sqlstate, "08") || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03" || sqlstate == "53300" || sqlstate == "25006") {
    return ErrorKind::unavailable;  // connection lost, server stopping, too many connections
  }
  if (starts_with(sqlstate, "23")) {
    return ErrorKind::conflict;
  }
  if (sqlstate == "53100") {
    return ErrorKind::disk_full;
  }
  if (starts_with(sqlstate, "54")) {
    return ErrorKind::too_large;
  }
  if (starts_with(sqlstate, "22")) {
    return ErrorKind::invalid_input;
  }
  if (starts_with(sqlstate, "42") || starts_with(sqlstate, "XX")) {
    return ErrorKind::internal;
  }
  return ErrorKind::io;
}

}  // namespace

Error pg_error(PGconn* conn, const PGresult* res, std::string_view what) {
  std::string prefix = what.empty() ? std::string() : std::string(what) + ": ";
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string detail = trimmed(res ? PQresultErrorMessage(res) : "");
  if (detail.empty() && conn) {
    detail = trimmed(PQerrorMessage(conn));
  }
  if (!conn || PQstatus(conn) != CONNECTION_OK || !state) {
    return make_error(ErrorKind::unavailable,
                      prefix + "PostgreSQL is unreachable: " +
                          (detail.empty() ? std::string("connection lost") : detail));
  }
  ErrorKind kind = kind_of(state);
  if (kind == ErrorKind::unavailable) {
    return make_error(kind, prefix + "PostgreSQL is unavailable: " + detail);
  }
  return make_error(kind, prefix + detail);
}

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') {
        out += '\\';
      }
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

// ---- PgResult, Row --------------------------------------------------------

int PgResult::affected() const {
  const char* n = m_res ? PQcmdTuples(m_res.get()) : "";
  return *n ? std::atoi(n) : 0;
}

std::string PgResult::text(int row, int column) const {
  const char* p = PQgetvalue(m_res.get(), row, column);
  int n = PQgetlength(m_res.get(), row, column);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::int64_t PgResult::int64(int row, int column) const {
  const char* p = PQgetvalue(m_res.get(), row, column);
  return p ? std::strtoll(p, nullptr, 10) : 0;
}

std::optional<std::int64_t> Row::opt_int64(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return int64(column);
}

std::optional<int> Row::opt_int32(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return int32(column);
}

std::optional<std::string> Row::opt_text(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return text(column);
}

// ---- Params ---------------------------------------------------------------

Params& Params::add_text(std::string text) {
  m_values.emplace_back(std::move(text));
  m_formats.push_back(0);
  return *this;
}

Params& Params::add_bytes(std::string_view bytes) {
  m_values.emplace_back(std::string(bytes));
  m_formats.push_back(1);
  return *this;
}

Params& Params::add_null() {
  m_values.emplace_back(std::nullopt);
  m_formats.push_back(0);
  return *this;
}

std::vector<const char*> Params::values() const {
  std::vector<const char*> out;
  out.reserve(m_values.size());
  for (const auto& v : m_values) {
    out.push_back(v ? v->data() : nullptr);
  }
  return out;
}

std::vector<int> Params::lengths() const {
  std::vector<int> out;
  out.reserve(m_values.size());
  for (const auto& v : m_values) {
    out.push_back(v ? static_cast<int>(v->size()) : 0);
  }
  return out;
}

// ---- Connection -----------------------------------------------------------

Result<Connection> Connection::open(const std::string& conninfo) {
  Connection c;
  // A default connect_timeout (an unreachable host must not hang a request
  // for minutes); one given in conninfo, expanded after it, wins.
  const char* keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"5", conninfo.c_str(), nullptr};
  c.m_conn = PQconnectdbParams(keywords, values, 1);  // closed by c's destructor even on failure
  if (!c.m_conn) {
    return make_error(ErrorKind::internal, "out of memory opening a PostgreSQL connection");
  }
  if (PQstatus(c.m_conn) != CONNECTION_OK) {
    return make_error(ErrorKind::unavailable,
                      "cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(c.m_conn)));
  }
  // Notices (e.g. "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(
      c.m_conn, [](void*, const char*) {}, nullptr);
  return c;
}

Connection::Connection(Connection&& other) noexcept
    : m_conn(std::exchange(other.m_conn, nullptr)),
      m_statements(std::move(other.m_statements)),
      m_last_sqlstate(std::move(other.m_last_sqlstate)) {
  other.m_statements.clear();
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    m_conn = std::exchange(other.m_conn, nullptr);
    m_statements = std::move(other.m_statements);
    other.m_statements.clear();
    m_last_sqlstate = std::move(other.m_last_sqlstate);
  }
  return *this;
}

Connection::~Connection() { close(); }

void Connection::close() {
  if (m_conn) {
    PQfinish(m_conn);
    m_conn = nullptr;
  }
  m_statements.clear();
}

bool Connection::is_broken() const { return !m_conn || PQstatus(m_conn) != CONNECTION_OK; }

Status Connection::reconnect() {
  m_statements.clear();
  if (!m_conn) {
    return make_error(ErrorKind::unavailable, "PostgreSQL connection is closed");
  }
  PQreset(m_conn);
  if (PQstatus(m_conn) != CONNECTION_OK) {
    return make_error(ErrorKind::unavailable,
                      "cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(m_conn)));
  }
  return {};
}

bool Connection::last_error_retryable() const {
  return m_last_sqlstate == "40001" || m_last_sqlstate == "40P01";
}

Error Connection::fail(const PgResult& res, std::string_view what) {
  const char* state = res.get() ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
  m_last_sqlstate = state ? state : "08000";
  return pg_error(m_conn, res.get(), what);
}

Result<std::string> Connection::prepared(const std::string& sql) {
  auto it = m_statements.find(sql);
  if (it != m_statements.end()) {
    return it->second;
  }
  std::string name = "fnq_" + std::to_string(m_statements.size() + 1);
  PgResult res(PQprepare(m_conn, name.c_str(), sql.c_str(), 0, nullptr));
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    Error err = fail(res, "");
    if (err.kind == ErrorKind::internal) {
      err.message += " (in: " + sql + ")";
    }
    return err;
  }
  m_statements.emplace(sql, name);
  return name;
}

Result<PgResult> Connection::exec(const std::string& sql, const Params& params,
                                  bool binary_result) {
  if (!m_conn) {
    return make_error(ErrorKind::unavailable, "PostgreSQL connection is closed");
  }
  FNQ_TRY_ASSIGN(std::string name, prepared(sql));
  auto values = params.values();
  auto lengths = params.lengths();
  PgResult res(PQexecPrepared(m_conn, name.c_str(), params.size(), values.data(), lengths.data(),
                              params.formats().data(), binary_result ? 1 : 0));
  auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Error err = fail(res, "");
    if (err.kind == ErrorKind::internal) {
      err.message += " (in: " + sql + ")";
    }
    return err;
  }
  m_last_sqlstate.clear();
  return res;
}

Status Connection::command(const std::string& sql, const Params& params) {
  auto res = exec(sql, params);
  if (!res.ok()) {
    return res.error();
  }
  return {};
}

Status Connection::run(const std::string& sql, std::string_view what) {
  if (!m_conn) {
    return make_error(ErrorKind::unavailable, "PostgreSQL connection is closed");
  }
  PgResult res(PQexec(m_conn, sql.c_str()));
  auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return fail(res, what);
  }
  m_last_sqlstate.clear();
  return {};
}

// ---- Transaction ----------------------------------------------------------

Transaction::Transaction(Connection& conn) : m_conn(conn), m_status(conn.run("BEGIN")) {}

Transaction::~Transaction() {
  if (!m_done && !m_conn.is_broken()) {
    (void)m_conn.run("ROLLBACK");
  }
}

Status Transaction::commit() {
  FNQ_TRY(m_status);
  m_done = true;
  return m_conn.run("COMMIT");
}

}  // namespace fnq::pg
