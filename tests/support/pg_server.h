#pragma once
// A private PostgreSQL 15 server for tests: initdb into a temp dir (as the
// postgres user when run as root), started by pg_ctl with only a Unix socket
// in that dir, fsync off. Never the system instance.
//
// Under ctest one server serves the whole run: the fnq_test_pg_start test
// (a fixture) starts it and writes its connection string to
// $FNQ_TEST_PG_DIR/conninfo, fnq_test_pg_stop stops it. A test binary run
// by hand without FNQ_TEST_PG_DIR starts its own and stops it at exit.
#include <optional>
#include <string>

namespace fnq::test {

class PgServer {
 public:
  // Starts a server in a new temp dir; nullopt (with *why) if the
  // PostgreSQL binaries are absent or it fails to start. durable: commits
  // are acknowledged only once their WAL is written (synchronous_commit on),
  // so that they survive a crash of the server (stop("immediate")); fsync
  // stays off, since the machine itself does not crash.
  static std::optional<PgServer> start(std::string* why, bool durable = false);
  // The server of this test run: the ctest fixture's, or one started now
  // (once per process). nullptr (with the reason in *why) if none.
  static const PgServer* shared(std::string* why);
  // The server whose dir is `dir` (to stop one started by another process).
  static PgServer adopt(const std::string& dir);

  // "host=DIR port=5432 user=postgres" (add dbname=...).
  const std::string& conninfo() const { return m_conninfo; }
  const std::string& dir() const { return m_dir; }
  // Creates a new, empty database; returns its connection string, or "".
  std::string create_database(std::string* why) const;
  // pg_ctl stop (mode fast or immediate), then removes the dir unless keep.
  void stop(const std::string& mode = "fast", bool keep = false);
  // pg_ctl start again after stop(..., keep = true).
  bool restart(std::string* why);

 private:
  std::string m_dir;
  std::string m_conninfo;
  bool m_durable = false;
};

// Runs a shell command as the postgres user when root; its exit status.
int run_as_postgres(const std::string& command);
// The directory of initdb and pg_ctl ("" if not found).
std::string pg_bin_dir();

}  // namespace fnq::test
