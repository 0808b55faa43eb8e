// The OpenFaaS-compatible routes: /async-function/{name} and /function/{name}.
#include <cstdio>
#include <cstring>

#include "common/encoding.h"
#include "common/ranges.h"
#include "common/timeutil.h"
#include "daemon/api/context.h"
#include "daemon/api/http_server.h"
#include "daemon/log.h"

namespace fnq {

namespace {

const char* const k_function_path = R"(/function/([^/?]+)(/[^?]*)?)";
const char* const k_async_path = R"(/async-function/([^/?]+)(/[^?]*)?)";

// What a call is made of, from httplib's request or the loop's.
struct FunctionRequest {
  std::string name;  // the function
  const httplib::Headers& headers;
  std::string body;
  RequestInfo info;  // method, path below the name, query, headers
};

// The request as a call keeps it; query from the target, after its '?'.
// Empty header values are left out, as httplib's parser leaves them out.
RequestInfo request_info(std::string method, std::string path, std::string_view target,
                         const httplib::Headers& headers) {
  RequestInfo info;
  info.method = std::move(method);
  info.path = std::move(path);
  auto q = target.find('?');
  if (q != std::string_view::npos) {
    info.query = std::string(target.substr(q + 1));
  }
  for (const auto& [k, v] : headers) {
    if (!v.empty()) {
      info.headers.emplace_back(k, v);  // submit_calls drops the private ones
    }
  }
  return info;
}

// The call keeps its request as JSON text: a header (or path, or query)
// that is not UTF-8 is refused by name, not stored mangled.
Status check_text(const FunctionRequest& req) {
  for (const auto& [k, v] : req.headers) {
    if (!is_valid_utf8(k) || !is_valid_utf8(v)) {
      return make_error(ErrorKind::invalid_input,
                        "header '" + (is_valid_utf8(k) ? k : std::string("?")) +
                            "': not UTF-8 text; fnq keeps a call's headers as text");
    }
  }
  if (!is_valid_utf8(req.info.path) || !is_valid_utf8(req.info.query)) {
    return make_error(ErrorKind::invalid_input,
                      "the request's path or query is not UTF-8 text (percent-encode it)");
  }
  return {};
}

// Builds a call from an OpenFaaS-style request: the body is the input,
// options come from headers.
Result<SubmitRequest> call_from_request(ApiContext& ctx, FunctionRequest req, bool sync,
                                        Lookup lookup = Lookup::may_wait) {
  FNQ_TRY(check_text(req));
  json body = {{"function", req.name}};
  auto header = [&](const char* name) { return header_value(req.headers, name); };
  if (auto v = header("X-Callback-Url"); !v.empty()) {
    body["callback_url"] = v;
  }
  if (auto v = header("Idempotency-Key"); !v.empty()) {
    body["key"] = v;
  }
  if (auto v = header("X-Fnq-Delay"); !v.empty()) {
    body["delay"] = v;
  }
  if (auto v = header("X-Fnq-Priority"); !v.empty()) {
    try {
      // Read wide; the JSON reader checks the range and names it.
      std::size_t used = 0;
      body["priority"] = std::stoll(v, &used);
      if (used != v.size()) {
        throw std::invalid_argument(v);
      }
    } catch (const std::out_of_range&) {
      return make_error(ErrorKind::invalid_input,
                        "X-Fnq-Priority: expected an integer from " +
                            std::to_string(k_priority_range.min) + " to " +
                            std::to_string(k_priority_range.max) + ", got '" + v + "'");
    } catch (const std::exception&) {
      return make_error(ErrorKind::invalid_input,
                        "X-Fnq-Priority: expected an integer, got '" + v + "'");
    }
  }
  if (auto v = header("X-Fnq-Needs"); !v.empty()) {
    json needs = json::array();
    std::size_t start = 0;
    while (start <= v.size()) {
      auto comma = v.find(',', start);
      std::string id =
          v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      id.erase(0, id.find_first_not_of(' '));
      id.erase(id.find_last_not_of(' ') + 1);
      if (!id.empty()) {
        needs.push_back(id);
      }
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
    body["needs"] = needs;
  }
  body["sync"] = sync;
  FNQ_TRY_ASSIGN(auto r, submit_request_from_json(ctx, body, lookup));
  r.new_call.input = std::move(req.body);
  r.new_call.call.request = std::move(req.info);
  return r;
}

Result<SubmitRequest> call_from_request(ApiContext& ctx, const httplib::Request& req, bool sync) {
  std::string path = req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
  return call_from_request(ctx,
                           FunctionRequest{std::string(req.matches[1]), req.headers, req.body,
                                           request_info(req.method, path, req.target, req.headers)},
                           sync);
}

// Names the header rather than the JSON field the header became.
Error with_header_names(Error e) {
  static const std::pair<const char*, const char*> k_fields[] = {
      {"callback_url: ", "X-Callback-Url: "},
      {"key: ", "Idempotency-Key: "},
      {"delay: ", "X-Fnq-Delay: "},
      {"needs: ", "X-Fnq-Needs: "},
      {"priority: ", "X-Fnq-Priority: "}};
  for (const auto& [field, header] : k_fields) {
    if (e.message.rfind(field, 0) == 0) {
      e.message = header + e.message.substr(std::strlen(field));
      break;
    }
  }
  return e;
}

void log_submitted(const SubmitResult& r, bool sync) {
  log_line("call " + r.call.id + " " + r.call.function +
           (r.existing ? " already exists for key" : " " + std::string(to_string(r.call.state))) +
           (sync ? " (function, sync)" : " (async-function)"));
}

// {"id": ...}: 202, or 200 for an idempotent repeat.
void write_async_answer(httplib::Response& res, const SubmitResult& r) {
  res.set_header("X-Call-Id", r.call.id);
  write_json(res, r.existing ? 200 : 202, json{{"id", r.call.id}});
}

Result<SubmitResult> submit_from_request(ApiContext& ctx, const httplib::Request& req, bool sync) {
  auto call = call_from_request(ctx, req, sync);
  if (!call) {
    return with_header_names(call.error());
  }
  std::vector<SubmitRequest> batch;
  batch.push_back(std::move(*call));
  auto results = submit_calls(ctx, std::move(batch));
  if (!results) {
    return with_header_names(results.error());
  }
  log_submitted(results->front(), sync);
  return results->front();
}

Status async_function(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  FNQ_TRY_ASSIGN(auto r, submit_from_request(ctx, req, false));
  write_async_answer(res, r);
  return {};
}

// OpenFaaS answers 405 to anything but POST here, with Allow.
Status async_not_allowed(ApiContext&, const httplib::Request& req, httplib::Response& res) {
  res.set_header("Allow", "POST");
  write_error(res, 405, "method " + req.method + " not allowed on /async-function/ (use POST)");
  return {};
}

int status_for(CallState state) {
  switch (state) {
    case CallState::succeeded: return 200;
    case CallState::failed: return 500;
    case CallState::timed_out: return 504;
    default: return 409;  // cancelled, skipped
  }
}

// Submits the call, then waits for it parked (see wait_for_calls): the run
// after parking finds the call's ID in the exchange and does not submit again.
Status sync_function(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Exchange* exchange = current_exchange();
  Call submitted;
  if (exchange != nullptr && !exchange->resumed_note.empty()) {
    exchange->park_note = exchange->resumed_note;  // should it park again
    FNQ_TRY_ASSIGN(submitted, ctx.store.get_call(exchange->resumed_note));
  } else {
    FNQ_TRY_ASSIGN(auto r, submit_from_request(ctx, req, true));
    submitted = std::move(r.call);
    if (exchange != nullptr) {
      exchange->park_note = submitted.id;
    }
  }
  res.set_header("X-Call-Id", submitted.id);
  auto f = ctx.functions.find(submitted.function);
  Millis wait = f && f->write_timeout ? *f->write_timeout : ctx.config.write_timeout;
  if (wait.count() == 0) {
    wait = k_unlimited_wait;  // 0: no limit
  }
  FNQ_TRY_ASSIGN(auto calls, wait_for_calls(ctx, {submitted.id}, wait));
  const Call& c = calls.front();
  if (!is_terminal(c.state)) {
    write_json(res, 202, json{{"id", c.id}, {"state", to_string(c.state)}});
    return {};
  }
  FNQ_TRY_ASSIGN(auto output, ctx.store.get_output(c.id));
  // As a shell reports it: the exit status, or 128+N after signal N; absent
  // when the call never ran (skipped, cancelled while waiting).
  if (c.exit_code) {
    res.set_header("X-Exit-Code", std::to_string(*c.exit_code));
  } else if (c.signal) {
    res.set_header("X-Exit-Code", std::to_string(128 + *c.signal));
  }
  res.set_header("X-Fnq-State", to_string(c.state));
  char secs[32];
  std::snprintf(secs, sizeof secs, "%f", static_cast<double>(duration_ms(c).value_or(0)) / 1000.0);
  res.set_header("X-Duration-Seconds", secs);
  res.status = status_for(c.state);
  res.set_content(output, "application/octet-stream");
  return {};
}

const char* const k_async_route = "/async-function/{name}";

}  // namespace

bool async_function_on_loop(ApiContext& ctx, const HttpServer& server, const LoopRequest& r,
                            LoopAnswer answer) {
  static constexpr std::string_view k_prefix = "/async-function/";
  const RequestHead& head = r.head;
  if (head.target.compare(0, k_prefix.size(), k_prefix) != 0 || !loop_may_take(ctx, r)) {
    return false;
  }
  std::string_view rest = std::string_view(head.target).substr(k_prefix.size());
  auto query = rest.find('?');
  std::string_view path = rest.substr(0, query);
  auto slash = path.find('/');
  std::string name(path.substr(0, slash));
  if (name.empty()) {
    return false;
  }
  RequestInfo info = request_info(
      head.method,
      slash == std::string_view::npos ? std::string() : std::string(path.substr(slash)),
      head.target, head.headers);
  std::vector<NewCall> batch;
  try {
    auto call = call_from_request(
        ctx, FunctionRequest{name, head.headers, std::string(r.body), std::move(info)}, false,
        Lookup::cached_only);
    if (!call) {
      return false;
    }
    std::vector<SubmitRequest> one;
    one.push_back(std::move(*call));
    auto prepared = prepare_calls(ctx, std::move(one), Lookup::cached_only);
    if (!prepared) {
      return false;
    }
    batch = std::move(*prepared);
    // Made here, on the loop's thread, rather than on the store's.
    batch.front().request_json = to_json(batch.front().call.request).dump();
  } catch (const std::exception&) {
    return false;  // as above: a worker serves it, and reports what went wrong
  }
  std::string target_path(k_prefix);
  target_path += path;
  submit_on_loop(ctx, server, r, std::move(batch), k_async_route, std::move(target_path),
                 std::move(answer),
                 [](httplib::Response& res, Result<std::vector<SubmitResult>> results) {
                   if (!results) {
                     return write_error(res, with_header_names(results.error()));
                   }
                   log_submitted(results->front(), false);
                   write_async_answer(res, results->front());
                   return std::string();
                 });
  return true;
}

void register_openfaas_routes(httplib::Server& s, ApiContext& ctx) {
  const std::string async_route = k_async_route;
  add_route(s, ctx, "POST", k_async_path, async_route, async_function);
  for (const char* method : {"GET", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    add_route(s, ctx, method, k_async_path, async_route, async_not_allowed);
  }
  for (const char* method : {"POST", "GET", "PUT", "DELETE", "PATCH"}) {
    add_route(s, ctx, method, k_function_path, "/function/{name}", sync_function);
  }
}

}  // namespace fnq
