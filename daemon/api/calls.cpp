// /v1/calls, /v1/await, /v1/prune: fnq's own API for calls.
#include "common/encoding.h"
#include "common/json_fields.h"
#include "common/ranges.h"
#include "common/timeutil.h"
#include "daemon/api/call_search.h"
#include "daemon/api/context.h"
#include "daemon/api/http_server.h"
#include "daemon/callbacks.h"
#include "daemon/log.h"

namespace fnq {

namespace {

constexpr int k_max_batch = 1'000'000;
constexpr Millis k_default_await{30'000};

// A batch submitted at once past this size gives its memory back (below).
constexpr std::size_t k_trim_after_batch = 10'000;

// {"calls": [...]}, as write_json writes it, one call at a time: a DOM of a
// large batch's answer took ~2.5 KB per call (250 MB for 100,000). With
// ids_only (?fields=id), each call is {"id": ...}: what `fnq submit --lines`
// needs, a tenth of the bytes to write and for the client to parse.
void write_calls(httplib::Response& res, int status, const std::vector<SubmitResult>& results,
                 bool ids_only) {
  std::string out = "{\"calls\":[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    json call = ids_only ? json{{"id", results[i].call.id}} : to_json(results[i].call);
    out += call.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  out += "]}\n";
  res.status = status;
  res.set_content("", 0, "application/json");
  res.body = std::move(out);
}

// The answer to calls submitted to /v1/calls, and its log line: for a batch,
// {"calls": [...]}; for one call, the call (or {"id": ...}), 202, or 200
// when its idempotency key had made it already.
void write_submitted(httplib::Response& res, const std::vector<SubmitResult>& results, bool batch,
                     bool ids_only) {
  if (batch) {
    log_line("submitted " + std::to_string(results.size()) + " calls in one batch");
    write_calls(res, 202, results, ids_only);
    return;
  }
  const auto& r = results.front();
  log_line("call " + r.call.id + " " + r.call.function +
           (r.existing ? " already exists for key " + r.call.key.value_or("")
                       : " " + std::string(to_string(r.call.state))));
  res.set_header("X-Call-Id", r.call.id);
  write_json(res, r.existing ? 200 : 202, ids_only ? json{{"id", r.call.id}} : to_json(r.call));
}

// The calls a /v1/calls body asks for: {"calls": [...]} (a batch) or one call.
struct BodyCalls {
  std::vector<SubmitRequest> requests;
  bool batch = false;
};

Result<BodyCalls> calls_from_body(ApiContext& ctx, const json& body, Lookup lookup) {
  BodyCalls out;
  out.batch = body.is_object() && body.contains("calls");
  if (!out.batch) {
    FNQ_TRY_ASSIGN(auto r, submit_request_from_json(ctx, body, lookup));
    out.requests.push_back(std::move(r));
    return out;
  }
  FNQ_TRY(check_known_fields(body, {"calls"}));  // a field beside the calls is not theirs
  const json& list = body["calls"];
  if (!list.is_array() || list.empty() || list.size() > k_max_batch) {
    return make_error(ErrorKind::invalid_input, "calls: expected a non-empty array of calls");
  }
  out.requests.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto r = submit_request_from_json(ctx, list[i], lookup);
    if (!r) {
      return make_error(r.error().kind, "calls[" + std::to_string(i) + "]." + r.error().message);
    }
    out.requests.push_back(std::move(*r));
  }
  return out;
}

Status submit_from_body(ApiContext& ctx, const httplib::Request& req, httplib::Response& res,
                        std::size_t* submitted) {
  bool ids_only = req.has_param("fields");
  if (ids_only && req.get_param_value("fields") != "id") {
    return make_error(ErrorKind::invalid_input, "fields: only 'id' is supported");
  }
  FNQ_TRY_ASSIGN(auto body, parse_json_body(req));
  FNQ_TRY_ASSIGN(auto calls, calls_from_body(ctx, body, Lookup::may_wait));
  FNQ_TRY_ASSIGN(auto results, submit_calls(ctx, std::move(calls.requests)));
  *submitted = results.size();
  write_submitted(res, results, calls.batch, ids_only);
  return {};
}

// POST /v1/calls taken by the loop (http_server.h, LoopHandler), as
// async_function_on_loop takes /async-function/: what `fnq submit` sends.
// It takes a body of at most k_loop_body bytes (a JSON DOM costs many times
// its text, and this runs on the loop's thread) that submits without an
// error and without a wait (Lookup::cached_only: no call named by a prefix,
// a function the registry has cached); it declines the rest, and httplib's
// route answers them, errors included.
constexpr std::size_t k_loop_body = 64 * 1024;

}  // namespace

bool post_calls_on_loop(ApiContext& ctx, const HttpServer& server, const LoopRequest& r,
                        LoopAnswer answer) {
  const std::string& target = r.head.target;
  bool ids_only = target == "/v1/calls?fields=id";
  if ((target != "/v1/calls" && !ids_only) || r.body.size() > k_loop_body ||
      !loop_may_take(ctx, r)) {
    return false;
  }
  std::vector<NewCall> prepared;
  bool batch = false;
  try {
    auto body = parse_json_body(r.body);
    if (!body) {
      return false;
    }
    auto calls = calls_from_body(ctx, *body, Lookup::cached_only);
    if (!calls) {
      return false;
    }
    batch = calls->batch;
    auto checked = prepare_calls(ctx, std::move(calls->requests), Lookup::cached_only);
    if (!checked) {
      return false;
    }
    prepared = std::move(*checked);
  } catch (const std::exception&) {
    return false;  // a worker serves it, and reports what went wrong
  }
  submit_on_loop(
      ctx, server, r, std::move(prepared), "/v1/calls", "/v1/calls", std::move(answer),
      [batch, ids_only](httplib::Response& res, Result<std::vector<SubmitResult>> results) {
        if (!results) {
          return write_error(res, results.error());
        }
        write_submitted(res, *results, batch, ids_only);
        return std::string();
      });
  return true;
}

namespace {

Status post_calls(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::size_t submitted = 0;
  Status status = submit_from_body(ctx, req, res, &submitted);
  if (submitted >= k_trim_after_batch) {
    // The batch's parsed JSON, calls and answer would stay with the
    // allocator, which keeps what threads freed for their next allocations:
    // without this, each thread that served a big batch kept its high-water
    // mark (measured on glibc's malloc: 6 GiB resident after ten batches of
    // 100,000).
    give_back_memory_after_answer();
  }
  return status;
}

Status get_call(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  FNQ_TRY_ASSIGN(auto id, resolve_call_id(ctx.store, req.matches[1]));
  FNQ_TRY_ASSIGN(auto wait, wait_param(req, "wait"));
  FNQ_TRY_ASSIGN(auto calls, wait_for_calls(ctx, {id}, long_poll_wait(ctx, wait)));
  write_json(res, 200, to_json(calls.front()));
  return {};
}

Status get_blob(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  FNQ_TRY_ASSIGN(auto id, resolve_call_id(ctx.store, req.matches[1]));
  std::string kind = req.matches[2];
  FNQ_TRY_ASSIGN(auto bytes, kind == "output"   ? ctx.store.get_output(id)
                             : kind == "stderr" ? ctx.store.get_stderr(id)
                                                : ctx.store.get_input(id));
  res.status = 200;
  res.set_header("X-Call-Id", id);
  res.set_content(bytes, "application/octet-stream");
  return {};
}

// Puts the call's output into j while the answer's outputs stay within
// budget; past it, marks j with "output_omitted" so the client fetches
// /v1/calls/{id}/output itself. One answer must not hold every output.
Status add_output(ApiContext& ctx, const Call& c, json& j, std::uint64_t& budget) {
  if (c.output_size > budget) {
    j["output_omitted"] = true;
    return {};
  }
  FNQ_TRY_ASSIGN(auto out, ctx.store.get_output(c.id));
  std::string field = is_valid_utf8(out) ? "output" : "output_base64";
  std::string text = field == "output" ? std::move(out) : base64_encode(out);
  if (text.size() > budget) {
    j["output_omitted"] = true;
    return {};
  }
  budget -= text.size();
  j[field] = std::move(text);
  return {};
}

// {"ids": [...], "timeout": D, "output": bool}
Status post_await(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  FNQ_TRY_ASSIGN(auto body, parse_json_body(req));
  auto ids_json = body.is_object() ? body.find("ids") : body.end();
  if (!body.is_object() || ids_json == body.end() || !ids_json->is_array()) {
    return make_error(ErrorKind::invalid_input, "ids: required, an array of call ids");
  }
  FNQ_TRY(check_known_fields(body, {"ids", "timeout", "output"}));
  std::optional<Millis> timeout;
  std::optional<bool> output;
  FNQ_TRY(read_duration(body, "timeout", &timeout));
  FNQ_TRY(read_bool(body, "output", &output));
  bool with_output = output.value_or(false);
  std::vector<std::string> ids;
  for (const auto& v : *ids_json) {
    if (!v.is_string()) {
      return make_error(ErrorKind::invalid_input, "ids: expected an array of call ids");
    }
    FNQ_TRY_ASSIGN(auto id, resolve_call_id(ctx.store, v.get<std::string>()));
    ids.push_back(id);
  }
  FNQ_TRY_ASSIGN(auto calls,
                 wait_for_calls(ctx, ids, long_poll_wait(ctx, timeout.value_or(k_default_await))));
  bool done = true;
  json list = json::array();
  std::uint64_t budget = ctx.config.max_body;  // for inline outputs, all calls together
  for (const auto& c : calls) {
    done = done && is_terminal(c.state);
    json j = to_json(c);
    if (with_output) {
      FNQ_TRY(add_output(ctx, c, j, budget));
    }
    list.push_back(std::move(j));
  }
  write_json(res, 200, json{{"done", done}, {"calls", list}});
  return {};
}

Status post_cancel(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  FNQ_TRY_ASSIGN(auto id, resolve_call_id(ctx.store, req.matches[1]));
  FNQ_TRY_ASSIGN(auto result, ctx.scheduler.cancel(id));
  FNQ_TRY_ASSIGN(auto call, ctx.store.get_call(id));
  write_json(res, 200, json{{"result", to_string(result)}, {"call", to_json(call)}});
  return {};
}

Status post_retry(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (ctx.shutting_down) {
    return make_error(ErrorKind::shutting_down, "fnqd is shutting down; not accepting calls");
  }
  FNQ_TRY_ASSIGN(auto id, resolve_call_id(ctx.store, req.matches[1]));
  FNQ_TRY_ASSIGN(auto call, ctx.store.retry(id, now_ms()));
  log_line("call " + id + " queued again by request");
  ctx.scheduler.wake();
  res.set_header("X-Call-Id", id);
  write_json(res, 202, to_json(call));
  return {};
}

Status list_calls(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  CallFilter filter;
  if (req.has_param("state")) {
    filter.state = parse_call_state(req.get_param_value("state"));
    if (!filter.state) {
      return make_error(ErrorKind::invalid_input,
                        "state: unknown state '" + req.get_param_value("state") + "'");
    }
  }
  if (req.has_param("function")) {
    filter.function = req.get_param_value("function");
  }
  if (req.has_param("pipeline")) {
    filter.pipeline = req.get_param_value("pipeline");
  }
  if (req.has_param("before")) {
    filter.before = req.get_param_value("before");
  }
  FNQ_TRY_ASSIGN(filter.limit, limit_param(req, filter.limit));
  if (req.has_param("text") && !req.get_param_value("text").empty()) {
    FNQ_TRY_ASSIGN(auto page, search_calls(ctx, filter, req.get_param_value("text")));
    json found = json::array();
    for (const auto& c : page.calls) {
      found.push_back(to_json(c));
    }
    write_json(res, 200,
               json{{"calls", found},
                    {"next_before", page.next_before ? json(*page.next_before) : json(nullptr)},
                    {"examined", page.examined}});
    return {};
  }
  FNQ_TRY_ASSIGN(auto calls, ctx.store.list_calls(filter));
  json list = json::array();
  for (const auto& c : calls) {
    list.push_back(to_json(c));
  }
  json next =
      static_cast<int>(calls.size()) == filter.limit ? json(calls.back().id) : json(nullptr);
  write_json(res, 200, json{{"calls", list}, {"next_before", next}});
  return {};
}

Status post_prune(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Millis older_than = ctx.config.retention;
  if (!req.body.empty()) {
    FNQ_TRY_ASSIGN(auto body, parse_json_body(req));
    if (!body.is_object()) {
      return make_error(ErrorKind::invalid_input,
                        "expected a JSON object like {\"older_than\": \"7d\"}");
    }
    FNQ_TRY(check_known_fields(body, {"older_than"}));
    std::optional<Millis> given;
    FNQ_TRY(read_duration(body, "older_than", &given));
    older_than = given.value_or(older_than);
  }
  std::int64_t cut = time_before(now_ms(), older_than);
  std::int64_t total = 0;
  for (;;) {
    FNQ_TRY_ASSIGN(auto n, ctx.store.prune(cut, 1000));
    total += n;
    if (n < 1000) {
      break;
    }
  }
  log_line("pruned " + std::to_string(total) + " finished call(s) older than " +
           format_duration(older_than) + " by request");
  write_json(res, 200, json{{"deleted", total}});
  return {};
}

}  // namespace

Result<Millis> wait_param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) {
    return Millis(0);
  }
  auto d = parse_duration(req.get_param_value(name));
  if (!d) {
    return make_error(ErrorKind::invalid_input, std::string(name) + ": " + d.error().message);
  }
  return *d;
}

Result<int> limit_param(const httplib::Request& req, int fallback) {
  if (!req.has_param("limit")) {
    return fallback;
  }
  const std::string text = req.get_param_value("limit");
  std::int64_t value = 0;
  bool digits = !text.empty() && text.size() <= 10;
  for (char ch : text) {
    digits = digits && ch >= '0' && ch <= '9';
  }
  if (digits) {
    value = std::stoll(text);
  }
  if (!digits || !k_list_limit_range.contains(value)) {
    return make_error(
        ErrorKind::invalid_input,
        "limit: expected an integer " + range_text(k_list_limit_range) + ", not '" + text + "'");
  }
  return static_cast<int>(value);
}

void register_call_routes(httplib::Server& s, ApiContext& ctx) {
  const std::string id = "([^/]+)";
  add_route(s, ctx, "POST", "/v1/calls", "/v1/calls", post_calls);
  add_route(s, ctx, "GET", "/v1/calls", "/v1/calls", list_calls);
  add_route(s, ctx, "GET", "/v1/calls/" + id, "/v1/calls/{id}", get_call);
  add_route(s, ctx, "GET", "/v1/calls/" + id + "/(output|stderr|input)", "/v1/calls/{id}/output",
            get_blob);
  add_route(s, ctx, "POST", "/v1/calls/" + id + "/cancel", "/v1/calls/{id}/cancel", post_cancel);
  add_route(s, ctx, "POST", "/v1/calls/" + id + "/retry", "/v1/calls/{id}/retry", post_retry);
  add_route(s, ctx, "POST", "/v1/await", "/v1/await", post_await);
  add_route(s, ctx, "POST", "/v1/prune", "/v1/prune", post_prune);
}

}  // namespace fnq
