#pragma once
// What every Store implementation checks and says alike, whatever its
// database: one home, so the SQLite and PostgreSQL stores cannot drift.
#include <string>

#include "common/model.h"
#include "common/result.h"
#include "daemon/store/store.h"

namespace fnq {

// not_found: "unknown function 'NAME'".
Error unknown_function(const std::string& name);

// not_found: "unknown pipeline 'ID'".
Error unknown_pipeline(const std::string& id);

// conflict: a stage's key is taken by a call outside the pipeline.
Error stage_key_taken(const Call& existing, const std::string& stage);

// A definition as put_function stored it. Read leniently (values stored
// before ranges were checked are clamped); failing to read it at all means
// the database was changed behind fnqd's back (io).
Result<Function> parse_stored_definition(const std::string& name, const std::string& text);

// An outcome the scheduler may record: a final state, and a retry only
// after failed or timed_out. Anything else is a bug (internal).
Status check_outcome(const AttemptOutcome& o);

}  // namespace fnq
