// /v1/pipelines: named stages submitted, watched and cancelled as one.
#include <algorithm>

#include "common/ids.h"
#include "common/pipeline.h"
#include "common/timeutil.h"
#include "daemon/api/context.h"
#include "daemon/log.h"

namespace fnq {

namespace {

constexpr int k_default_list = 50;
// A pipeline this large gives its memory back after the answer (see
// k_trim_after_batch in calls.cpp).
constexpr std::size_t k_trim_after_stages = 10'000;

Error in_stage(const std::string& stage, const Error& e) {
  return make_error(e.kind, "stage '" + stage + "': " + e.message);
}

// The stage's call, checked as POST /v1/calls checks one. An unknown
// function is bad input here (400): it is a mistake in the definition.
Result<NewCall> stage_call(ApiContext& ctx, const PipelineStage& stage) {
  std::string function = stage.call.at("function").get<std::string>();
  if (is_valid_function_name(function) && !ctx.functions.find(function)) {
    return make_error(ErrorKind::invalid_input,
                      "stage '" + stage.name + "': unknown function '" + function + "'");
  }
  auto request = submit_request_from_json(ctx, stage.call);
  if (!request) {
    return in_stage(stage.name, request.error());
  }
  std::vector<SubmitRequest> one;
  one.push_back(std::move(*request));
  auto prepared = prepare_calls(ctx, std::move(one));
  if (!prepared) {
    return in_stage(stage.name, prepared.error());
  }
  prepared->front().call.stage = stage.name;
  return std::move(prepared->front());
}

// The calls of a definition, each after the calls it needs, with ids.
Result<std::vector<NewCall>> pipeline_calls(ApiContext& ctx, const PipelineDefinition& def,
                                            const std::string& pipeline_id) {
  std::vector<std::string> ids(def.stages.size());
  std::vector<NewCall> calls;
  calls.reserve(def.order.size());
  for (std::size_t index : def.order) {
    const PipelineStage& stage = def.stages[index];
    FNQ_TRY_ASSIGN(NewCall nc, stage_call(ctx, stage));
    ids[index] = nc.call.id;
    nc.call.pipeline = pipeline_id;
    for (std::size_t need : stage.needs) {
      nc.call.needs.push_back(ids[need]);  // ordered before: its id is known
    }
    if (stage.input_from) {
      nc.call.input_from = ids[*stage.input_from];
    }
    calls.push_back(std::move(nc));
  }
  return calls;
}

json stage_ids(const std::vector<Call>& calls) {
  json stages = json::object();
  for (const Call& c : calls) {
    stages[c.stage.value_or(c.id)] = c.id;
  }
  return stages;
}

json pipeline_summary(const Pipeline& p, const std::map<CallState, std::int64_t>& counts) {
  json by_state = json::object();
  for (const auto& [state, n] : counts) {
    by_state[to_string(state)] = n;
  }
  return json{{"id", p.id},
              {"name", p.name ? json(*p.name) : json(nullptr)},
              {"key", p.key ? json(*p.key) : json(nullptr)},
              {"created_at", format_time(p.created_at)},
              {"stage_count", p.stage_count},
              {"state", to_string(pipeline_state(counts))},
              {"counts", by_state}};
}

// The pipeline with each stage's call, in the order they were submitted.
json pipeline_json(const Pipeline& p, const std::vector<Call>& calls) {
  json j = pipeline_summary(p, count_states(calls));
  auto failed = failed_stage(calls);
  j["failed_stage"] = failed ? json(*failed) : json(nullptr);
  std::optional<std::int64_t> finished;
  json stages = json::array();
  for (const Call& c : calls) {
    if (c.finished_at) {
      finished = std::max(finished.value_or(*c.finished_at), *c.finished_at);
    }
    stages.push_back(to_json(c));
  }
  bool done = pipeline_state(count_states(calls)) != PipelineState::running;
  j["finished_at"] = done && finished ? json(format_time(*finished)) : json(nullptr);
  j["stages"] = std::move(stages);
  return j;
}

Status submit_pipeline(ApiContext& ctx, const httplib::Request& req, httplib::Response& res,
                       std::size_t* stages) {
  FNQ_TRY_ASSIGN(json body, parse_json_body(req));
  FNQ_TRY_ASSIGN(PipelineDefinition def, parse_pipeline_definition(body));
  *stages = def.stages.size();
  NewPipeline np;
  np.pipeline.id = new_call_id();
  np.pipeline.name = def.name;
  np.pipeline.key = def.key;
  np.pipeline.created_at = now_ms();
  np.pipeline.stage_count = static_cast<int>(def.stages.size());
  FNQ_TRY_ASSIGN(np.calls, pipeline_calls(ctx, def, np.pipeline.id));
  FNQ_TRY_ASSIGN(PipelineSubmitResult result, ctx.store.submit_pipeline(std::move(np)));
  if (!result.existing) {
    NewCallReport report;
    for (const Call& c : result.calls) {
      report.add(c);
    }
    report.send(ctx);
  }
  const Pipeline& p = result.pipeline;
  log_line("pipeline " + p.id +
           (result.existing
                ? " already exists for key " + p.key.value_or("")
                : " submitted with " + std::to_string(result.calls.size()) + " stage(s)"));
  json answer = {{"id", p.id},
                 {"name", p.name ? json(*p.name) : json(nullptr)},
                 {"key", p.key ? json(*p.key) : json(nullptr)},
                 {"existing", result.existing},
                 {"stages", stage_ids(result.calls)}};
  res.set_header("X-Pipeline-Id", p.id);
  write_json(res, result.existing ? 200 : 202, answer);
  return {};
}

Status post_pipeline(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::size_t stages = 0;
  Status status = submit_pipeline(ctx, req, res, &stages);
  if (stages >= k_trim_after_stages) {
    give_back_memory_after_answer();
  }
  return status;
}

Status get_pipeline(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string id = req.matches[1];
  FNQ_TRY_ASSIGN(Millis wait, wait_param(req, "wait"));
  FNQ_TRY_ASSIGN(Pipeline p, ctx.store.get_pipeline(id));
  FNQ_TRY_ASSIGN(std::vector<Call> calls, ctx.store.pipeline_calls(id));
  if (wait.count() > 0 && pipeline_state(count_states(calls)) == PipelineState::running) {
    std::vector<std::string> ids;
    ids.reserve(calls.size());
    for (const Call& c : calls) {
      ids.push_back(c.id);
    }
    FNQ_TRY_ASSIGN(calls, wait_for_calls(ctx, ids, long_poll_wait(ctx, wait)));
  }
  res.set_header("X-Pipeline-Id", p.id);
  write_json(res, 200, pipeline_json(p, calls));
  return {};
}

// Cancels every unfinished stage, the last submitted first: a stage is
// cancelled before the stage it waits for ends, so it ends `cancelled`, not
// `skipped`.
Status post_cancel(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string id = req.matches[1];
  FNQ_TRY_ASSIGN(Pipeline p, ctx.store.get_pipeline(id));
  FNQ_TRY_ASSIGN(std::vector<Call> calls, ctx.store.pipeline_calls(id));
  json results = json::object();
  for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
    if (is_terminal(it->state)) {
      continue;
    }
    FNQ_TRY_ASSIGN(CancelAnswer answer, ctx.scheduler.cancel(it->id));
    results[it->stage.value_or(it->id)] = to_string(answer);
  }
  log_line("pipeline " + id + ": " + std::to_string(results.size()) +
           " unfinished stage(s) cancelled by request");
  FNQ_TRY_ASSIGN(calls, ctx.store.pipeline_calls(id));
  write_json(res, 200, json{{"results", results}, {"pipeline", pipeline_json(p, calls)}});
  return {};
}

Status list_pipelines(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  FNQ_TRY_ASSIGN(int limit, limit_param(req, k_default_list));
  std::optional<std::string> before;
  if (req.has_param("before")) {
    before = req.get_param_value("before");
  }
  FNQ_TRY_ASSIGN(auto pipelines, ctx.store.list_pipelines(before, limit));
  json list = json::array();
  for (const auto& p : pipelines) {
    list.push_back(pipeline_summary(p, p.counts));
  }
  json next =
      static_cast<int>(pipelines.size()) == limit ? json(pipelines.back().id) : json(nullptr);
  write_json(res, 200, json{{"pipelines", list}, {"next_before", next}});
  return {};
}

}  // namespace

void register_pipeline_routes(httplib::Server& s, ApiContext& ctx) {
  const std::string id = "([^/]+)";
  add_route(s, ctx, "POST", "/v1/pipelines", "/v1/pipelines", post_pipeline);
  add_route(s, ctx, "GET", "/v1/pipelines", "/v1/pipelines", list_pipelines);
  add_route(s, ctx, "GET", "/v1/pipelines/" + id, "/v1/pipelines/{id}", get_pipeline);
  add_route(s, ctx, "POST", "/v1/pipelines/" + id + "/cancel", "/v1/pipelines/{id}/cancel",
            post_cancel);
}

}  // namespace fnq
