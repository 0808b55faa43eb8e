// /healthz, /metrics and /v1/info.
#include <unistd.h>

#include "common/timeutil.h"
#include "daemon/api/context.h"
#include "fnq/version.h"

namespace fnq {

namespace {

Status healthz(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  if (ctx.shutting_down) {
    res.status = 503;
    res.set_content("shutting down\n", "text/plain");
    return {};
  }
  if (auto reachable = ctx.store.ping(); !reachable) {
    res.status = 503;
    res.set_content("store unreachable: " + reachable.error().message + "\n", "text/plain");
    return {};
  }
  res.status = 200;
  res.set_content("ok\n", "text/plain");
  return {};
}

Status metrics(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  FNQ_TRY_ASSIGN(auto stats, ctx.store.stats());
  res.status = 200;
  res.set_content(ctx.metrics.render(stats, ctx.scheduler.running(), ctx.watch.waiters()),
                  "text/plain; version=0.0.4");
  return {};
}

Status info(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  json j = {{"version", k_version},
            {"pid", static_cast<int>(::getpid())},
            {"url", ctx.url},
            {"started_at", format_time(ctx.started_at)},
            {"running", ctx.scheduler.running()},
            {"shutting_down", ctx.shutting_down.load()}};
  for (auto state : {CallState::queued, CallState::waiting}) {
    FNQ_TRY_ASSIGN(auto n, ctx.store.count_in_state(state));
    j[to_string(state)] = n;
  }
  write_json(res, 200, j);
  return {};
}

}  // namespace

void register_system_routes(httplib::Server& s, ApiContext& ctx) {
  add_route(s, ctx, "GET", "/healthz", "/healthz", healthz);
  add_route(s, ctx, "GET", "/metrics", "/metrics", metrics);
  add_route(s, ctx, "GET", "/v1/info", "/v1/info", info);
}

}  // namespace fnq
