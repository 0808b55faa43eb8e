// The OpenFaaS-compatible routes: /async-function/{name} and /function/{name}.
#include <cstdio>

#include "common/timeutil.h"
#include "daemon/api/context.h"
#include "daemon/log.h"

namespace fnq {

namespace {

const char* const k_function_path = R"(/function/([^/?]+)(/[^?]*)?)";
const char* const k_async_path = R"(/async-function/([^/?]+)(/[^?]*)?)";

bool is_private_header(const std::string& name) {
  // Credentials and httplib's own pseudo-headers never reach the function.
  for (const char* h : {"Authorization", "Cookie", "REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR",
                        "LOCAL_PORT"}) {
    if (strcasecmp(name.c_str(), h) == 0) {
      return true;
    }
  }
  return false;
}

RequestInfo request_info(const httplib::Request& req) {
  RequestInfo info;
  info.method = req.method;
  info.path = req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
  auto q = req.target.find('?');
  if (q != std::string::npos) {
    info.query = req.target.substr(q + 1);
  }
  for (const auto& [k, v] : req.headers) {
    if (!is_private_header(k)) {
      info.headers.emplace_back(k, v);
    }
  }
  return info;
}

// Builds a call from an OpenFaaS-style request: the body is the input,
// options come from headers.
Result<SubmitRequest> call_from_request(ApiContext& ctx, const httplib::Request& req, bool sync) {
  json body = {{"function", std::string(req.matches[1])}};
  auto header = [&](const char* name) { return req.get_header_value(name); };
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
      std::size_t used = 0;
      body["priority"] = std::stoi(v, &used);
      if (used != v.size()) {
        throw std::invalid_argument(v);
      }
    } catch (const std::exception&) {
      return make_error(ErrorKind::invalid_input, "X-Fnq-Priority: expected an integer, got '" + v + "'");
    }
  }
  if (auto v = header("X-Fnq-Needs"); !v.empty()) {
    json needs = json::array();
    std::size_t start = 0;
    while (start <= v.size()) {
      auto comma = v.find(',', start);
      std::string id = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
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
  auto r = submit_request_from_json(ctx, body);
  if (!r) {
    // Name the header rather than the JSON field the header became.
    return r.error();
  }
  r->new_call.input = req.body;
  r->new_call.call.request = request_info(req);
  return r;
}

Status async_function(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto call = call_from_request(ctx, req, false);
  if (!call) {
    return call.error();
  }
  std::vector<SubmitRequest> batch;
  batch.push_back(std::move(*call));
  auto results = submit_calls(ctx, std::move(batch));
  if (!results) {
    return results.error();
  }
  const auto& r = results->front();
  log_line("call " + r.call.id + " " + r.call.function +
           (r.existing ? " already exists for key" : " " + std::string(to_string(r.call.state))) +
           " (async-function)");
  res.set_header("X-Call-Id", r.call.id);
  write_json(res, r.existing ? 200 : 202, json{{"id", r.call.id}});
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

Status sync_function(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto call = call_from_request(ctx, req, true);
  if (!call) {
    return call.error();
  }
  std::vector<SubmitRequest> batch;
  batch.push_back(std::move(*call));
  auto results = submit_calls(ctx, std::move(batch));
  if (!results) {
    return results.error();
  }
  const Call& submitted = results->front().call;
  res.set_header("X-Call-Id", submitted.id);
  auto f = ctx.functions.find(submitted.function);
  Millis wait = f && f->write_timeout ? *f->write_timeout : ctx.config.write_timeout;
  auto calls = wait_for_calls(ctx, {submitted.id}, wait);
  if (!calls) {
    return calls.error();
  }
  const Call& c = calls->front();
  if (!is_terminal(c.state)) {
    write_json(res, 202, json{{"id", c.id}, {"state", to_string(c.state)}});
    return {};
  }
  auto output = ctx.store.get_output(c.id);
  if (!output) {
    return output.error();
  }
  if (c.exit_code) {
    res.set_header("X-Exit-Code", std::to_string(*c.exit_code));
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%f", static_cast<double>(duration_ms(c).value_or(0)) / 1000.0);
  res.set_header("X-Duration-Seconds", secs);
  res.status = status_for(c.state);
  res.set_content(*output, "application/octet-stream");
  return {};
}

}  // namespace

void register_openfaas_routes(httplib::Server& s, ApiContext& ctx) {
  s.Post(k_async_path, guarded(ctx, "/async-function/{name}", async_function));
  auto not_allowed = [&ctx](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", "POST");
    write_json(res, 405, json{{"error", "method " + req.method + " not allowed on /async-function/ (use POST)"}});
    ctx.metrics.http_request("/async-function/{name}", 405);
  };
  s.Get(k_async_path, not_allowed);
  s.Put(k_async_path, not_allowed);
  s.Delete(k_async_path, not_allowed);
  s.Patch(k_async_path, not_allowed);
  s.Options(k_async_path, not_allowed);
  auto sync = guarded(ctx, "/function/{name}", sync_function);
  s.Post(k_function_path, sync);
  s.Get(k_function_path, sync);
  s.Put(k_function_path, sync);
  s.Delete(k_function_path, sync);
  s.Patch(k_function_path, sync);
}

}  // namespace fnq
