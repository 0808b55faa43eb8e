// Submitting calls and reading them back.
#include <algorithm>

#include "daemon/store/pg/pg_rows.h"
#include "daemon/store/pg/pg_store.h"
#include "daemon/store/store_checks.h"

namespace fnq {
namespace {

constexpr int k_default_page = 50;
constexpr int k_max_page = 10000;
constexpr const char* k_after_ids = "\x7f";

using pg::Connection;
using pg::Params;
using pg::PgResult;

struct NeedsCheck {
  std::vector<std::string> needs;
  std::vector<std::string> pending_ids;
  std::optional<std::string> skip_error;
  bool input_ready = false;
};

std::vector<std::string> unique_needs(const Call& c) {
  std::vector<std::string> all = c.needs;
  if (c.input_from) {
    all.push_back(*c.input_from);
  }
  std::vector<std::string> unique;
  for (const std::string& id : all) {
    if (std::find(unique.begin(), unique.end(), id) == unique.end()) {
      unique.push_back(id);
    }
  }
  return unique;
}

// As in the SQLite store; each needed row is locked FOR SHARE, so that it
// cannot finish (and consume its edges) between this check and the insert
// of the new call's edges.
Result<NeedsCheck> check_needs(Connection& conn, const Call& c) {
  NeedsCheck check;
  check.needs = unique_needs(c);
  for (const std::string& id : check.needs) {
    auto state = pg::lock_call_state(conn, id, true);
    if (!state.ok()) {
      if (state.error().kind != ErrorKind::not_found) {
        return state.error();
      }
      bool named_in_needs = std::find(c.needs.begin(), c.needs.end(), id) != c.needs.end();
      return make_error(ErrorKind::not_found, "unknown call '" + id + "' in " +
                                                  (named_in_needs ? "needs" : "input_from"));
    }
    if (!is_terminal(*state)) {
      check.pending_ids.push_back(id);
    } else if (*state != CallState::succeeded) {
      if (!check.skip_error) {
        check.skip_error = "dependency " + id + " " + to_string(*state);
      }
    } else if (c.input_from == id) {
      check.input_ready = true;
    }
  }
  return check;
}

Status require_function(Connection& conn, const std::string& name) {
  FNQ_TRY_ASSIGN(PgResult res,
                 conn.exec("SELECT 1 FROM functions WHERE name = $1", Params().add(name)));
  if (res.rows() == 0) {
    return make_error(ErrorKind::not_found, "unknown function '" + name + "'");
  }
  return {};
}

Result<std::optional<Call>> find_by_key(Connection& conn, const Call& c) {
  if (!c.key) {
    return std::optional<Call>();
  }
  FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT " FNQ_CALL_COLUMNS
                                         " FROM calls WHERE function = $1 AND key = $2",
                                         Params().add(c.function).add(c.key)));
  FNQ_TRY_ASSIGN(std::vector<Call> calls, pg::read_calls(res));
  if (calls.empty()) {
    return std::optional<Call>();
  }
  return std::optional<Call>(std::move(calls.front()));
}

CallState initial_state(const Call& c, const NeedsCheck& check) {
  return check.skip_error             ? CallState::skipped
         : !check.pending_ids.empty() ? CallState::waiting
         : c.run_at > c.created_at    ? CallState::waiting
                                      : CallState::queued;
}

// Inserts the call row unless (function, key) exists (another host may have
// inserted it a moment ago: the unique index decides); the row inserted (from
// RETURNING: no second round trip to read it), or nullopt.
static_assert(static_cast<int>(BlobKind::input) == 0, "insert_call writes the input as kind 0");

Result<std::optional<Call>> insert_call(Connection& conn, const NewCall& nc,
                                        const NeedsCheck& check) {
  const Call& c = nc.call;
  std::int64_t now = c.created_at;
  CallState state = initial_state(c, check);
  bool terminal = state == CallState::skipped;
  std::optional<std::string> url;
  if (c.callback && !c.callback->url.empty()) {
    url = c.callback->url;
  }
  Params p;
  p.add(c.id).add(c.function).add(to_string(state)).add(c.attempt).add(c.max_retries);
  p.add(check.skip_error).add(c.priority).add(c.sync).add(c.key).add(c.input_from);
  if (check.needs.empty()) {
    p.add_null();
  } else {
    p.add(json(check.needs).dump());
  }
  p.add(static_cast<int>(check.pending_ids.size())).add(now).add(c.run_at);
  if (terminal) {
    p.add(now);
  } else {
    p.add_null();
  }
  if (c.exec_timeout) {
    p.add(static_cast<std::int64_t>(c.exec_timeout->count()));
  } else {
    p.add_null();
  }
  p.add(static_cast<std::uint64_t>(nc.input.size())).add(url);
  if (terminal && url) {
    p.add(now);
  } else {
    p.add_null();
  }
  p.add(nc.request_json.empty() ? to_json(c.request).dump() : nc.request_json)
      .add(c.pipeline)
      .add(c.stage);
  // The input blob in the same statement (one round trip per call, not
  // two), unless it is to be the output of input_from (copied later).
  if (check.input_ready || nc.input.empty()) {
    p.add_null();
  } else {
    p.add_bytes(nc.input);
  }
  FNQ_TRY_ASSIGN(
      PgResult res,
      conn.exec("WITH c AS (INSERT INTO calls (id, function, state, attempt, max_retries, error, "
                "priority, sync, key, input_from, needs, pending_needs, created_at, run_at, "
                "finished_at, exec_timeout_ms, input_size, callback_url, callback_state, "
                "callback_next_at, request, pipeline, stage) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18::text, CASE WHEN $18::text "
                "IS NULL THEN NULL ELSE 'pending' END, $19, $20, $21, $22) ON CONFLICT (function, "
                "key) WHERE key IS NOT NULL DO NOTHING RETURNING " FNQ_CALL_COLUMNS
                "), b AS (INSERT INTO call_blobs (call_id, kind, data) SELECT id, 0, $23::bytea "
                "FROM c WHERE $23::bytea IS NOT NULL) SELECT * FROM c",
                p));
  FNQ_TRY_ASSIGN(std::vector<Call> inserted, pg::read_calls(res));
  if (inserted.empty()) {
    return std::optional<Call>();
  }
  return std::optional<Call>(std::move(inserted.front()));
}

Status add_edges(Connection& conn, const std::string& id, const NeedsCheck& check) {
  for (const std::string& need : check.pending_ids) {
    FNQ_TRY(conn.command(
        "INSERT INTO call_needs (needs_id, call_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        Params().add(need).add(id)));
  }
  return {};
}

Result<SubmitResult> submit_one(Connection& conn, const NewCall& nc,
                                std::optional<std::string>* checked_function) {
  const Call& c = nc.call;
  if (c.id.empty()) {
    return make_error(ErrorKind::invalid_input, "a call needs an id");
  }
  if (*checked_function != c.function) {
    FNQ_TRY(require_function(conn, c.function));
    *checked_function = c.function;
  }
  FNQ_TRY_ASSIGN(std::optional<Call> existing, find_by_key(conn, c));
  if (existing) {
    return SubmitResult{std::move(*existing), true};
  }
  FNQ_TRY_ASSIGN(NeedsCheck check, check_needs(conn, c));
  FNQ_TRY_ASSIGN(std::optional<Call> inserted, insert_call(conn, nc, check));
  if (!inserted) {
    // Another host committed the same key after find_by_key looked.
    FNQ_TRY_ASSIGN(existing, find_by_key(conn, c));
    if (!existing) {
      return make_error(ErrorKind::conflict, "a call of '" + c.function + "' with key '" +
                                                 c.key.value_or("") + "' already exists");
    }
    return SubmitResult{std::move(*existing), true};
  }
  if (!check.skip_error) {
    FNQ_TRY(add_edges(conn, c.id, check));
  }
  if (check.input_ready) {
    // The input is the needed call's output: its size is known once copied.
    FNQ_TRY(pg::copy_output_to_input(conn, *c.input_from, c.id));
    FNQ_TRY_ASSIGN(*inserted, pg::load_call(conn, c.id));
  }  // else insert_call stored the input with the call
  return SubmitResult{std::move(*inserted), false};
}

// One request's calls, in order, in the current transaction; *added is set
// when one of them is new (not an earlier call found by its key).
Result<std::vector<SubmitResult>> submit_each(Connection& conn, const std::vector<NewCall>& calls,
                                              std::optional<std::string>* checked_function,
                                              bool* added) {
  std::vector<SubmitResult> out;
  out.reserve(calls.size());
  for (const NewCall& nc : calls) {
    FNQ_TRY_ASSIGN(SubmitResult r, submit_one(conn, nc, checked_function));
    *added = *added || !r.existing;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

// A request of more calls than this is written alone: its transaction is
// long, and requests of a few calls should not wait for it.
constexpr std::size_t k_max_calls_combined = 64;

Result<std::vector<SubmitResult>> PgStore::submit(std::vector<NewCall> calls) {
  if (calls.size() > k_max_calls_combined) {
    return submit_alone(calls);
  }
  return m_submits.submit(
      calls, [this](std::vector<SubmitCombiner::Item*>& batch) { submit_together(batch); });
}

void PgStore::submit_then(std::vector<NewCall> calls, SubmitDone done) {
  m_async_submits.submit(std::move(calls), std::move(done));
}

void PgStore::submit_queued(std::vector<SubmitCombiner::Item*>& batch) {
  std::vector<SubmitCombiner::Item*> together;
  for (SubmitCombiner::Item* item : batch) {
    if (item->request->size() > k_max_calls_combined) {
      item->result = submit_alone(*item->request);
    } else {
      together.push_back(item);
    }
  }
  if (!together.empty()) {
    submit_together(together);
  }
}

Status PgStore::close() {
  m_async_submits.stop();
  return {};
}

Result<std::vector<SubmitResult>> PgStore::submit_alone(const std::vector<NewCall>& calls) {
  return write<std::vector<SubmitResult>>(
      [&](Connection& conn) -> Result<std::vector<SubmitResult>> {
        std::optional<std::string> checked_function;
        bool added = false;
        FNQ_TRY_ASSIGN(auto out, submit_each(conn, calls, &checked_function, &added));
        if (added) {
          FNQ_TRY(notify_work(conn));
        }
        return out;
      });
}

void PgStore::submit_together(std::vector<SubmitCombiner::Item*>& batch) {
  if (batch.size() == 1) {
    batch[0]->result = submit_alone(*batch[0]->request);
    return;
  }
  using Answers = std::vector<std::vector<SubmitResult>>;
  bool statement_failed = false;  // in the last attempt, before COMMIT
  Result<Answers> together = write<Answers>([&](Connection& conn) -> Result<Answers> {
    statement_failed = true;
    Answers out;
    out.reserve(batch.size());
    std::optional<std::string> checked_function;
    bool added = false;
    for (SubmitCombiner::Item* item : batch) {
      FNQ_TRY_ASSIGN(auto answer, submit_each(conn, *item->request, &checked_function, &added));
      out.push_back(std::move(answer));
    }
    if (added) {
      FNQ_TRY(notify_work(conn));
    }
    statement_failed = false;
    return out;
  });
  if (together.ok()) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result = std::move((*together)[i]);
    }
    return;
  }
  for (SubmitCombiner::Item* item : batch) {
    // Nothing was committed when a statement failed: each request alone.
    // When COMMIT itself failed, whether it took effect is unknown, and
    // writing the calls again could store them twice: each gets the error.
    item->result = statement_failed ? submit_alone(*item->request)
                                    : Result<std::vector<SubmitResult>>(together.error());
  }
}

Result<PipelineSubmitResult> PgStore::submit_pipeline(NewPipeline np) {
  return write<PipelineSubmitResult>([&](Connection& conn) -> Result<PipelineSubmitResult> {
    const Pipeline& p = np.pipeline;
    // Waits for a concurrent insert of the same key to commit or roll back.
    FNQ_TRY_ASSIGN(bool inserted, pg::insert_pipeline_row(conn, p));
    if (!inserted) {
      FNQ_TRY_ASSIGN(std::optional<Pipeline> existing, pg::pipeline_by_key(conn, *p.key));
      if (!existing) {
        return make_error(ErrorKind::conflict, "a pipeline with key '" + *p.key + "' exists");
      }
      FNQ_TRY_ASSIGN(std::vector<Call> calls, pg::load_pipeline_calls(conn, existing->id));
      return PipelineSubmitResult{std::move(*existing), std::move(calls), true};
    }
    PipelineSubmitResult out{p, {}, false};
    out.calls.reserve(np.calls.size());
    std::optional<std::string> checked_function;
    for (const NewCall& nc : np.calls) {
      FNQ_TRY_ASSIGN(SubmitResult r, submit_one(conn, nc, &checked_function));
      if (r.existing) {
        return stage_key_taken(r.call, nc.call.stage.value_or(""));
      }
      out.calls.push_back(std::move(r.call));
    }
    FNQ_TRY(notify_work(conn));
    return out;
  });
}

Result<Call> PgStore::get_call(const std::string& id) {
  return read<Call>([&](Connection& conn) { return pg::load_call(conn, id); });
}

Result<std::vector<Call>> PgStore::get_calls(const std::vector<std::string>& ids) {
  // One statement: one snapshot for all of them.
  return read<std::vector<Call>>([&](Connection& conn) -> Result<std::vector<Call>> {
    FNQ_TRY_ASSIGN(PgResult res,
                   conn.exec("SELECT " FNQ_CALL_COLUMNS " FROM calls WHERE id = ANY($1::text[])",
                             Params().add(pg::text_array(ids))));
    FNQ_TRY_ASSIGN(std::vector<Call> found, pg::read_calls(res));
    std::vector<Call> out;
    out.reserve(ids.size());
    for (const std::string& id : ids) {
      auto it = std::find_if(found.begin(), found.end(), [&](const Call& c) { return c.id == id; });
      if (it == found.end()) {
        return unknown_call(id);
      }
      out.push_back(*it);
    }
    return out;
  });
}

Result<std::vector<std::string>> PgStore::find_ids(const std::string& prefix, int limit) {
  return read<std::vector<std::string>>([&](Connection& conn) -> Result<std::vector<std::string>> {
    FNQ_TRY_ASSIGN(
        PgResult res,
        conn.exec("SELECT id FROM calls WHERE id >= $1 AND id < $2 "
                  "ORDER BY id LIMIT $3",
                  Params().add(prefix).add(prefix + k_after_ids).add(std::max(0, limit))));
    std::vector<std::string> out;
    for (int r = 0; r < res.rows(); ++r) {
      out.push_back(res.text(r, 0));
    }
    return out;
  });
}

Result<std::string> PgStore::get_output(const std::string& id) {
  return read<std::string>(
      [&](Connection& conn) { return pg::read_blob(conn, id, BlobKind::output); });
}

Result<std::string> PgStore::get_stderr(const std::string& id) {
  return read<std::string>(
      [&](Connection& conn) { return pg::read_blob(conn, id, BlobKind::stderr_tail); });
}

Result<std::string> PgStore::get_input(const std::string& id) {
  return read<std::string>(
      [&](Connection& conn) { return pg::read_blob(conn, id, BlobKind::input); });
}

Result<std::vector<Call>> PgStore::list_calls(const CallFilter& filter) {
  int limit = filter.limit <= 0 ? k_default_page : std::min(filter.limit, k_max_page);
  return read<std::vector<Call>>([&](Connection& conn) -> Result<std::vector<Call>> {
    Params p;
    if (filter.state) {
      p.add(to_string(*filter.state));
    } else {
      p.add_null();
    }
    p.add(filter.function).add(filter.before.value_or(k_after_ids)).add(limit);
    p.add(filter.pipeline);
    FNQ_TRY_ASSIGN(PgResult res, conn.exec("SELECT " FNQ_CALL_COLUMNS " FROM calls "
                                           "WHERE ($1::text IS NULL OR state = $1::text) "
                                           "AND ($2::text IS NULL OR function = $2::text) "
                                           "AND ($5::text IS NULL OR pipeline = $5::text) "
                                           "AND id < $3 ORDER BY id DESC LIMIT $4",
                                           p));
    return pg::read_calls(res);
  });
}

}  // namespace fnq
