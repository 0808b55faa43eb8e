#include "support/pg_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

namespace fnq::test {
namespace {

constexpr const char* k_port = "5432";

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string pg_ctl(const std::string& dir, const std::string& action) {
  return pg_bin_dir() + "/pg_ctl -D " + dir + "/data -l " + dir + "/server.log -w " + action +
         " >>" + dir + "/pg_ctl.log 2>&1";
}

std::string start_options(const std::string& dir, bool durable) {
  return "-o \"-k " + dir + " -c listen_addresses='' -p " + k_port +
         " -c fsync=off -c synchronous_commit=" + (durable ? "on" : "off") +
         " -c full_page_writes=off -c max_connections=300\"";
}

// The server started by this process, stopped when it exits.
struct OwnServer {
  std::optional<PgServer> server;
  ~OwnServer() {
    if (server) {
      server->stop("immediate");
    }
  }
};

}  // namespace

std::string pg_bin_dir() {
  const char* env = std::getenv("FNQ_PG_BIN");
  std::string dir = env && *env ? env : "/usr/lib/postgresql/15/bin";
  return executable(dir + "/initdb") && executable(dir + "/pg_ctl") ? dir : "";
}

int run_as_postgres(const std::string& command) {
  std::string full = command;
  if (::geteuid() == 0) {
    full = "runuser -u postgres -- sh -c '" + command + "'";
  }
  return std::system(full.c_str());
}

std::optional<PgServer> PgServer::start(std::string* why, bool durable) {
  if (pg_bin_dir().empty()) {
    *why = "PostgreSQL 15 binaries not found (install postgresql, or set FNQ_PG_BIN)";
    return std::nullopt;
  }
  std::string tmpl = "/tmp/fnq-pg-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    *why = "mkdtemp failed";
    return std::nullopt;
  }
  PgServer s;
  s.m_dir = tmpl;
  s.m_durable = durable;
  if (::geteuid() == 0) {
    struct passwd* pw = getpwnam("postgres");
    if (!pw || ::chown(s.m_dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      *why = "no postgres user to run the test server as";
      return std::nullopt;
    }
  }
  std::string initdb = pg_bin_dir() + "/initdb -D " + s.m_dir + "/data -A trust -U postgres " +
                       "--no-sync -E UTF8 --locale=C >" + s.m_dir + "/initdb.log 2>&1";
  if (run_as_postgres(initdb) != 0) {
    *why = "initdb failed: " + slurp(s.m_dir + "/initdb.log");
    return std::nullopt;
  }
  s.m_conninfo = "host=" + s.m_dir + " port=" + k_port + " user=postgres";
  if (!s.restart(why)) {
    return std::nullopt;
  }
  return s;
}

PgServer PgServer::adopt(const std::string& dir) {
  PgServer s;
  s.m_dir = dir;
  s.m_conninfo = "host=" + dir + " port=" + k_port + " user=postgres";
  return s;
}

bool PgServer::restart(std::string* why) {
  if (run_as_postgres(pg_ctl(m_dir, start_options(m_dir, m_durable) + " start")) != 0) {
    *why = "pg_ctl start failed: " + slurp(m_dir + "/server.log");
    return false;
  }
  return true;
}

void PgServer::stop(const std::string& mode, bool keep) {
  if (m_dir.empty()) {
    return;
  }
  (void)run_as_postgres(pg_ctl(m_dir, "-m " + mode + " stop"));
  if (!keep) {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
    m_dir.clear();
  }
}

const PgServer* PgServer::shared(std::string* why) {
  static std::mutex mutex;
  static OwnServer own;
  static std::optional<PgServer> fixture;
  static std::string failure;
  std::lock_guard<std::mutex> lock(mutex);
  if (fixture) {
    return &*fixture;
  }
  if (own.server) {
    return &*own.server;
  }
  if (!failure.empty()) {
    *why = failure;
    return nullptr;
  }
  const char* dir = std::getenv("FNQ_TEST_PG_DIR");
  if (dir && *dir) {
    std::string conninfo = slurp(std::string(dir) + "/conninfo");
    while (!conninfo.empty() && conninfo.back() == '\n') {
      conninfo.pop_back();
    }
    if (!conninfo.empty()) {
      PgServer s;
      s.m_conninfo = conninfo;
      fixture = s;
      return &*fixture;
    }
    failure = slurp(std::string(dir) + "/skip");
    if (failure.empty()) {
      failure = "the test PostgreSQL server did not start (see the fnq_test_pg_start test)";
    }
    *why = failure;
    return nullptr;
  }
  own.server = start(&failure);
  if (!own.server) {
    *why = failure;
    return nullptr;
  }
  return &*own.server;
}

std::string PgServer::create_database(std::string* why) const {
  static std::atomic<int> counter{0};
  std::string name = "fnq_t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(
      PQconnectdb((m_conninfo + " dbname=postgres").c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    *why = std::string("cannot connect to the test server: ") + PQerrorMessage(conn.get());
    return "";
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> res(
      PQexec(conn.get(), ("CREATE DATABASE " + name).c_str()), PQclear);
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    *why = std::string("CREATE DATABASE failed: ") + PQerrorMessage(conn.get());
    return "";
  }
  return m_conninfo + " dbname=" + name;
}

}  // namespace fnq::test
