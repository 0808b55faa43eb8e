#pragma once
// Applying schema/postgresql/ at start.
#include "daemon/store/pg/pg.h"
#include "daemon/store/schema.h"

namespace fnq {

// schema/postgresql/NNN_name.sql in order; migration i brings the version to i+1.
const std::vector<Migration>& pg_schema_migrations();

namespace pg {

// The advisory lock key (also the SQLite application_id, "fnq\0").
inline constexpr std::int64_t k_schema_lock = 0x666E7100;

// Under a session advisory lock (so hosts starting together apply each
// migration once), refuses a database of another application (tables but no
// fnq_schema) or a newer schema, then applies the missing migrations, each in
// its own transaction with its version row.
Status migrate(Connection& conn);

}  // namespace pg
}  // namespace fnq
