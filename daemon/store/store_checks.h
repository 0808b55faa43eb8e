#pragma once
// What every Store implementation checks and says alike, whatever its
// database: one home, so the SQLite and PostgreSQL stores cannot drift.
#include <functional>
#include <string>
#include <vector>

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

// A call may be retried once it ended, unless it succeeded (conflict).
Status check_retryable(const Call& c);

// Where a retried call stands with its needs now: like at submit, except
// that a pruned need (not_found from `state_of`) counts as done, since it was
// terminal when pruned, and an unsuccessful one refuses the retry (conflict)
// rather than skipping the call again.
struct RetryNeeds {
  std::vector<std::string> pending_ids;  // needs not terminal yet
  bool input_ready = false;              // input_from succeeded: copy its output
};
using CallStateOf = std::function<Result<CallState>(const std::string& id)>;
Result<RetryNeeds> retry_needs(const Call& c, const CallStateOf& state_of);

}  // namespace fnq
