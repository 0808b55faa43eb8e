// The scheduler's side of the store: promoting, claiming, finishing,
// requeueing and recovering calls.
#include <algorithm>
#include <tuple>

#include "daemon/store/attempt_history.h"
#include "daemon/store/call_rows.h"
#include "daemon/store/dependents.h"
#include "daemon/store/sqlite_store.h"
#include "daemon/store/store_checks.h"

namespace fnq {
namespace {

constexpr const char* k_stopped_while_running = "daemon stopped while running";
constexpr const char* k_no_retries_left = "daemon stopped while running; no retries left";

// Binds the fields common to both finish statements; true: a row matched.
Result<bool> run_fenced(Query& q, const AttemptOutcome& o) {
  q.bind(1, o.id).bind(2, o.attempt).bind(4, o.exit_code).bind(5, o.signal).bind(6, o.error);
  q.bind(7, o.output_size).bind(8, o.output_truncated);
  FNQ_TRY_ASSIGN(bool row, q.step());
  FNQ_TRY(q.run());
  return row;
}

Result<FinishResult> finish_one(Database& db, const AttemptOutcome& o) {
  FinishResult result;
  if (o.retry_at) {
    // Back to waiting until the backoff ends; this attempt's error stays
    // visible meanwhile.
    Query q = db.query(
        "UPDATE calls SET state = 'waiting', run_at = ?3, exit_code = ?4, signal = ?5, "
        "error = ?6, output_size = ?7, output_truncated = ?8, pending_needs = 0, "
        "" FNQ_SQLITE_APPEND_ATTEMPT("?9", "?10", "?4", "?5", "?6") " "
        "WHERE id = ?1 AND state = 'running' AND attempt = ?2 RETURNING id");
    q.bind(3, *o.retry_at).bind(9, o.finished_at).bind(10, to_string(o.state));
    FNQ_TRY_ASSIGN(result.applied, run_fenced(q, o));
  } else {
    Query q = db.query(
        "UPDATE calls SET state = ?3, exit_code = ?4, signal = ?5, error = ?6, output_size = ?7, "
        "output_truncated = ?8, finished_at = ?9, " FNQ_CALLBACK_DUE_AT(
            "?9") " WHERE id = ?1 AND state = 'running' AND attempt = ?2 RETURNING id");
    q.bind(3, to_string(o.state)).bind(9, o.finished_at);
    FNQ_TRY_ASSIGN(result.applied, run_fenced(q, o));
  }
  if (!result.applied) {
    return result;
  }
  FNQ_TRY(put_blob(db, o.id, BlobKind::output, o.output));
  FNQ_TRY(put_blob(db, o.id, BlobKind::stderr_tail, o.stderr_tail));
  if (!o.retry_at) {
    Settlement s;
    s.now = o.finished_at;
    s.terminal_ids.push_back(o.id);
    FNQ_TRY(settle_dependents(db, o.id, o.state, s));
    result.terminal_ids = std::move(s.terminal_ids);
    result.released = s.released;
  }
  return result;
}

bool claim_order(const Call& x, const Call& y) {
  return std::make_tuple(!x.sync, -static_cast<std::int64_t>(x.priority), x.run_at, x.id) <
         std::make_tuple(!y.sync, -static_cast<std::int64_t>(y.priority), y.run_at, y.id);
}

}  // namespace

namespace {

// Claims up to limit queued calls (k_claim) inside the current transaction.
Result<std::vector<ClaimedCall>> claim_rows(Database& db, std::int64_t now, const std::string& skip,
                                            int limit) {
  std::vector<Call> calls;
  {
    Query q = db.query(sql::k_claim);
    q.bind(1, now).bind(2, skip).bind(3, limit);
    FNQ_TRY_ASSIGN(calls, q.collect(read_call));
  }
  // RETURNING gives rows in no particular order.
  std::sort(calls.begin(), calls.end(), claim_order);
  std::vector<ClaimedCall> out;
  out.reserve(calls.size());
  for (Call& call : calls) {
    FNQ_TRY_ASSIGN(std::string input, read_blob(db, call.id, BlobKind::input));
    out.push_back(ClaimedCall{std::move(call), std::move(input)});
  }
  return out;
}

Result<std::vector<FinishResult>> finish_rows(Database& db,
                                              const std::vector<AttemptOutcome>& outcomes) {
  std::vector<FinishResult> out;
  out.reserve(outcomes.size());
  for (const AttemptOutcome& o : outcomes) {
    FNQ_TRY_ASSIGN(FinishResult r, finish_one(db, o));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<std::optional<std::int64_t>> SqliteStore::promote_due(std::int64_t now) {
  using Next = std::optional<std::int64_t>;
  // Most of the time nothing is due: look on a reader first, so that the
  // scheduler does not queue a write and wait for a group commit for
  // nothing. A call that becomes due by a commit after this read wakes the
  // scheduler again.
  auto next = read([&](Database& db) -> Result<Next> {
    Query q = db.query(sql::k_next_due);
    FNQ_TRY_ASSIGN(bool row, q.step());
    return row ? q.opt_int64(0) : Next();
  });
  if (!next || !*next || **next > now) {
    return next;
  }
  // Deferred: a promotion lost to a power cut is made again from run_at.
  return write<Next>(
      [&](Database& db) -> Result<Next> {
        {
          Query q = db.query(sql::k_promote_due);
          q.bind(1, now);
          FNQ_TRY(q.run());
        }
        Query q = db.query(sql::k_next_due);
        FNQ_TRY_ASSIGN(bool row, q.step());
        return row ? q.opt_int64(0) : Next();
      },
      Writer::Commit::deferred);
}

Result<std::vector<ClaimedCall>> SqliteStore::claim(std::int64_t now, int limit,
                                                    const std::vector<std::string>& saturated) {
  if (limit <= 0) {
    return std::vector<ClaimedCall>();
  }
  std::string skip = json(saturated).dump();
  // As in promote_due: when nothing is claimable, answer from a reader.
  auto claimable = read([&](Database& db) -> Result<bool> {
    Query q = db.query(sql::k_claimable);
    q.bind(1, skip);
    return q.step();
  });
  if (!claimable) {
    return claimable.error();
  }
  if (!*claimable) {
    return std::vector<ClaimedCall>();
  }
  // Deferred: a claim lost to a power cut leaves the call queued, and the
  // cut killed its process; it runs again, as a recovered call would.
  return write<std::vector<ClaimedCall>>(
      [&](Database& db) { return claim_rows(db, now, skip, limit); }, Writer::Commit::deferred);
}

Result<std::vector<FinishResult>> SqliteStore::finish(const std::vector<AttemptOutcome>& outcomes) {
  for (const AttemptOutcome& o : outcomes) {
    FNQ_TRY(check_outcome(o));
  }
  return write<std::vector<FinishResult>>([&](Database& db) { return finish_rows(db, outcomes); });
}

Result<Store::FinishAndClaim> SqliteStore::finish_and_claim(
    const std::vector<AttemptOutcome>& outcomes, std::int64_t now, int limit,
    const std::vector<std::string>& saturated) {
  for (const AttemptOutcome& o : outcomes) {
    FNQ_TRY(check_outcome(o));
  }
  std::string skip = json(saturated).dump();
  // Outcomes are durable before they are reported; claims alone need not be.
  auto commit = outcomes.empty() ? Writer::Commit::deferred : Writer::Commit::durable;
  return write<FinishAndClaim>(
      [&](Database& db) -> Result<FinishAndClaim> {
        FinishAndClaim out;
        FNQ_TRY_ASSIGN(out.finished, finish_rows(db, outcomes));
        if (limit > 0) {
          // Dependents released by these outcomes are claimable here already.
          FNQ_TRY_ASSIGN(out.claimed, claim_rows(db, now, skip, limit));
        }
        return out;
      },
      commit);
}

Status SqliteStore::requeue(const std::string& id, int attempt) {
  return m_writer->run([&](Database& db) -> Status {
    Query q = db.query(
        "UPDATE calls SET state = 'queued', attempt = attempt - 1, started_at = NULL "
        "WHERE id = ?1 AND state = 'running' AND attempt = ?2 RETURNING id");
    q.bind(1, id).bind(2, attempt);
    FNQ_TRY_ASSIGN(bool row, q.step());
    FNQ_TRY(q.run());
    if (row) {
      return {};
    }
    FNQ_TRY(load_call(db, id));  // not_found for an unknown id
    return make_error(ErrorKind::conflict,
                      "call " + id + " is not running attempt " + std::to_string(attempt));
  });
}

Result<RecoveryReport> SqliteStore::recover_interrupted(std::int64_t now) {
  return write<RecoveryReport>([&](Database& db) -> Result<RecoveryReport> {
    struct Interrupted {
      std::string id;
      int attempt;
      int max_retries;
    };
    std::vector<Interrupted> running;
    {
      Query q = db.query(sql::k_running);
      FNQ_TRY_ASSIGN(running, q.collect([](const Query& row) {
        return Interrupted{row.text(0), row.int32(1), row.int32(2)};
      }));
    }
    RecoveryReport report;
    Settlement s;
    s.now = now;
    for (const Interrupted& call : running) {
      // The interrupted attempt counts: retry only while attempts remain.
      if (call.attempt <= call.max_retries) {
        Query q = db.query("UPDATE calls SET state = 'queued', " FNQ_SQLITE_APPEND_ATTEMPT(
            "?2", "'failed'", "NULL", "NULL", "?3") ", started_at = NULL WHERE id = ?1");
        q.bind(1, call.id).bind(2, now).bind(3, k_stopped_while_running);
        FNQ_TRY(q.run());
        report.retried.push_back(call.id);
      } else {
        FNQ_TRY(end_call(db, call.id, CallState::failed, k_no_retries_left, s));
      }
    }
    report.failed = std::move(s.terminal_ids);
    return report;
  });
}

}  // namespace fnq
