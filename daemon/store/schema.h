#pragma once
#include <vector>

namespace fnq {

struct Migration {
  const char* name;  // "001_init.sql"
  const char* sql;
};

// schema/NNN_name.sql in order; migration i brings user_version to i+1.
const std::vector<Migration>& schema_migrations();

}  // namespace fnq
