#pragma once
// Pipelines: named stages submitted as one request (SPEC §10, fnq-pipeline(5)).
// A definition is read and checked whole here, by fnqd (POST /v1/pipelines)
// and by fnq before sending it: field types, stage names, needs and
// input_from naming known stages, no cycles. What needs the daemon (that the
// functions exist, the ranges of the call fields) is checked by fnqd.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"

#include "common/model.h"
#include "common/result.h"

namespace fnq {

// The most stages one pipeline may have (documented in fnq-pipeline(5)).
inline constexpr std::size_t k_max_pipeline_stages = 100'000;

struct PipelineStage {
  std::string name;
  // The call as POST /v1/calls takes it (function, input or input_base64,
  // priority, delay, exec_timeout, max_retries, callback_url, key): the
  // stage's fields over the definition's defaults, without needs.
  json call;
  std::vector<std::size_t> needs;         // indexes of stages, input_from included
  std::optional<std::size_t> input_from;  // index of a stage
};

struct PipelineDefinition {
  std::optional<std::string> name;
  std::optional<std::string> key;     // idempotency key of the whole pipeline
  std::vector<PipelineStage> stages;  // as defined
  std::vector<std::size_t> order;     // stage indexes, each after all it needs
};

// ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$
bool is_valid_stage_name(const std::string& name);

// Reads {"name", "key", "defaults": {...}, "stages": [{"id", ...}, ...]}.
// Errors are invalid_input and name the stage and the problem: "stage
// 'parse': needs: unknown stage 'fetc'", "stage 'b': needs form a cycle:
// b -> c -> b".
Result<PipelineDefinition> parse_pipeline_definition(const json& j);

enum class PipelineState { running, succeeded, failed, cancelled };
const char* to_string(PipelineState state);

// running while any call is unfinished; then failed if any failed or timed
// out, cancelled if any was cancelled or skipped, else succeeded.
PipelineState pipeline_state(const std::map<CallState, std::int64_t>& counts);
std::map<CallState, std::int64_t> count_states(const std::vector<Call>& calls);
// The stage whose call failed or timed out first (by finish time), if any.
std::optional<std::string> failed_stage(const std::vector<Call>& calls);

}  // namespace fnq
