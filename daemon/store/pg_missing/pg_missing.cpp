// Built instead of daemon/store/pg/ when libpq was not found.
#include "daemon/store/pg_store.h"

namespace fnq {

Result<std::unique_ptr<ClusterStore>> open_postgresql_store(const PgOptions&) {
  return make_error(ErrorKind::invalid_input,
                    "PostgreSQL support is not compiled in (rebuild fnqd with libpq-dev "
                    "installed, or give --db a SQLite file path)");
}

bool postgresql_compiled_in() { return false; }

}  // namespace fnq
