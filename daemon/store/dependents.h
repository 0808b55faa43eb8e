#pragma once
// Terminal transitions and what follows from them: when a call becomes
// terminal, its dependents (found through call_needs edges, never by a scan
// of waiting calls) are released or skipped, transitively, in the same
// transaction.
#include <cstdint>
#include <string>
#include <vector>

#include "common/model.h"
#include "daemon/store/sqlite.h"

namespace fnq {

// Collects what one store operation settled.
struct Settlement {
  std::int64_t now = 0;                   // finished_at of skipped dependents
  std::vector<std::string> terminal_ids;  // every call that became terminal
  bool released = false;                  // some dependent has no pending needs left
};

// Call `id` has just become terminal in `state`: for each dependent still
// waiting, succeeded -> one need fewer (its output copied in if it is the
// input_from; queued when none are left and run_at has come), otherwise ->
// skipped with "dependency <id> <state>", and the same for its dependents.
// The edges of `id` are consumed.
Status settle_dependents(Database& db, const std::string& id, CallState state, Settlement& s);

// Ends a call that has not finished (waiting, queued, or running without an
// attempt outcome) as `state` with `error` at s.now; settles its dependents.
// Callers check the current state first (in the same writer task).
Status end_call(Database& db, const std::string& id, CallState state, const std::string& error,
                Settlement& s);

}  // namespace fnq
