// /v1/functions: registering, reading and removing functions.
#include "common/timeutil.h"
#include "daemon/api/context.h"
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
    return make_error(ErrorKind::not_found, "unknown function '" + std::string(req.matches[1]) + "'");
  }
  write_json(res, 200, to_json(*f));
  return {};
}

Status put_function(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string name = req.matches[1];
  auto body = parse_json_body(req);
  if (!body) {
    return body.error();
  }
  if (body->is_object() && !body->contains("name")) {
    (*body)["name"] = name;
  }
  auto f = function_from_json(*body);
  if (!f) {
    return f.error();
  }
  if (f->name != name) {
    return make_error(ErrorKind::invalid_input,
                      "name: '" + f->name + "' does not match the URL's '" + name + "'");
  }
  auto created = ctx.functions.put(*f);
  if (!created) {
    return created.error();
  }
  log_line(std::string("function ") + name + (*created ? " registered" : " updated"));
  ctx.scheduler.wake();  // a raised concurrency may let calls start
  write_json(res, *created ? 201 : 200, to_json(*f));
  return {};
}

Status delete_function(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string name = req.matches[1];
  bool force = req.get_param_value("force") == "true" || req.get_param_value("force") == "1";
  auto result = ctx.functions.remove(name, force, now_ms());
  if (!result) {
    return result.error();
  }
  ctx.scheduler.kill_running(result->running_ids);
  if (!result->terminal_ids.empty()) {
    ctx.watch.notify(result->terminal_ids);
  }
  log_line("function " + name + " removed" +
           (result->terminal_ids.empty() && result->running_ids.empty()
                ? std::string()
                : "; " + std::to_string(result->terminal_ids.size() + result->running_ids.size()) +
                      " unfinished call(s) cancelled"));
  json cancelled = result->terminal_ids;
  for (const auto& id : result->running_ids) {
    cancelled.push_back(id);
  }
  write_json(res, 200, json{{"deleted", name}, {"cancelled", cancelled}});
  return {};
}

}  // namespace

void register_function_routes(httplib::Server& s, ApiContext& ctx) {
  s.Get("/v1/functions", guarded(ctx, "/v1/functions", list_functions));
  s.Get("/v1/functions/([^/]+)", guarded(ctx, "/v1/functions/{name}", get_function));
  s.Put("/v1/functions/([^/]+)", guarded(ctx, "/v1/functions/{name}", put_function));
  s.Delete("/v1/functions/([^/]+)", guarded(ctx, "/v1/functions/{name}", delete_function));
}

}  // namespace fnq
