#pragma once
// The PostgreSQL store: several fnqd on several hosts share one queue.
// Declared in every build; without libpq, open_postgresql_store says that
// PostgreSQL support is not compiled in.
#include <cstdint>
#include <memory>
#include <string>

#include "daemon/store/store.h"

namespace fnq {

struct PgOptions {
  std::string conninfo;  // a libpq URI (postgresql://...) or key=value string
  std::string host;      // this fnqd's stable name: claims record it, outcomes are fenced by it
  int connections = 16;  // connections in the pool
};

// A --db value names PostgreSQL (rather than a SQLite file) when it is a
// postgres:// or postgresql:// URI, or a key=value connection string (it
// starts with a keyword and '=', as in "host=db1 dbname=fnq").
inline bool is_postgresql_db(const std::string& db) {
  if (db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0) {
    return true;
  }
  std::size_t i = 0;
  while (i < db.size() && ((db[i] >= 'a' && db[i] <= 'z') || db[i] == '_')) {
    ++i;
  }
  return i > 0 && i < db.size() && db[i] == '=';
}

// Connects, applies schema/postgresql/ migrations under an advisory lock
// (refusing a database of another application, or a newer schema), and
// registers the host.
Result<std::unique_ptr<Store>> open_postgresql_store(const PgOptions& opts);

// false in a build without libpq.
bool postgresql_compiled_in();

}  // namespace fnq
