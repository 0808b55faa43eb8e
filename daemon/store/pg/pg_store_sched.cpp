// The scheduler's side of the store: promoting, claiming, finishing,
// requeueing and recovering calls, each fenced by host and attempt.
#include <algorithm>
#include <map>
#include <tuple>

#include "daemon/store/attempt_history.h"
#include "daemon/store/pg/pg_rows.h"
#include "daemon/store/pg/pg_store.h"
#include "daemon/store/store_checks.h"

namespace fnq {
namespace {

using pg::Connection;
using pg::Params;
using pg::PgResult;

constexpr const char* k_stopped_while_running = "daemon stopped while running";
constexpr const char* k_no_retries_left = "daemon stopped while running; no retries left";
// Advisory lock namespace (first key) of the per-function claim lock.
constexpr int k_function_lock = 0x666E71;

Status check_outcomes(const std::vector<AttemptOutcome>& outcomes) {
  for (const AttemptOutcome& o : outcomes) {
    FNQ_TRY(check_outcome(o));
  }
  return {};
}

// $1 id, $2 attempt, $3 host, $4 exit_code, $5 signal, $6 error, $7
// output_size, $8 output_truncated, then $9 (run_at or state), $10 finished_at.
Params fenced_params(const AttemptOutcome& o, const std::string& host) {
  Params p;
  p.add(o.id).add(o.attempt).add(host).add(o.exit_code).add(o.signal).add(o.error);
  p.add(o.output_size).add(o.output_truncated);
  return p;
}

Result<FinishResult> finish_one(Connection& conn, const AttemptOutcome& o,
                                const std::string& host) {
  FinishResult result;
  Params p = fenced_params(o, host);
  if (o.retry_at) {
    p.add(*o.retry_at).add(o.finished_at).add(to_string(o.state));
    FNQ_TRY_ASSIGN(PgResult res,
                   conn.exec("UPDATE calls SET state = 'waiting', run_at = $9, exit_code = $4, "
                             "signal = $5, error = $6, output_size = $7, output_truncated = $8, "
                             "pending_needs = 0, host = NULL, " FNQ_PG_APPEND_ATTEMPT(
                                 "$10", "$11", "$4", "$5", "$6") " WHERE id = $1 AND state = "
                                                                 "'running' AND attempt = $2 "
                                                                 "AND host = $3 RETURNING id",
                             p));
    result.applied = res.rows() > 0;
  } else {
    p.add(to_string(o.state)).add(o.finished_at);
    FNQ_TRY_ASSIGN(
        PgResult res,
        conn.exec("UPDATE calls SET state = $9, exit_code = $4, signal = $5, "
                  "error = $6, output_size = $7, output_truncated = $8, "
                  "finished_at = $10, " FNQ_CALLBACK_DUE_AT(
                      "$10::bigint") " WHERE id = $1 AND state = 'running' AND attempt = $2 "
                                     "AND host = $3 RETURNING id",
                  p));
    result.applied = res.rows() > 0;
  }
  if (!result.applied) {
    return result;
  }
  FNQ_TRY(pg::put_blob(conn, o.id, BlobKind::output, o.output));
  FNQ_TRY(pg::put_blob(conn, o.id, BlobKind::stderr_tail, o.stderr_tail));
  if (!o.retry_at) {
    Settlement s;
    s.now = o.finished_at;
    s.terminal_ids.push_back(o.id);
    FNQ_TRY(pg::settle_dependents(conn, o.id, o.state, s));
    result.terminal_ids = std::move(s.terminal_ids);
    result.released = s.released;
  }
  return result;
}

Result<std::vector<FinishResult>> finish_rows(Connection& conn,
                                              const std::vector<AttemptOutcome>& outcomes,
                                              const std::string& host) {
  std::vector<FinishResult> out;
  out.reserve(outcomes.size());
  for (const AttemptOutcome& o : outcomes) {
    FNQ_TRY_ASSIGN(FinishResult r, finish_one(conn, o, host));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> terminal_ids_of(const std::vector<FinishResult>& results) {
  std::vector<std::string> out;
  for (const FinishResult& r : results) {
    out.insert(out.end(), r.terminal_ids.begin(), r.terminal_ids.end());
  }
  return out;
}

bool claim_order(const ClaimedCall& a, const ClaimedCall& b) {
  const Call& x = a.call;
  const Call& y = b.call;
  return std::make_tuple(!x.sync, -static_cast<std::int64_t>(x.priority), x.run_at, x.id) <
         std::make_tuple(!y.sync, -static_cast<std::int64_t>(y.priority), y.run_at, y.id);
}

// The functions with a concurrency limit: name -> limit.
Result<std::map<std::string, int>> limited_functions(Connection& conn) {
  FNQ_TRY_ASSIGN(PgResult res,
                 conn.exec("SELECT name, concurrency FROM functions WHERE concurrency > 0"));
  std::map<std::string, int> out;
  for (int r = 0; r < res.rows(); ++r) {
    out.emplace(res.text(r, 0), static_cast<int>(res.int64(r, 1)));
  }
  return out;
}

// The common case, no limited function: one statement picks the next calls
// (skipping rows other hosts are claiming) and marks them running here.
Result<std::vector<Call>> claim_plain(Connection& conn, std::int64_t now, int limit,
                                      const std::vector<std::string>& skip,
                                      const std::string& host) {
  FNQ_TRY_ASSIGN(
      PgResult res,
      conn.exec("WITH picked AS (SELECT id AS pick FROM calls WHERE state = 'queued' "
                "AND function <> ALL($2::text[]) ORDER BY sync DESC, priority DESC, run_at, id "
                "LIMIT $3 FOR UPDATE SKIP LOCKED) "
                "UPDATE calls SET state = 'running', attempt = attempt + 1, started_at = $1, "
                "host = $4, cancel_requested = 0 FROM picked WHERE calls.id = picked.pick "
                "RETURNING " FNQ_CALL_COLUMNS,
                Params().add(now).add(pg::text_array(skip)).add(limit).add(host)));
  return pg::read_calls(res);
}

struct Pick {
  std::string id;
  std::string function;
};

// The next queued calls of functions not in skip, other than those chosen.
Result<std::vector<Pick>> pick(Connection& conn, int limit, const std::vector<std::string>& skip,
                               const std::vector<std::string>& chosen) {
  FNQ_TRY_ASSIGN(
      PgResult res,
      conn.exec("SELECT id, function FROM calls WHERE state = 'queued' "
                "AND function <> ALL($1::text[]) AND id <> ALL($3::text[]) "
                "ORDER BY sync DESC, priority DESC, run_at, id "
                "LIMIT $2 FOR UPDATE SKIP LOCKED",
                Params().add(pg::text_array(skip)).add(limit).add(pg::text_array(chosen))));
  std::vector<Pick> out;
  for (int r = 0; r < res.rows(); ++r) {
    out.push_back({res.text(r, 0), res.text(r, 1)});
  }
  return out;
}

// Room left for a limited function across all hosts. The advisory lock,
// held to the end of the transaction, makes claimers of one function take
// turns, so each counts the others' committed claims.
Result<int> room_of(Connection& conn, const std::string& function, int limit) {
  FNQ_TRY(conn.command("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                       Params().add(k_function_lock).add(function)));
  FNQ_TRY_ASSIGN(PgResult res,
                 conn.exec("SELECT count(*) FROM calls WHERE state = 'running' AND function = $1",
                           Params().add(function)));
  return std::max(0, limit - static_cast<int>(res.int64(0, 0)));
}

Result<std::vector<Call>> mark_running(Connection& conn, const std::vector<std::string>& ids,
                                       std::int64_t now, const std::string& host) {
  FNQ_TRY_ASSIGN(
      PgResult res,
      conn.exec("UPDATE calls SET state = 'running', attempt = attempt + 1, "
                "started_at = $1, host = $3, cancel_requested = 0 WHERE id = ANY($2::text[]) "
                "RETURNING " FNQ_CALL_COLUMNS,
                Params().add(now).add(pg::text_array(ids)).add(host)));
  return pg::read_calls(res);
}

// With limited functions: pick in order, keep only as many calls of each
// limited function as it has room for, and pick again past the functions
// found full, until the limit is reached or nothing is left.
Result<std::vector<Call>> claim_limited(Connection& conn, std::int64_t now, int limit,
                                        std::vector<std::string> skip,
                                        const std::map<std::string, int>& limits,
                                        const std::string& host) {
  std::map<std::string, int> room;  // limited functions seen, and their room
  std::vector<std::string> chosen;
  while (static_cast<int>(chosen.size()) < limit) {
    FNQ_TRY_ASSIGN(std::vector<Pick> picks,
                   pick(conn, limit - static_cast<int>(chosen.size()), skip, chosen));
    bool passed_over = false;
    for (const Pick& p : picks) {
      auto limited = limits.find(p.function);
      if (limited == limits.end()) {
        chosen.push_back(p.id);
        continue;
      }
      if (room.count(p.function) == 0) {
        FNQ_TRY_ASSIGN(room[p.function], room_of(conn, p.function, limited->second));
      }
      if (room[p.function] > 0) {
        --room[p.function];
        chosen.push_back(p.id);
      } else if (std::find(skip.begin(), skip.end(), p.function) == skip.end()) {
        skip.push_back(p.function);
        passed_over = true;
      }
    }
    if (!passed_over) {
      break;
    }
  }
  if (chosen.empty()) {
    return std::vector<Call>();
  }
  return mark_running(conn, chosen, now, host);
}

Result<std::vector<ClaimedCall>> claim_rows(Connection& conn, std::int64_t now, int limit,
                                            const std::vector<std::string>& saturated,
                                            const std::string& host) {
  FNQ_TRY_ASSIGN(auto limits, limited_functions(conn));
  std::vector<Call> calls;
  if (limits.empty()) {
    FNQ_TRY_ASSIGN(calls, claim_plain(conn, now, limit, saturated, host));
  } else {
    FNQ_TRY_ASSIGN(calls, claim_limited(conn, now, limit, saturated, limits, host));
  }
  std::vector<ClaimedCall> out;
  out.reserve(calls.size());
  for (Call& c : calls) {
    out.push_back(ClaimedCall{std::move(c), std::string()});
  }
  std::sort(out.begin(), out.end(), claim_order);
  for (ClaimedCall& claimed : out) {
    FNQ_TRY_ASSIGN(claimed.input, pg::read_blob(conn, claimed.call.id, BlobKind::input));
  }
  return out;
}

Result<std::optional<std::int64_t>> next_due(Connection& conn) {
  FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT min(run_at) FROM calls "
                                         "WHERE state = 'waiting' AND pending_needs = 0"));
  if (res.rows() == 0 || res.is_null(0, 0)) {
    return std::optional<std::int64_t>();
  }
  return std::optional<std::int64_t>(res.int64(0, 0));
}

}  // namespace

Result<std::optional<std::int64_t>> PgStore::promote_due(std::int64_t now) {
  using Next = std::optional<std::int64_t>;
  auto next = read<Next>([&](Connection& conn) { return next_due(conn); });
  if (!next || !*next || **next > now) {
    return next;
  }
  return write<Next>([&](Connection& conn) -> Result<Next> {
    FNQ_TRY(
        conn.command("UPDATE calls SET state = 'queued' WHERE state = 'waiting' "
                     "AND pending_needs = 0 AND run_at <= $1",
                     Params().add(now)));
    return next_due(conn);
  });
}

Result<std::vector<ClaimedCall>> PgStore::claim(std::int64_t now, int limit,
                                                const std::vector<std::string>& saturated) {
  if (limit <= 0) {
    return std::vector<ClaimedCall>();
  }
  ClaimScope scope(*this);
  auto claimed = write<std::vector<ClaimedCall>>(
      [&](Connection& conn) { return claim_rows(conn, now, limit, saturated, m_host); });
  if (claimed.ok()) {
    track_claimed(*claimed);
  }
  return claimed;
}

Result<std::vector<FinishResult>> PgStore::finish(const std::vector<AttemptOutcome>& outcomes) {
  FNQ_TRY(check_outcomes(outcomes));
  auto finished =
      write<std::vector<FinishResult>>([&](Connection& conn) -> Result<std::vector<FinishResult>> {
        FNQ_TRY_ASSIGN(auto results, finish_rows(conn, outcomes, m_host));
        FNQ_TRY(notify_finished(conn, results));
        return results;
      });
  if (finished.ok()) {
    for (const AttemptOutcome& o : outcomes) {
      untrack(o.id);
    }
  }
  return finished;
}

Result<Store::FinishAndClaim> PgStore::finish_and_claim(const std::vector<AttemptOutcome>& outcomes,
                                                        std::int64_t now, int limit,
                                                        const std::vector<std::string>& saturated) {
  FNQ_TRY(check_outcomes(outcomes));
  ClaimScope scope(*this);
  auto result = write<FinishAndClaim>([&](Connection& conn) -> Result<FinishAndClaim> {
    FinishAndClaim out;
    FNQ_TRY_ASSIGN(out.finished, finish_rows(conn, outcomes, m_host));
    FNQ_TRY(notify_finished(conn, out.finished));
    if (limit > 0) {
      FNQ_TRY_ASSIGN(out.claimed, claim_rows(conn, now, limit, saturated, m_host));
    }
    return out;
  });
  if (result.ok()) {
    for (const AttemptOutcome& o : outcomes) {
      untrack(o.id);
    }
    track_claimed(result->claimed);
  }
  return result;
}

Status PgStore::notify_finished(Connection& conn, const std::vector<FinishResult>& results) {
  std::vector<std::string> ids = terminal_ids_of(results);
  bool retried = std::any_of(results.begin(), results.end(), [](const FinishResult& r) {
    return r.applied && r.terminal_ids.empty();
  });
  if (!ids.empty()) {
    return notify(conn, 't', ids);
  }
  return retried ? notify_work(conn) : Status();
}

Status PgStore::requeue(const std::string& id, int attempt) {
  auto done = write<bool>([&](Connection& conn) -> Result<bool> {
    FNQ_TRY_ASSIGN(PgResult res,
                   conn.exec("UPDATE calls SET state = 'queued', attempt = attempt - 1, "
                             "started_at = NULL, host = NULL WHERE id = $1 AND state = 'running' "
                             "AND attempt = $2 AND host = $3 RETURNING id",
                             Params().add(id).add(attempt).add(m_host)));
    if (res.rows() > 0) {
      FNQ_TRY(notify_work(conn));
      return true;
    }
    FNQ_TRY(pg::load_call(conn, id));  // not_found for an unknown id
    return make_error(ErrorKind::conflict,
                      "call " + id + " is not running attempt " + std::to_string(attempt));
  });
  if (!done) {
    return done.error();
  }
  untrack(id);
  return {};
}

Result<RecoveryReport> PgStore::recover_interrupted(std::int64_t now) {
  // This host's calls only: another host's running calls are its own (or,
  // once its heartbeat is stale, rescued by the cluster's maintenance).
  return write<RecoveryReport>([&](Connection& conn) -> Result<RecoveryReport> {
    FNQ_TRY_ASSIGN(PgResult running,
                   conn.exec("SELECT id, attempt, max_retries FROM calls WHERE state = 'running' "
                             "AND host = $1 ORDER BY id FOR UPDATE",
                             Params().add(m_host)));
    RecoveryReport report;
    Settlement s;
    s.now = now;
    for (int r = 0; r < running.rows(); ++r) {
      std::string id = running.text(r, 0);
      if (running.int64(r, 1) <= running.int64(r, 2)) {
        FNQ_TRY(
            conn.command("UPDATE calls SET state = 'queued', " FNQ_PG_APPEND_ATTEMPT(
                             "$2", "'failed'", "NULL", "NULL", "$3") ", started_at = NULL, "
                                                                     "host = NULL WHERE id = $1",
                         Params().add(id).add(now).add(k_stopped_while_running)));
        report.retried.push_back(id);
      } else {
        FNQ_TRY(pg::end_call(conn, id, CallState::failed, k_no_retries_left, s));
      }
    }
    report.failed = std::move(s.terminal_ids);
    if (!report.failed.empty()) {
      FNQ_TRY(notify(conn, 't', report.failed));
    } else if (!report.retried.empty()) {
      FNQ_TRY(notify(conn, 'q'));
    }
    return report;
  });
}

}  // namespace fnq
