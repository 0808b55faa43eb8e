// Submitting calls and reading them back.
#include <algorithm>

#include "daemon/store/call_rows.h"
#include "daemon/store/sqlite_pipelines.h"
#include "daemon/store/sqlite_store.h"
#include "daemon/store/store_checks.h"

namespace fnq {
namespace {

constexpr int k_default_page = 50;
constexpr int k_max_page = 10000;
// Sorts after every character of an id: the exclusive upper bound of an
// id range ("before" absent, or a prefix's range).
constexpr const char* k_after_ids = "\x7f";

// What the needs of a new call say about its initial state.
struct NeedsCheck {
  std::vector<std::string> needs;         // as asked, deduplicated, input_from included
  std::vector<std::string> pending_ids;   // not yet terminal: edges to insert
  std::optional<std::string> skip_error;  // "dependency <id> <state>"
  bool input_ready = false;               // input_from has already succeeded
};

Result<NeedsCheck> check_needs(Database& db, const Call& c) {
  NeedsCheck check;
  check.needs = c.needs;
  if (c.input_from) {
    check.needs.push_back(*c.input_from);
  }
  std::vector<std::string> unique;
  for (const std::string& id : check.needs) {
    if (std::find(unique.begin(), unique.end(), id) == unique.end()) {
      unique.push_back(id);
    }
  }
  check.needs = std::move(unique);
  for (const std::string& id : check.needs) {
    Query q = db.query("SELECT state FROM calls WHERE id = ?1");
    q.bind(1, id);
    FNQ_TRY_ASSIGN(bool row, q.step());
    if (!row) {
      bool named_in_needs = std::find(c.needs.begin(), c.needs.end(), id) != c.needs.end();
      return make_error(ErrorKind::not_found, "unknown call '" + id + "' in " +
                                                  (named_in_needs ? "needs" : "input_from"));
    }
    auto state = parse_call_state(q.text(0)).value_or(CallState::failed);
    if (!is_terminal(state)) {
      check.pending_ids.push_back(id);
    } else if (state != CallState::succeeded) {
      if (!check.skip_error) {
        check.skip_error = "dependency " + id + " " + to_string(state);
      }
    } else if (c.input_from == id) {
      check.input_ready = true;
    }
  }
  return check;
}

Status require_function(Database& db, const std::string& name) {
  Query q = db.query("SELECT 1 FROM functions WHERE name = ?1");
  q.bind(1, name);
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return make_error(ErrorKind::not_found, "unknown function '" + name + "'");
  }
  return {};
}

// The row insert_call wrote, as read_call gives it back, without reading
// it (reading each new row back took a sixth of a batch submit). Keep in
// step with insert_call; store_submit_test compares the two.
Call stored_call(const NewCall& nc, const NeedsCheck& check, CallState state,
                 const std::optional<std::string>& url) {
  Call c = nc.call;
  c.state = state;
  c.exit_code.reset();
  c.signal.reset();
  c.error = check.skip_error;
  c.needs = check.needs;
  c.started_at.reset();
  c.finished_at.reset();
  if (state == CallState::skipped) {
    c.finished_at = c.created_at;
  }
  c.input_size = nc.input.size();
  c.output_size = 0;
  c.output_truncated = false;
  c.callback.reset();
  if (url) {
    c.callback = CallbackInfo{*url, "pending", 0, std::nullopt};
  }
  return c;
}

// What the calls of one submit (a batch is usually of one function, from
// one request) have in common, worked out once.
struct BatchMemo {
  std::optional<std::string> checked_function;  // known to exist
  std::optional<RequestInfo> request;           // the last request seen...
  std::string request_json;                     // ...and its JSON
  // What the dashboard's tables gain from the calls inserted: added once per
  // batch (add_dashboard_rows) rather than by triggers, which cost a third
  // of a large batch's time even when they do nothing.
  std::map<std::pair<std::string, CallState>, std::int64_t> inserted;  // function, state
  std::map<std::int64_t, std::int64_t> skipped_per_minute;             // finished at insert

  // Takes in what a later submit of the same transaction found and counted.
  void add(const BatchMemo& later) {
    checked_function = later.checked_function;
    for (const auto& [group, n] : later.inserted) {
      inserted[group] += n;
    }
    for (const auto& [minute, n] : later.skipped_per_minute) {
      skipped_per_minute[minute] += n;
    }
  }
};

// call_counts and call_finishes (schema/003_dashboard.sql) for the batch.
Status add_dashboard_rows(Database& db, const BatchMemo& memo) {
  for (const auto& [group, n] : memo.inserted) {
    Query q = db.query(
        "INSERT INTO call_counts (function, state, n) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (function, state) DO UPDATE SET n = n + excluded.n");
    q.bind(1, group.first).bind(2, to_string(group.second)).bind(3, n);
    FNQ_TRY(q.run());
  }
  for (const auto& [minute, n] : memo.skipped_per_minute) {
    Query q = db.query(
        "INSERT INTO call_finishes (minute, state, n) VALUES (?1, 'skipped', ?2) "
        "ON CONFLICT (minute, state) DO UPDATE SET n = n + excluded.n");
    q.bind(1, minute).bind(2, n);
    FNQ_TRY(q.run());
  }
  return {};
}

const std::string& request_json(const RequestInfo& r, BatchMemo* memo) {
  const auto& last = memo->request;
  if (!last || last->method != r.method || last->path != r.path || last->query != r.query ||
      last->headers != r.headers) {
    memo->request = r;
    memo->request_json = to_json(r).dump();
  }
  return memo->request_json;
}

// Inserts the call row unless (function, key) exists; returns the stored
// call, or nothing when it exists.
Result<std::optional<Call>> insert_call(Database& db, const NewCall& nc, const NeedsCheck& check,
                                        BatchMemo* memo) {
  const Call& c = nc.call;
  std::int64_t now = c.created_at;
  CallState state = check.skip_error             ? CallState::skipped
                    : !check.pending_ids.empty() ? CallState::waiting
                    : c.run_at > now             ? CallState::waiting
                                                 : CallState::queued;
  bool terminal = state == CallState::skipped;
  std::optional<std::string> url;
  if (c.callback && !c.callback->url.empty()) {
    url = c.callback->url;
  }
  Query q = db.query(
      "INSERT INTO calls (id, function, state, attempt, max_retries, error, priority, sync, key, "
      "input_from, needs, pending_needs, created_at, run_at, finished_at, exec_timeout_ms, "
      "input_size, callback_url, callback_state, callback_next_at, request, pipeline, stage) "
      "VALUES (:id, :function, :state, :attempt, :max_retries, :error, :priority, :sync, :key, "
      ":input_from, :needs, :pending_needs, :created_at, :run_at, :finished_at, "
      ":exec_timeout_ms, :input_size, :callback_url, "
      "CASE WHEN :callback_url IS NULL THEN NULL ELSE 'pending' END, :callback_next_at, :request, "
      ":pipeline, :stage) "
      "ON CONFLICT (function, key) WHERE key IS NOT NULL DO NOTHING");
  q.bind(":id", c.id).bind(":function", c.function).bind(":state", to_string(state));
  q.bind(":attempt", c.attempt).bind(":max_retries", c.max_retries);
  q.bind(":error", check.skip_error).bind(":priority", c.priority).bind(":sync", c.sync);
  q.bind(":key", c.key).bind(":input_from", c.input_from);
  if (check.needs.empty()) {
    q.bind_null(":needs");
  } else {
    q.bind(":needs", json(check.needs).dump());
  }
  q.bind(":pending_needs", static_cast<int>(check.pending_ids.size()));
  q.bind(":created_at", now).bind(":run_at", c.run_at);
  if (terminal) {
    q.bind(":finished_at", now);
  } else {
    q.bind_null(":finished_at");
  }
  if (c.exec_timeout) {
    q.bind(":exec_timeout_ms", static_cast<std::int64_t>(c.exec_timeout->count()));
  } else {
    q.bind_null(":exec_timeout_ms");
  }
  q.bind(":input_size", static_cast<std::uint64_t>(nc.input.size())).bind(":callback_url", url);
  if (terminal && url) {
    q.bind(":callback_next_at", now);
  } else {
    q.bind_null(":callback_next_at");
  }
  q.bind(":request", nc.request_json.empty() ? request_json(c.request, memo) : nc.request_json);
  q.bind(":pipeline", c.pipeline).bind(":stage", c.stage);
  FNQ_TRY(q.run());
  // Not RETURNING: SQLite collects RETURNING rows in an ephemeral table,
  // opened and closed for every row.
  if (db.changes() != 1) {
    return std::optional<Call>();
  }
  ++memo->inserted[{c.function, state}];
  if (terminal) {
    ++memo->skipped_per_minute[now / 60000];
  }
  for (const std::string& need : check.needs) {
    Query d = db.query("INSERT OR IGNORE INTO call_dependents (needs_id, call_id) VALUES (?1, ?2)");
    d.bind(1, need).bind(2, c.id);
    FNQ_TRY(d.run());
  }
  return std::optional<Call>(stored_call(nc, check, state, url));
}

// The call of c.function with c.key, if any.
Result<std::optional<Call>> find_by_key(Database& db, const Call& c) {
  if (!c.key) {
    return std::optional<Call>();
  }
  Query q = db.query(sql::k_call_by_key);
  q.bind(1, c.function).bind(2, c.key);
  FNQ_TRY_ASSIGN(bool row, q.step());
  if (!row) {
    return std::optional<Call>();
  }
  FNQ_TRY_ASSIGN(Call existing, read_call(q));
  return std::optional<Call>(std::move(existing));
}

Result<SubmitResult> submit_one(Database& db, const NewCall& nc, BatchMemo* memo) {
  const Call& c = nc.call;
  if (c.id.empty()) {
    return make_error(ErrorKind::invalid_input, "a call needs an id");
  }
  if (memo->checked_function != c.function) {
    FNQ_TRY(require_function(db, c.function));
    memo->checked_function = c.function;
  }
  // A repeat is answered with the earlier call before its needs are looked
  // at: they may have been pruned since.
  FNQ_TRY_ASSIGN(std::optional<Call> existing, find_by_key(db, c));
  if (existing) {
    return SubmitResult{std::move(*existing), true};
  }
  FNQ_TRY_ASSIGN(NeedsCheck check, check_needs(db, c));
  FNQ_TRY_ASSIGN(std::optional<Call> stored, insert_call(db, nc, check, memo));
  if (!stored) {
    // Unreachable with one writer; the unique index is what guarantees it.
    return make_error(ErrorKind::conflict, "a call of '" + c.function + "' with key '" +
                                               c.key.value_or("") + "' already exists");
  }
  if (check.input_ready) {
    FNQ_TRY(copy_output_to_input(db, *c.input_from, c.id));
  } else {
    // Replaced by input_from's output when that call succeeds.
    FNQ_TRY(put_blob(db, c.id, BlobKind::input, nc.input));
  }
  if (!check.skip_error) {
    for (const std::string& need : check.pending_ids) {
      Query q = db.query("INSERT OR IGNORE INTO call_needs (needs_id, call_id) VALUES (?1, ?2)");
      q.bind(1, need).bind(2, c.id);
      FNQ_TRY(q.run());
    }
  }
  if (check.input_ready) {
    // copy_output_to_input changed input_size.
    FNQ_TRY_ASSIGN(stored, load_call(db, c.id));
  }
  return SubmitResult{std::move(*stored), false};
}

// The calls of one submit, in the writer's transaction; the dashboard's
// counts are left in memo for add_dashboard_rows.
Result<std::vector<SubmitResult>> submit_calls_in(Database& db, const std::vector<NewCall>& calls,
                                                  BatchMemo* memo) {
  std::vector<SubmitResult> out;
  out.reserve(calls.size());
  for (const NewCall& nc : calls) {
    FNQ_TRY_ASSIGN(SubmitResult r, submit_one(db, nc, memo));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<std::vector<SubmitResult>> SqliteStore::submit(std::vector<NewCall> calls) {
  // One writer task for the batch: any error rolls all of it back.
  return write<std::vector<SubmitResult>>([&](Database& db) -> Result<std::vector<SubmitResult>> {
    BatchMemo memo;
    FNQ_TRY_ASSIGN(auto out, submit_calls_in(db, calls, &memo));
    FNQ_TRY(add_dashboard_rows(db, memo));
    return out;
  });
}

// Submits queued while the writer is busy share one writer task: one check
// of their function and one update of the dashboard's counts for all of
// them, while each is still all-or-nothing (a savepoint of its own) and
// fails alone.
void SqliteStore::submit_then(std::vector<NewCall> calls, SubmitDone done) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(m_submits_mutex);
    m_submits.push_back(QueuedSubmit{std::move(calls), std::move(done)});
    first = m_submits.size() == 1;
  }
  if (!first) {
    return;  // the task already posted takes it
  }
  auto taken = std::make_shared<std::vector<QueuedSubmit>>();
  m_writer->post(
      [this, taken](Database& db) -> Status {
        {
          std::lock_guard<std::mutex> lock(m_submits_mutex);
          taken->swap(m_submits);
        }
        // All at once, in one savepoint; only if one of them fails, each
        // again in a savepoint of its own (a savepoint per submit costs a
        // tenth of the writer's time).
        FNQ_TRY(db.run("SAVEPOINT submits"));
        BatchMemo total;
        bool all_ok = true;
        for (QueuedSubmit& q : *taken) {
          q.result = submit_calls_in(db, q.calls, &total);
          if (!q.result) {
            all_ok = false;
            break;
          }
        }
        if (!db.in_transaction()) {
          return make_error(ErrorKind::internal, "transaction lost in a submit");
        }
        if (all_ok) {
          FNQ_TRY(db.run("RELEASE submits"));
          return add_dashboard_rows(db, total);
        }
        FNQ_TRY(db.run("ROLLBACK TO submits"));
        FNQ_TRY(db.run("RELEASE submits"));
        total = BatchMemo{};
        for (QueuedSubmit& q : *taken) {
          BatchMemo memo;
          memo.checked_function = total.checked_function;
          FNQ_TRY(db.run("SAVEPOINT submit"));
          q.result = submit_calls_in(db, q.calls, &memo);
          if (!db.in_transaction()) {
            return q.result ? make_error(ErrorKind::internal, "transaction lost in a submit")
                            : q.result.error();
          }
          if (q.result) {
            FNQ_TRY(db.run("RELEASE submit"));
            total.add(memo);
          } else {
            FNQ_TRY(db.run("ROLLBACK TO submit"));
            FNQ_TRY(db.run("RELEASE submit"));
          }
        }
        return add_dashboard_rows(db, total);
      },
      [this, taken](Status status) {
        if (taken->empty()) {
          // Refused before it ran (the store is closing): those queued get it.
          std::lock_guard<std::mutex> lock(m_submits_mutex);
          taken->swap(m_submits);
        }
        for (QueuedSubmit& q : *taken) {
          // The COMMIT may have failed after a submit succeeded.
          q.done(status ? std::move(q.result) : Result<std::vector<SubmitResult>>(status.error()));
        }
      });
}

Result<PipelineSubmitResult> SqliteStore::submit_pipeline(NewPipeline np) {
  // One writer task: a failure at any stage rolls back the pipeline row and
  // every stage before it.
  return write<PipelineSubmitResult>([&](Database& db) -> Result<PipelineSubmitResult> {
    const Pipeline& p = np.pipeline;
    if (p.key) {
      FNQ_TRY_ASSIGN(std::optional<Pipeline> existing, pipeline_by_key(db, *p.key));
      if (existing) {
        FNQ_TRY_ASSIGN(std::vector<Call> calls, load_pipeline_calls(db, existing->id));
        return PipelineSubmitResult{std::move(*existing), std::move(calls), true};
      }
    }
    FNQ_TRY(insert_pipeline_row(db, p));
    PipelineSubmitResult out{p, {}, false};
    out.calls.reserve(np.calls.size());
    BatchMemo memo;
    for (const NewCall& nc : np.calls) {
      FNQ_TRY_ASSIGN(SubmitResult r, submit_one(db, nc, &memo));
      if (r.existing) {
        return stage_key_taken(r.call, nc.call.stage.value_or(""));
      }
      out.calls.push_back(std::move(r.call));
    }
    FNQ_TRY(add_dashboard_rows(db, memo));
    return out;
  });
}

Result<Call> SqliteStore::get_call(const std::string& id) {
  return read([&](Database& db) { return load_call(db, id); });
}

Result<std::vector<Call>> SqliteStore::get_calls(const std::vector<std::string>& ids) {
  return read([&](Database& db) -> Result<std::vector<Call>> {
    ReadTransaction snapshot(db);
    FNQ_TRY(snapshot.status());
    std::vector<Call> out;
    out.reserve(ids.size());
    for (const std::string& id : ids) {
      FNQ_TRY_ASSIGN(Call c, load_call(db, id));
      out.push_back(std::move(c));
    }
    return out;
  });
}

Result<std::vector<std::string>> SqliteStore::find_ids(const std::string& prefix, int limit) {
  return read([&](Database& db) -> Result<std::vector<std::string>> {
    Query q = db.query(sql::k_find_ids);
    q.bind(1, prefix).bind(2, prefix + k_after_ids).bind(3, std::max(0, limit));
    return q.collect([](const Query& row) { return row.text(0); });
  });
}

Result<std::string> SqliteStore::get_output(const std::string& id) {
  return read([&](Database& db) { return read_blob(db, id, BlobKind::output); });
}

Result<std::string> SqliteStore::get_stderr(const std::string& id) {
  return read([&](Database& db) { return read_blob(db, id, BlobKind::stderr_tail); });
}

Result<std::string> SqliteStore::get_input(const std::string& id) {
  return read([&](Database& db) { return read_blob(db, id, BlobKind::input); });
}

static_assert(static_cast<int>(CallState::skipped) == 7,
              "sql::k_list_by_function walks each state by name: add the new one there");

Result<std::vector<Call>> SqliteStore::list_calls(const CallFilter& filter) {
  const char* statement = sql::k_list_all;
  if (filter.pipeline) {
    statement = sql::k_list_by_pipeline;
  } else if (filter.state && filter.function) {
    statement = sql::k_list_by_both;
  } else if (filter.state) {
    statement = sql::k_list_by_state;
  } else if (filter.function) {
    statement = sql::k_list_by_function;
  }
  int limit = filter.limit <= 0 ? k_default_page : std::min(filter.limit, k_max_page);
  return read([&](Database& db) -> Result<std::vector<Call>> {
    Query q = db.query(statement);
    if (filter.state) {
      q.bind(1, to_string(*filter.state));
    } else {
      q.bind_null(1);
    }
    q.bind(2, filter.function).bind(3, filter.before.value_or(k_after_ids)).bind(4, limit);
    if (filter.pipeline) {
      q.bind(5, *filter.pipeline);
    }
    return q.collect(read_call);
  });
}

}  // namespace fnq
