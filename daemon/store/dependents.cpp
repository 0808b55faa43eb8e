#include "daemon/store/dependents.h"

#include <utility>

#include "daemon/store/call_rows.h"

namespace fnq {
namespace {

struct Ended {
  std::string id;
  CallState state;
};

// Takes the dependents of `id` and deletes the edges: each edge is acted on
// exactly once.
Result<std::vector<std::string>> take_dependents(Database& db, const std::string& id) {
  std::vector<std::string> out;
  {
    Query q = db.query(sql::k_dependents);
    q.bind(1, id);
    FNQ_TRY_ASSIGN(out, q.collect([](const Query& row) { return row.text(0); }));
  }
  if (!out.empty()) {
    Query q = db.query("DELETE FROM call_needs WHERE needs_id = ?1");
    q.bind(1, id);
    FNQ_TRY(q.run());
  }
  return out;
}

// One need of `dependent` succeeded. Only a waiting call can have pending
// needs; anything else (cancelled, skipped by another need) is left alone.
Status release_one(Database& db, const std::string& need, const std::string& dependent,
                   Settlement& s) {
  Query q = db.query(
      "UPDATE calls SET pending_needs = pending_needs - 1, "
      "state = CASE WHEN pending_needs = 1 AND run_at <= ?2 THEN 'queued' ELSE 'waiting' END "
      "WHERE id = ?1 AND state = 'waiting' AND pending_needs > 0 "
      "RETURNING pending_needs, input_from");
  q.bind(1, dependent).bind(2, s.now);
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return {};
  }
  bool none_left = q.int64(0) == 0;
  bool copy_input = q.opt_text(1) == need;
  FNQ_TRY(q.run());
  if (none_left) {
    s.released = true;
  }
  if (copy_input) {
    FNQ_TRY(copy_output_to_input(db, need, dependent));
  }
  return {};
}

// `dependent` can never run: one of its needs ended unsuccessfully.
Result<bool> skip_one(Database& db, const Ended& need, const std::string& dependent,
                      Settlement& s) {
  Query q = db.query(
      "UPDATE calls SET state = 'skipped', error = ?2, finished_at = ?3, pending_needs = "
      "0, " FNQ_CALLBACK_DUE_AT("?3") " WHERE id = ?1 AND state = 'waiting' RETURNING id");
  std::string error = "dependency " + need.id + " " + to_string(need.state);
  q.bind(1, dependent).bind(2, error).bind(3, s.now);
  FNQ_TRY_ASSIGN(bool row, q.step());
  FNQ_TRY(q.run());
  return row;
}

}  // namespace

Status settle_dependents(Database& db, const std::string& id, CallState state, Settlement& s) {
  // A worklist instead of recursion: chains of dependents can be long.
  std::vector<Ended> work{{id, state}};
  while (!work.empty()) {
    Ended ended = std::move(work.back());
    work.pop_back();
    FNQ_TRY_ASSIGN(std::vector<std::string> dependents, take_dependents(db, ended.id));
    for (const std::string& dependent : dependents) {
      if (ended.state == CallState::succeeded) {
        FNQ_TRY(release_one(db, ended.id, dependent, s));
        continue;
      }
      FNQ_TRY_ASSIGN(bool skipped, skip_one(db, ended, dependent, s));
      if (skipped) {
        s.terminal_ids.push_back(dependent);
        work.push_back({dependent, CallState::skipped});
      }
    }
  }
  return {};
}

Status end_call(Database& db, const std::string& id, CallState state, const std::string& error,
                Settlement& s) {
  Query q = db.query(
      "UPDATE calls SET state = ?2, error = ?3, finished_at = ?4, pending_needs = "
      "0, " FNQ_CALLBACK_DUE_AT("?4") " WHERE id = ?1 AND state NOT IN " FNQ_TERMINAL_STATES
                                      " RETURNING id");
  q.bind(1, id).bind(2, to_string(state)).bind(3, error).bind(4, s.now);
  FNQ_TRY_ASSIGN(bool row, q.step());
  FNQ_TRY(q.run());
  if (!row) {
    return {};
  }
  s.terminal_ids.push_back(id);
  return settle_dependents(db, id, state, s);
}

}  // namespace fnq
