#pragma once
// Opening the SQLite database: refusing what is not ours, configuring the
// connections, and applying the schema migrations.
#include <cstdint>

#include "daemon/store/sqlite.h"
#include "daemon/store/store.h"

namespace fnq {

// PRAGMA application_id of an fnq database: "fnq\0".
inline constexpr std::int64_t k_application_id = 0x666E7100;

// Refuses, before anything is created or locked, a non-empty file that does
// not start with the SQLite header.
Status check_sqlite_header(const std::string& path);

// Opens the one writing connection: checks that the database is fnq's and
// not newer than this binary, sets WAL and the durability options, and
// applies the missing migrations. Never resets or repairs a database.
Result<Database> open_writer(const SqliteOptions& opts);

// Opens a read-only connection to the already migrated database.
Result<Database> open_reader(const SqliteOptions& opts);

}  // namespace fnq
