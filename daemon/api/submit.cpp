// Turning requests into stored calls, shared by /v1/calls and the OpenFaaS routes.
#include <strings.h>

#include <algorithm>
#include <optional>

#include "common/encoding.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "common/timeutil.h"
#include "daemon/api/context.h"
#include "daemon/callbacks.h"
#include "daemon/api/request_head.h"
#include "daemon/log.h"

namespace fnq {

namespace {

Status read_input(const json& body, NewCall* nc) {
  auto text = body.find("input");
  auto b64 = body.find("input_base64");
  if (text != body.end() && !text->is_null() && b64 != body.end() && !b64->is_null()) {
    return field_error("input", "give input or input_base64, not both");
  }
  if (text != body.end() && !text->is_null()) {
    if (!text->is_string()) {
      return field_error("input", "expected a string (use input_base64 for bytes)");
    }
    nc->input = text->get<std::string>();
  } else if (b64 != body.end() && !b64->is_null()) {
    auto bytes = b64->is_string() ? base64_decode(b64->get<std::string>()) : std::nullopt;
    if (!bytes) {
      return field_error("input_base64", "expected a base64 string");
    }
    nc->input = std::move(*bytes);
  }
  return {};
}

// delay or run_at, each in its range (common/ranges.h): run_at within
// k_max_duration of now, so every later sum on it stays in range.
Status read_schedule(const json& body, SubmitRequest* out) {
  Call& c = out->new_call.call;
  std::optional<Millis> delay;
  std::optional<std::int64_t> run_at;
  FNQ_TRY(read_duration(body, "delay", &delay));
  FNQ_TRY(read_time(body, "run_at", &run_at));
  if (delay && run_at) {
    return field_error("delay", "give delay or run_at, not both");
  }
  if (delay) {
    out->delay = *delay;
    c.run_at = time_after(c.created_at, *delay);
  } else if (run_at) {
    auto check = check_run_at(*run_at, c.created_at, body.at("run_at").get<std::string>());
    if (!check) {
      return field_error("run_at", check.error().message);
    }
    c.run_at = *run_at;
  }
  return {};
}

Status read_options(const json& body, Call* c) {
  std::optional<int> priority;
  std::optional<bool> sync;
  std::optional<int> max_retries;
  FNQ_TRY(read_int(body, "priority", k_priority_range, &priority));
  FNQ_TRY(read_bool(body, "sync", &sync));
  FNQ_TRY(read_int(body, "max_retries", k_max_retries_range, &max_retries));
  FNQ_TRY(read_duration(body, "exec_timeout", &c->exec_timeout));
  c->priority = priority.value_or(0);
  c->sync = sync.value_or(false);
  c->max_retries = max_retries.value_or(-1);  // -1: from the function or the daemon, later
  if (auto h = body.find("headers"); h != body.end() && !h->is_null()) {
    if (!h->is_object()) {
      return field_error("headers", "expected an object of strings");
    }
    for (const auto& [k, v] : h->items()) {
      if (!is_header_name(k)) {
        return field_error("headers",
                           "'" + k + "' is not a header name (letters, digits, !#$%&'*+-.^_`|~)");
      }
      if (!v.is_string() || !is_header_value(v.get<std::string>())) {
        return field_error("headers." + k, "expected a string without NUL, CR or LF");
      }
      c->request.headers.emplace_back(k, v.get<std::string>());
    }
  }
  return {};
}

// A call named in needs or input_from: its full ID, found from a prefix by
// reading the store, which Lookup::cached_only does not do.
Result<std::string> needed_call(ApiContext& ctx, const std::string& text, Lookup lookup) {
  if (lookup == Lookup::cached_only && !is_call_id(text)) {
    return make_error(ErrorKind::unavailable, "a call named by a prefix needs a read of the store");
  }
  return resolve_call_id(ctx.store, text);
}

Status read_dependencies(ApiContext& ctx, const json& body, Call* c, Lookup lookup) {
  if (auto n = body.find("needs"); n != body.end() && !n->is_null()) {
    if (!n->is_array()) {
      return field_error("needs", "expected an array of call ids");
    }
    for (const auto& id : *n) {
      if (!id.is_string()) {
        return field_error("needs", "expected an array of call ids");
      }
      auto full = needed_call(ctx, id.get<std::string>(), lookup);
      if (!full) {
        return make_error(full.error().kind, "needs: " + full.error().message);
      }
      c->needs.push_back(*full);
    }
  }
  std::optional<std::string> from;
  FNQ_TRY(read_string(body, "input_from", &from));
  if (from) {
    auto full = needed_call(ctx, *from, lookup);
    if (!full) {
      return make_error(full.error().kind, "input_from: " + full.error().message);
    }
    c->input_from = *full;
  }
  return {};
}

bool is_private_header(const std::string& name) {
  // Credentials and httplib's own pseudo-headers never reach the function.
  for (const char* h : {"Authorization", "Proxy-Authorization", "Cookie", "X-Fnq-Csrf",
                        "REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"}) {
    if (strcasecmp(name.c_str(), h) == 0) {
      return true;
    }
  }
  return false;
}

// One place for every route: the headers of an OpenFaaS request and the
// `headers` field of /v1/calls (fnq submit -H) alike.
void drop_private_headers(RequestInfo& request) {
  auto& h = request.headers;
  h.erase(std::remove_if(h.begin(), h.end(),
                         [](const auto& kv) { return is_private_header(kv.first); }),
          h.end());
}

}  // namespace

Result<SubmitRequest> submit_request_from_json(ApiContext& ctx, const json& body, Lookup lookup) {
  if (!body.is_object()) {
    return make_error(ErrorKind::invalid_input, "expected a JSON object describing the call");
  }
  FNQ_TRY(check_known_fields(body, {"function", "input", "input_base64", "priority", "delay",
                                    "run_at", "needs", "input_from", "key", "callback_url",
                                    "exec_timeout", "max_retries", "headers", "sync"}));
  SubmitRequest out;
  Call& c = out.new_call.call;
  auto fn = body.find("function");
  if (fn == body.end() || !fn->is_string()) {
    return field_error("function", "required, the name of a function");
  }
  c.function = fn->get<std::string>();
  c.created_at = now_ms();
  c.run_at = c.created_at;
  FNQ_TRY(read_input(body, &out.new_call));
  FNQ_TRY(read_schedule(body, &out));
  FNQ_TRY(read_options(body, &c));
  FNQ_TRY(read_dependencies(ctx, body, &c, lookup));
  std::optional<std::string> cb;
  FNQ_TRY(read_string(body, "key", &c.key));
  FNQ_TRY(read_string(body, "callback_url", &cb));
  if (cb) {
    c.callback = CallbackInfo{*cb, "pending", 0, std::nullopt};
  }
  return out;
}

Result<std::vector<NewCall>> prepare_calls(ApiContext& ctx, std::vector<SubmitRequest> requests,
                                           Lookup lookup) {
  if (ctx.shutting_down) {
    return make_error(ErrorKind::shutting_down, "fnqd is shutting down; not accepting calls");
  }
  std::vector<NewCall> batch;
  batch.reserve(requests.size());
  for (auto& r : requests) {
    Call& c = r.new_call.call;
    drop_private_headers(c.request);
    if (!is_valid_function_name(c.function)) {
      return make_error(ErrorKind::invalid_input, "invalid function name '" + c.function + "'");
    }
    auto f = lookup == Lookup::cached_only ? ctx.functions.find_cached(c.function)
                                           : ctx.functions.find(c.function);
    if (!f && lookup == Lookup::cached_only) {
      return make_error(ErrorKind::unavailable, "function '" + c.function + "' is not cached");
    }
    if (!f) {
      return make_error(ErrorKind::not_found, "unknown function '" + c.function + "'");
    }
    if (!c.callback && f->callback_url) {
      c.callback = CallbackInfo{*f->callback_url, "pending", 0, std::nullopt};
    }
    if (c.callback) {
      FNQ_TRY(ctx.callbacks.check_url(c.callback->url));
    }
    if (c.max_retries < 0) {
      c.max_retries = f->max_retries.value_or(ctx.config.max_retries);
    }
    if (c.key && (c.key->empty() || c.key->size() > 256)) {
      return make_error(ErrorKind::invalid_input, "key: expected 1 to 256 characters");
    }
    c.id = new_call_id();
    c.input_size = r.new_call.input.size();
    batch.push_back(std::move(r.new_call));
  }
  return batch;
}

void NewCallReport::add(const Call& c) {
  if (is_terminal(c.state)) {
    m_terminal.push_back(c.id);  // skipped at once: a dependency had failed
  } else {
    m_earliest_due = std::min(m_earliest_due.value_or(c.run_at), c.run_at);
  }
}

void NewCallReport::send(ApiContext& ctx) {
  ctx.calls_terminal(m_terminal, CallbackDue::maybe);
  if (m_earliest_due) {
    ctx.scheduler.wake_for_due(*m_earliest_due);
  }
}

namespace {

// Tells the scheduler and waiters about the calls just stored.
void report_new_calls(ApiContext& ctx, const std::vector<SubmitResult>& results) {
  NewCallReport report;
  for (const auto& r : results) {
    if (!r.existing) {  // a repeat is nothing new for the scheduler
      report.add(r.call);
    }
  }
  report.send(ctx);
}

}  // namespace

Result<std::vector<SubmitResult>> submit_calls(ApiContext& ctx,
                                               std::vector<SubmitRequest> requests) {
  FNQ_TRY_ASSIGN(auto batch, prepare_calls(ctx, std::move(requests)));
  FNQ_TRY_ASSIGN(auto results, ctx.store.submit(std::move(batch)));
  report_new_calls(ctx, results);
  return results;
}

void store_calls_then(ApiContext& ctx, std::vector<NewCall> batch, Store::SubmitDone done) {
  ctx.store.submit_then(std::move(batch),
                        [&ctx, done = std::move(done)](Result<std::vector<SubmitResult>> results) {
                          if (results) {
                            report_new_calls(ctx, *results);
                          }
                          done(std::move(results));
                        });
}

}  // namespace fnq
