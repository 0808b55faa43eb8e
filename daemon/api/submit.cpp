// Turning requests into stored calls, shared by /v1/calls and the OpenFaaS routes.
#include <strings.h>

#include <algorithm>
#include <optional>

#include "common/encoding.h"
#include "common/ids.h"
#include "common/timeutil.h"
#include "daemon/api/context.h"
#include "daemon/callbacks.h"
#include "daemon/log.h"

namespace fnq {

namespace {

Error field_error(const std::string& field, const std::string& why) {
  return make_error(ErrorKind::invalid_input, field + ": " + why);
}

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

Result<std::optional<std::string>> read_opt_string(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return std::optional<std::string>();
  }
  if (!it->is_string()) {
    return field_error(field, "expected a string");
  }
  return std::optional<std::string>(it->get<std::string>());
}

Status read_schedule(const json& body, SubmitRequest* out) {
  Call& c = out->new_call.call;
  auto delay = body.find("delay");
  auto run_at = body.find("run_at");
  bool has_delay = delay != body.end() && !delay->is_null();
  bool has_run_at = run_at != body.end() && !run_at->is_null();
  if (has_delay && has_run_at) {
    return field_error("delay", "give delay or run_at, not both");
  }
  if (has_delay) {
    auto d = duration_from_json(*delay, "delay");
    if (!d) {
      return d.error();
    }
    out->delay = *d;
    c.run_at = c.created_at + d->count();
  } else if (has_run_at) {
    if (!run_at->is_string()) {
      return field_error("run_at", "expected an RFC 3339 time");
    }
    auto t = parse_time(run_at->get<std::string>());
    if (!t) {
      return field_error("run_at", t.error().message);
    }
    c.run_at = *t;
  }
  return {};
}

Status read_options(const json& body, Call* c) {
  if (auto p = body.find("priority"); p != body.end() && !p->is_null()) {
    if (!p->is_number_integer() || std::abs(p->get<std::int64_t>()) > 1'000'000'000) {
      return field_error("priority", "expected an integer");
    }
    c->priority = p->get<int>();
  }
  if (auto s = body.find("sync"); s != body.end() && !s->is_null()) {
    if (!s->is_boolean()) {
      return field_error("sync", "expected true or false");
    }
    c->sync = s->get<bool>();
  }
  if (auto m = body.find("max_retries"); m != body.end() && !m->is_null()) {
    if (!m->is_number_integer() || m->get<std::int64_t>() < 0 || m->get<std::int64_t>() > 1000) {
      return field_error("max_retries", "expected an integer from 0 to 1000");
    }
    c->max_retries = m->get<int>();
  } else {
    c->max_retries = -1;  // resolved from the function or the daemon later
  }
  if (auto e = body.find("exec_timeout"); e != body.end() && !e->is_null()) {
    auto d = duration_from_json(*e, "exec_timeout");
    if (!d) {
      return d.error();
    }
    c->exec_timeout = *d;
  }
  if (auto h = body.find("headers"); h != body.end() && !h->is_null()) {
    if (!h->is_object()) {
      return field_error("headers", "expected an object of strings");
    }
    for (const auto& [k, v] : h->items()) {
      if (!v.is_string()) {
        return field_error("headers." + k, "expected a string");
      }
      c->request.headers.emplace_back(k, v.get<std::string>());
    }
  }
  return {};
}

Status read_dependencies(ApiContext& ctx, const json& body, Call* c) {
  if (auto n = body.find("needs"); n != body.end() && !n->is_null()) {
    if (!n->is_array()) {
      return field_error("needs", "expected an array of call ids");
    }
    for (const auto& id : *n) {
      if (!id.is_string()) {
        return field_error("needs", "expected an array of call ids");
      }
      auto full = resolve_call_id(ctx.store, id.get<std::string>());
      if (!full) {
        return make_error(full.error().kind, "needs: " + full.error().message);
      }
      c->needs.push_back(*full);
    }
  }
  auto from = read_opt_string(body, "input_from");
  if (!from) {
    return from.error();
  }
  if (*from) {
    auto full = resolve_call_id(ctx.store, **from);
    if (!full) {
      return make_error(full.error().kind, "input_from: " + full.error().message);
    }
    c->input_from = *full;
  }
  return {};
}

bool is_private_header(const std::string& name) {
  // Credentials and httplib's own pseudo-headers never reach the function.
  for (const char* h : {"Authorization", "Proxy-Authorization", "Cookie", "REMOTE_ADDR",
                        "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"}) {
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
  h.erase(std::remove_if(h.begin(), h.end(), [](const auto& kv) { return is_private_header(kv.first); }),
          h.end());
}

const char* k_call_fields[] = {"function", "input",       "input_base64", "priority", "delay",
                               "run_at",   "needs",       "input_from",   "key",      "callback_url",
                               "exec_timeout", "max_retries", "headers",  "sync"};

}  // namespace

Result<SubmitRequest> submit_request_from_json(ApiContext& ctx, const json& body) {
  if (!body.is_object()) {
    return make_error(ErrorKind::invalid_input, "expected a JSON object describing the call");
  }
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (const char* f : k_call_fields) {
      known = known || key == f;
    }
    if (!known) {
      return field_error(key, "unknown field");
    }
  }
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
  FNQ_TRY(read_dependencies(ctx, body, &c));
  auto key = read_opt_string(body, "key");
  auto cb = read_opt_string(body, "callback_url");
  if (!key || !cb) {
    return !key ? key.error() : cb.error();
  }
  c.key = *key;
  if (*cb) {
    c.callback = CallbackInfo{**cb, "pending", 0, std::nullopt};
  }
  return out;
}

Result<std::vector<SubmitResult>> submit_calls(ApiContext& ctx, std::vector<SubmitRequest> requests) {
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
    auto f = ctx.functions.find(c.function);
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
  auto results = ctx.store.submit(std::move(batch));
  if (!results) {
    return results;
  }
  std::vector<std::string> terminal;
  std::optional<std::int64_t> earliest_due;
  for (const auto& r : *results) {
    if (r.existing) {
      continue;  // nothing new for the scheduler
    }
    if (is_terminal(r.call.state)) {
      terminal.push_back(r.call.id);  // skipped at once: a dependency had failed
    } else {
      earliest_due = std::min(earliest_due.value_or(r.call.run_at), r.call.run_at);
    }
  }
  ctx.calls_terminal(terminal);
  if (earliest_due) {
    ctx.scheduler.wake_for_due(*earliest_due);
  }
  return results;
}

}  // namespace fnq
