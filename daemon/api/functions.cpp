// /v1/functions: registering, reading and removing functions.
#include "common/timeutil.h"
#include "daemon/api/context.h"
#include "daemon/callbacks.h"
#include "daemon/log.h"

namespace fnq {

namespace {

Status list_functions(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  json list = json::array();
  for (const auto& f : ctx.functions.all()) {
    list.push_back(to_json(f));
  }
  write_json(res, 200, json{{"functions", list}});
  return {};
}

Status get_function(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto f = ctx.functions.find(req.matches[1]);
  if (!f) {
    return make_error(ErrorKind::not_found,
                      "unknown function '" + std::string(req.matches[1]) + "'");
  }
  write_json(res, 200, to_json(*f));
  return {};
}

Status put_function(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string name = req.matches[1];
  FNQ_TRY_ASSIGN(auto body, parse_json_body(req));
  if (body.is_object() && !body.contains("name")) {
    body["name"] = name;
  }
  FNQ_TRY_ASSIGN(auto f, function_from_json(body));
  if (f.name != name) {
    return make_error(ErrorKind::invalid_input,
                      "name: '" + f.name + "' does not match the URL's '" + name + "'");
  }
  if (f.callback_url) {
    FNQ_TRY(ctx.callbacks.check_url(*f.callback_url));
  }
  FNQ_TRY_ASSIGN(auto created, ctx.functions.put(f));
  log_line(std::string("function ") + name + (created ? " registered" : " updated"));
  ctx.scheduler.wake();  // a raised concurrency may let calls start
  write_json(res, created ? 201 : 200, to_json(f));
  return {};
}

Status delete_function(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string name = req.matches[1];
  bool force = req.get_param_value("force") == "true" || req.get_param_value("force") == "1";
  FNQ_TRY_ASSIGN(auto result, ctx.functions.remove(name, force, now_ms()));
  ctx.scheduler.kill_running(result.running_ids);
  ctx.calls_terminal(result.terminal_ids, CallbackDue::maybe);
  json cancelled = json::array();
  for (const auto& id : result.terminal_ids) {
    log_line("call " + id + " " + name + " cancelled: its function was deleted");
    cancelled.push_back(id);
  }
  for (const auto& id : result.running_ids) {
    log_line("call " + id + " " + name + " cancelling: its function was deleted");
    cancelled.push_back(id);
  }
  log_line("function " + name + " removed" +
           (cancelled.empty()
                ? std::string()
                : "; " + std::to_string(cancelled.size()) + " unfinished call(s) cancelled"));
  write_json(res, 200, json{{"deleted", name}, {"cancelled", cancelled}});
  return {};
}

}  // namespace

void register_function_routes(httplib::Server& s, ApiContext& ctx) {
  add_route(s, ctx, "GET", "/v1/functions", "/v1/functions", list_functions);
  add_route(s, ctx, "GET", "/v1/functions/([^/]+)", "/v1/functions/{name}", get_function);
  add_route(s, ctx, "PUT", "/v1/functions/([^/]+)", "/v1/functions/{name}", put_function);
  add_route(s, ctx, "DELETE", "/v1/functions/([^/]+)", "/v1/functions/{name}", delete_function);
}

}  // namespace fnq
