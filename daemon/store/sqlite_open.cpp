#include "daemon/store/sqlite_open.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "common/fd.h"
#include "daemon/store/schema.h"

namespace fnq {
namespace {

constexpr int k_busy_timeout_ms = 5000;
// Page cache per connection, in KiB (negative cache_size); memory is only
// taken as pages are read, and kept. fnqd should stay within 64 MiB
// resident with a million calls stored, so the caches are modest: the
// writer's hot pages are the right edges of the (time-ordered) indexes, and
// a reader's cache is dropped whenever another connection has written
// (WAL), so under load a larger one is not used. Measured: a 100,000-row
// batch insert runs as fast with 8 MiB as with 64 MiB.
constexpr int k_writer_cache_kib = 8192;
constexpr int k_reader_cache_kib = 2048;
// The WAL is truncated to this after a checkpoint, so one burst does not
// leave a huge file behind.
constexpr std::int64_t k_journal_size_limit = 64 * 1024 * 1024;

bool is_corruption(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

// Errors while first reading a database: corruption is named as such.
Error open_error(const Database& db, int rc, const std::string& what) {
  if (is_corruption(rc)) {
    return make_error(ErrorKind::io,
                      "database " + db.path() + " is corrupt (" + db.error_message() + ")");
  }
  return db.error(rc, what);
}

// Runs a single-integer query during open, mapping corruption.
Result<std::int64_t> read_int(Database& db, const std::string& sql) {
  Query q = db.query(sql);
  Result<bool> row = q.step();
  if (!row.ok() || !*row) {
    return open_error(db, row.ok() ? SQLITE_DONE : q.result_code(),
                      "cannot read database " + db.path());
  }
  return q.int64(0);
}

// Ours: our application_id; or a brand-new database (id 0, no tables).
Status check_ownership(Database& db) {
  FNQ_TRY_ASSIGN(std::int64_t app_id, read_int(db, "PRAGMA application_id"));
  FNQ_TRY_ASSIGN(std::int64_t tables,
                 read_int(db,
                          "SELECT count(*) FROM sqlite_schema WHERE type IN ('table', 'view') "
                          "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"));
  if (app_id == k_application_id || (app_id == 0 && tables == 0)) {
    return {};
  }
  std::string why =
      app_id != 0 ? "it belongs to another application" : "it holds another application's tables";
  return make_error(ErrorKind::invalid_input, db.path() + " is not an fnq database (" + why + ")");
}

Status check_version(Database& db, std::int64_t version) {
  auto supported = static_cast<std::int64_t>(schema_migrations().size());
  if (version > supported) {
    return make_error(ErrorKind::conflict, "database schema version " + std::to_string(version) +
                                               " of " + db.path() +
                                               " is newer than this fnqd supports (" +
                                               std::to_string(supported) + "); upgrade fnqd");
  }
  return {};
}

Status configure_writer(Database& db, const SqliteOptions& opts) {
  db.set_busy_timeout(k_busy_timeout_ms);
  {
    Query q = db.query("PRAGMA journal_mode=WAL");
    FNQ_TRY_ASSIGN(bool row, q.step());
    if (!row || q.text(0) != "wal") {
      return make_error(ErrorKind::io, "cannot use WAL mode for " + db.path());
    }
  }
  std::string pragmas = std::string("PRAGMA synchronous=") +
                        (opts.synchronous_full ? "FULL" : "NORMAL") + ";\nPRAGMA cache_size=-" +
                        std::to_string(k_writer_cache_kib) + ";\nPRAGMA temp_store=MEMORY" +
                        ";\nPRAGMA journal_size_limit=" + std::to_string(k_journal_size_limit);
  if (opts.max_size_bytes > 0) {
    FNQ_TRY_ASSIGN(std::int64_t page_size, db.query_int("PRAGMA page_size"));
    std::int64_t pages = static_cast<std::int64_t>(opts.max_size_bytes) / page_size;
    pages = pages > 0 ? pages : 1;
    pragmas += ";\nPRAGMA max_page_count=" + std::to_string(pages);
  }
  return db.exec_script(pragmas, "cannot configure " + db.path());
}

// Migration i brings user_version from i to i+1, in its own transaction.
Status migrate(Database& db, std::int64_t version) {
  const auto& migrations = schema_migrations();
  for (auto i = static_cast<std::size_t>(version); i < migrations.size(); ++i) {
    std::string what = std::string("cannot apply schema migration ") + migrations[i].name;
    FNQ_TRY(db.exec_script("BEGIN IMMEDIATE", what));
    std::string script = std::string(migrations[i].sql) +
                         ";\nPRAGMA application_id=" + std::to_string(k_application_id) +
                         ";\nPRAGMA user_version=" + std::to_string(i + 1) + ";";
    Status applied = db.exec_script(script, what);
    if (applied.ok()) {
      applied = db.exec_script("COMMIT", what);
    }
    if (!applied.ok()) {
      (void)db.exec_script("ROLLBACK", "");
      return applied;
    }
  }
  return {};
}

// SQLite creates a database 0644, whatever the umask, and its -wal and -shm
// with the database's mode. So fnq creates the file first, 0600, and all
// three stay private to fnqd's user. An existing file keeps its mode.
Status create_database_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    if (errno == EEXIST) {
      return {};
    }
    return make_error(errno == ENOSPC ? ErrorKind::disk_full : ErrorKind::io,
                      "cannot create database " + path + ": " + errno_text(errno));
  }
  // A umask such as 0277 would leave it unwritable.
  if (::fchmod(fd.get(), 0600) != 0) {
    return make_error(ErrorKind::io, "cannot set the mode of " + path + ": " + errno_text(errno));
  }
  return {};
}

}  // namespace

Status check_sqlite_header(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return {};  // created on open
    }
    return make_error(ErrorKind::io, "cannot open database " + path + ": " + errno_text(errno));
  }
  if (st.st_size == 0) {
    return {};  // a new, empty database
  }
  static const char k_header[16] = "SQLite format 3";  // with its terminating NUL
  char head[16] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::io, "cannot read database " + path);
  }
  in.read(head, sizeof(head));
  if (st.st_size < 100 || in.gcount() != sizeof(head) ||
      std::memcmp(head, k_header, sizeof(head)) != 0) {
    return make_error(ErrorKind::invalid_input, path + " is not an fnq database (not SQLite)");
  }
  return {};
}

Result<Database> open_writer(const SqliteOptions& opts) {
  FNQ_TRY(create_database_file(opts.path));
  FNQ_TRY_ASSIGN(Database db,
                 Database::open(opts.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, opts.vfs));
  FNQ_TRY(check_ownership(db));
  FNQ_TRY_ASSIGN(std::int64_t version, read_int(db, "PRAGMA user_version"));
  FNQ_TRY(check_version(db, version));
  FNQ_TRY(configure_writer(db, opts));
  FNQ_TRY(migrate(db, version));
  return db;
}

Result<Database> open_reader(const SqliteOptions& opts) {
  // Read-write at the file level (WAL readers update the shared-memory
  // index), read-only by query_only.
  FNQ_TRY_ASSIGN(Database db, Database::open(opts.path, SQLITE_OPEN_READWRITE, opts.vfs));
  db.set_busy_timeout(k_busy_timeout_ms);
  FNQ_TRY(db.exec_script("PRAGMA query_only=1;\nPRAGMA temp_store=MEMORY;\nPRAGMA cache_size=-" +
                             std::to_string(k_reader_cache_kib),
                         "cannot configure " + db.path()));
  return db;
}

}  // namespace fnq
