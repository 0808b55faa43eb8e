// /v1/stats (the dashboard's overview) and /v1/calls/{id}/dependents. Every
// number comes from counters the store keeps, never from counting calls.
#include <map>

#include "common/timeutil.h"
#include "daemon/api/context.h"
#include "daemon/api/ui.h"
#include "fnq/version.h"

namespace fnq {

namespace {

constexpr int k_chart_minutes = 60;
constexpr int k_max_dependents = 1000;

constexpr CallState k_all_states[] = {CallState::waiting,   CallState::queued, CallState::running,
                                      CallState::succeeded, CallState::failed, CallState::timed_out,
                                      CallState::cancelled, CallState::skipped};

json zero_counts() {
  json j = json::object();
  for (auto s : k_all_states) {
    j[to_string(s)] = 0;
  }
  return j;
}

// The last 60 whole minutes and the current one, oldest first, each with
// the calls that ended in it by state (zeros included).
Result<json> finished_per_minute(ApiContext& ctx, std::int64_t now) {
  std::int64_t current = now / 60000 * 60000;
  std::int64_t first = current - k_chart_minutes * 60000LL;
  FNQ_TRY_ASSIGN(auto rows, ctx.store.finishes_since(first));
  std::map<std::int64_t, json> minutes;
  for (std::int64_t m = first; m <= current; m += 60000) {
    minutes[m] = json{{"minute", format_time(m)}, {"counts", json::object()}};
  }
  for (const auto& r : rows) {
    auto it = minutes.find(r.minute);
    if (it != minutes.end()) {
      it->second["counts"][to_string(r.state)] = r.count;
    }
  }
  json out = json::array();
  for (auto& [m, j] : minutes) {
    out.push_back(std::move(j));
  }
  return out;
}

Status get_stats(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  std::int64_t now = now_ms();
  FNQ_TRY_ASSIGN(auto stats, ctx.store.stats());
  FNQ_TRY_ASSIGN(auto size, ctx.store.size_bytes());
  FNQ_TRY_ASSIGN(auto minutes, finished_per_minute(ctx, now));
  json states = zero_counts();
  json functions = json::object();
  for (const auto& [function, state, n] : stats.counts) {
    states[to_string(state)] = states[to_string(state)].get<std::int64_t>() + n;
    if (!functions.contains(function)) {
      functions[function] = zero_counts();
    }
    functions[function][to_string(state)] = n;
  }
  json j = {{"version", k_version},
            {"started_at", format_time(ctx.started_at)},
            {"uptime_ms", now - ctx.started_at},
            {"now", format_time(now)},
            {"max_inflight", ctx.config.max_inflight},
            {"running_here", ctx.scheduler.running()},
            {"database_bytes", size},
            {"auth", ctx.token.empty() ? "none" : "token"},
            {"states", states},
            {"functions", functions},
            {"finished_per_minute", minutes}};
  write_json(res, 200, j);
  return {};
}

Status get_dependents(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  FNQ_TRY_ASSIGN(auto id, resolve_call_id(ctx.store, req.matches[1]));
  FNQ_TRY_ASSIGN(auto ids, ctx.store.dependents_of(id, k_max_dependents));
  write_json(res, 200, json{{"id", id}, {"dependents", ids}});
  return {};
}

}  // namespace

void register_stats_routes(httplib::Server& s, ApiContext& ctx) {
  add_route(s, ctx, "GET", "/v1/stats", "/v1/stats", get_stats);
  add_route(s, ctx, "GET", "/v1/calls/([^/]+)/dependents", "/v1/calls/{id}/dependents",
            get_dependents);
}

}  // namespace fnq
