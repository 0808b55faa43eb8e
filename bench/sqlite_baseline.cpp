// Baseline for benchmark 2: the same rows fnq stores for `fnq submit --lines`,
// inserted straight into SQLite in ONE transaction, with fnq's schema and
// fnqd's writer settings (WAL, synchronous=FULL, the same cache_size and
// temp_store). No HTTP, no JSON, no checks: the ceiling for the store.
//
// Usage: sqlite_baseline SCHEMA.sql TEMPLATE.db OUT.db N
// TEMPLATE.db is a database fnqd wrote; its newest call (and that call's
// input blob) is copied N times under new time-ordered ids, so every row has
// the size of a real one. Prints "rows=N seconds=S rows_per_s=R".
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(sqlite3* db, const char* what) {
  std::fprintf(stderr, "sqlite_baseline: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
  std::exit(1);
}

void exec(sqlite3* db, const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite_baseline: %s: %s\n", sql.substr(0, 60).c_str(), msg ? msg : "?");
    std::exit(1);
  }
}

sqlite3_stmt* prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    die(db, "prepare");
  }
  return s;
}

// A UUIDv7-shaped id: 48-bit milliseconds, then a counter, so ids ascend
// as fnq's do.
std::string make_id(long long ms, unsigned long long n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-7%03llx-8%03llx-%012llx",
                (unsigned long long)(ms >> 16) & 0xffffffffULL, (unsigned long long)ms & 0xffffULL,
                (n >> 12) & 0xfffULL, n & 0xfffULL,
                0x5a5a5a5a5a5aULL ^ (n * 2654435761ULL & 0xffffffffffffULL));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: sqlite_baseline SCHEMA.sql TEMPLATE.db OUT.db N\n");
    return 64;
  }
  std::ifstream in(argv[1]);
  std::stringstream schema;
  schema << in.rdbuf();
  long n = std::atol(argv[4]);

  // The template row, every column as a value.
  sqlite3* tdb = nullptr;
  if (sqlite3_open_v2(argv[2], &tdb, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    die(tdb, "open template");
  }
  sqlite3_stmt* t = prepare(tdb, "SELECT * FROM calls ORDER BY id DESC LIMIT 1");
  if (sqlite3_step(t) != SQLITE_ROW) {
    die(tdb, "template has no call");
  }
  int ncol = sqlite3_column_count(t);
  std::string cols, params;
  int id_col = -1;
  std::vector<sqlite3_value*> values;
  for (int i = 0; i < ncol; ++i) {
    std::string name = sqlite3_column_name(t, i);
    if (name == "id") {
      id_col = i;
    }
    cols += (i ? ", " : "") + name;
    params += (i ? ", ?" : "?") + std::to_string(i + 1);
    values.push_back(sqlite3_value_dup(sqlite3_column_value(t, i)));
  }
  std::string template_id = reinterpret_cast<const char*>(sqlite3_column_text(t, id_col));
  sqlite3_finalize(t);
  std::string blob;
  t = prepare(tdb, "SELECT data FROM call_blobs WHERE call_id = ?1 AND kind = 0");
  sqlite3_bind_text(t, 1, template_id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(t) == SQLITE_ROW) {
    blob.assign(static_cast<const char*>(sqlite3_column_blob(t, 0)),
                static_cast<std::size_t>(sqlite3_column_bytes(t, 0)));
  }
  sqlite3_finalize(t);
  sqlite3_close(tdb);

  std::remove(argv[3]);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(argv[3], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    die(db, "open");
  }
  // fnqd's writer connection settings (daemon/store/sqlite_open.cpp).
  exec(db,
       "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-8192; "
       "PRAGMA temp_store=MEMORY;");
  exec(db, "BEGIN IMMEDIATE;" + schema.str() + ";COMMIT;");

  sqlite3_stmt* ins = prepare(db, "INSERT INTO calls (" + cols + ") VALUES (" + params + ")");
  sqlite3_stmt* ins_blob =
      prepare(db, "INSERT INTO call_blobs (call_id, kind, data) VALUES (?1, 0, ?2)");
  auto start = std::chrono::steady_clock::now();
  long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  exec(db, "BEGIN IMMEDIATE");
  for (long i = 0; i < n; ++i) {
    std::string id = make_id(ms, static_cast<unsigned long long>(i));
    for (int c = 0; c < ncol; ++c) {
      if (c == id_col) {
        sqlite3_bind_text(ins, c + 1, id.c_str(), static_cast<int>(id.size()), SQLITE_STATIC);
      } else {
        sqlite3_bind_value(ins, c + 1, values[c]);
      }
    }
    if (sqlite3_step(ins) != SQLITE_DONE) {
      die(db, "insert");
    }
    sqlite3_reset(ins);
    if (!blob.empty()) {
      sqlite3_bind_text(ins_blob, 1, id.c_str(), static_cast<int>(id.size()), SQLITE_STATIC);
      sqlite3_bind_blob(ins_blob, 2, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
      if (sqlite3_step(ins_blob) != SQLITE_DONE) {
        die(db, "insert blob");
      }
      sqlite3_reset(ins_blob);
    }
  }
  exec(db, "COMMIT");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("rows=%ld seconds=%.3f rows_per_s=%.0f\n", n, secs, n / secs);
  sqlite3_finalize(ins);
  sqlite3_finalize(ins_blob);
  for (auto* v : values) {
    sqlite3_value_free(v);
  }
  sqlite3_close(db);
  return 0;
}
