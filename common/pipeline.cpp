#include "common/pipeline.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <queue>
#include <unordered_map>

#include "common/json_fields.h"

namespace fnq {

namespace {

// The call fields a stage (or the defaults) may give, passed on as they are.
constexpr const char* k_call_fields[] = {"function",    "priority",     "delay", "exec_timeout",
                                         "max_retries", "callback_url", "key"};
constexpr const char* k_default_fields[] = {"function",     "priority",    "delay",
                                            "exec_timeout", "max_retries", "callback_url"};

Error stage_error(const std::string& label, const std::string& why) {
  return make_error(ErrorKind::invalid_input, label + ": " + why);
}

std::string stage_label(const std::string& name) { return "stage '" + name + "'"; }

Result<json> read_defaults(const json& j) {
  auto d = j.find("defaults");
  if (d == j.end() || d->is_null()) {
    return json::object();
  }
  if (!d->is_object()) {
    return field_error("defaults", "expected an object of stage fields");
  }
  for (const auto& item : d->items()) {
    const std::string& field = item.key();
    auto known = std::find(std::begin(k_default_fields), std::end(k_default_fields), field);
    if (known == std::end(k_default_fields)) {
      return field_error("defaults." + field, "unknown field (a default may be given for " +
                                                  std::string("function, priority, delay, "
                                                              "exec_timeout, max_retries, "
                                                              "callback_url)"));
    }
  }
  return *d;
}

// The stage's data as the call's input: a string as it is, anything else as
// its JSON text.
Status read_data(const json& s, json* call) {
  auto data = s.find("data");
  auto b64 = s.find("data_base64");
  bool has_data = data != s.end() && !data->is_null();
  bool has_b64 = b64 != s.end() && !b64->is_null();
  if (has_data && has_b64) {
    return field_error("data", "give data or data_base64, not both");
  }
  if (has_data) {
    (*call)["input"] = data->is_string() ? data->get<std::string>() : data->dump();
  } else if (has_b64) {
    if (!b64->is_string()) {
      return field_error("data_base64", "expected a base64 string");
    }
    (*call)["input_base64"] = *b64;
  }
  return {};
}

Result<PipelineStage> read_stage(const json& s, const json& defaults) {
  if (s.find("file") != s.end()) {
    return field_error("file", "fnq reads the file; send its content as data");
  }
  FNQ_TRY(check_known_fields(
      s, {"id", "function", "data", "data_base64", "needs", "input_from", "priority", "delay",
          "exec_timeout", "max_retries", "callback_url", "key"}));
  PipelineStage stage;
  stage.name = s.at("id").get<std::string>();
  stage.call = json::object();
  for (const char* field : k_call_fields) {
    auto own = s.find(field);
    if (own != s.end() && !own->is_null()) {
      stage.call[field] = *own;
    } else if (auto d = defaults.find(field); d != defaults.end() && !d->is_null()) {
      stage.call[field] = *d;
    }
  }
  auto fn = stage.call.find("function");
  if (fn == stage.call.end() || !fn->is_string()) {
    return field_error("function", "required (in the stage or in defaults), a function name");
  }
  FNQ_TRY(read_data(s, &stage.call));
  return stage;
}

// "stages[3]" until the stage's id is known to be a valid name.
Result<std::string> read_stage_name(const json& s, std::size_t i) {
  std::string where = "stages[" + std::to_string(i) + "]";
  if (!s.is_object()) {
    return stage_error(where, "expected an object with an id and a function");
  }
  auto id = s.find("id");
  if (id == s.end() || !id->is_string()) {
    return stage_error(where, "id: required, the stage's name");
  }
  std::string name = id->get<std::string>();
  if (!is_valid_stage_name(name)) {
    return stage_error(where, "id: invalid stage name '" + name.substr(0, 80) +
                                  "' (letters, digits, '_', '.', '-'; at most 64)");
  }
  return name;
}

using Names = std::unordered_map<std::string, std::size_t>;

Result<std::size_t> find_stage(const Names& names, const json& ref, const char* field) {
  if (!ref.is_string()) {
    return field_error(field, "expected a stage name");
  }
  auto it = names.find(ref.get<std::string>());
  if (it == names.end()) {
    return field_error(field, "unknown stage '" + ref.get<std::string>().substr(0, 80) + "'");
  }
  return it->second;
}

void add_need(PipelineStage& stage, std::size_t need) {
  if (std::find(stage.needs.begin(), stage.needs.end(), need) == stage.needs.end()) {
    stage.needs.push_back(need);
  }
}

// needs (a stage name or a list of them) and input_from, as stage indexes.
Status read_links(const json& s, const Names& names, PipelineStage& stage) {
  if (auto n = s.find("needs"); n != s.end() && !n->is_null()) {
    json list = n->is_array() ? *n : json::array({*n});
    for (const auto& ref : list) {
      FNQ_TRY_ASSIGN(std::size_t need, find_stage(names, ref, "needs"));
      add_need(stage, need);
    }
  }
  if (auto f = s.find("input_from"); f != s.end() && !f->is_null()) {
    FNQ_TRY_ASSIGN(std::size_t from, find_stage(names, *f, "input_from"));
    stage.input_from = from;
    add_need(stage, from);  // input_from implies needs
  }
  return {};
}

// Some stage left out of a topological order lies on a cycle or after one;
// following unordered needs from it must come back to a stage already seen.
std::string describe_cycle(const std::vector<PipelineStage>& stages,
                           const std::vector<bool>& ordered, std::size_t start) {
  std::vector<std::size_t> path;
  std::vector<int> seen_at(stages.size(), -1);
  std::size_t at = start;
  while (seen_at[at] < 0) {
    seen_at[at] = static_cast<int>(path.size());
    path.push_back(at);
    for (std::size_t need : stages[at].needs) {
      if (!ordered[need]) {
        at = need;
        break;
      }
    }
  }
  std::string text;
  for (std::size_t i = static_cast<std::size_t>(seen_at[at]); i < path.size(); ++i) {
    text += stages[path[i]].name + " -> ";
  }
  text += stages[at].name;
  if (path.size() - static_cast<std::size_t>(seen_at[at]) == 1) {
    return stage_label(stages[at].name) + ": needs itself";
  }
  return stage_label(stages[at].name) + ": needs form a cycle: " + text;
}

// Kahn's algorithm, taking ready stages in the order they were defined.
Result<std::vector<std::size_t>> order_stages(const std::vector<PipelineStage>& stages) {
  std::vector<std::size_t> waiting(stages.size());
  std::vector<std::vector<std::size_t>> dependents(stages.size());
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    waiting[i] = stages[i].needs.size();
    for (std::size_t need : stages[i].needs) {
      dependents[need].push_back(i);
    }
    if (waiting[i] == 0) {
      ready.push(i);
    }
  }
  std::vector<std::size_t> order;
  std::vector<bool> ordered(stages.size(), false);
  while (!ready.empty()) {
    std::size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    ordered[i] = true;
    for (std::size_t d : dependents[i]) {
      if (--waiting[d] == 0) {
        ready.push(d);
      }
    }
  }
  if (order.size() < stages.size()) {
    std::size_t first = static_cast<std::size_t>(std::find(ordered.begin(), ordered.end(), false) -
                                                 ordered.begin());
    return make_error(ErrorKind::invalid_input, describe_cycle(stages, ordered, first));
  }
  return order;
}

Status read_header(const json& j, PipelineDefinition* def) {
  FNQ_TRY(check_known_fields(j, {"name", "key", "defaults", "stages"}));
  FNQ_TRY(read_string(j, "name", &def->name));
  FNQ_TRY(read_string(j, "key", &def->key));
  if (def->name && (def->name->empty() || def->name->size() > 200)) {
    return field_error("name", "expected 1 to 200 characters");
  }
  if (def->key && (def->key->empty() || def->key->size() > 256)) {
    return field_error("key", "expected 1 to 256 characters");
  }
  return {};
}

Result<const json*> stage_list(const json& j) {
  auto s = j.find("stages");
  if (s == j.end() || !s->is_array() || s->empty()) {
    return field_error("stages", "required, a non-empty array of stages");
  }
  if (s->size() > k_max_pipeline_stages) {
    return field_error("stages", "at most " + std::to_string(k_max_pipeline_stages) +
                                     " stages in one pipeline, got " + std::to_string(s->size()));
  }
  return &*s;
}

}  // namespace

bool is_valid_stage_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

Result<PipelineDefinition> parse_pipeline_definition(const json& j) {
  if (!j.is_object()) {
    return make_error(ErrorKind::invalid_input,
                      "expected a JSON object describing the pipeline, with \"stages\"");
  }
  PipelineDefinition def;
  FNQ_TRY(read_header(j, &def));
  FNQ_TRY_ASSIGN(json defaults, read_defaults(j));
  FNQ_TRY_ASSIGN(const json* list, stage_list(j));
  Names names;
  def.stages.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    FNQ_TRY_ASSIGN(std::string name, read_stage_name((*list)[i], i));
    std::string label = stage_label(name);
    if (!names.emplace(name, i).second) {
      return stage_error(label, "duplicate stage name (stages " + std::to_string(names[name]) +
                                    " and " + std::to_string(i) + ")");
    }
    auto stage = read_stage((*list)[i], defaults);
    if (!stage) {
      return stage_error(label, stage.error().message);
    }
    def.stages.push_back(std::move(*stage));
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto links = read_links((*list)[i], names, def.stages[i]);
    if (!links) {
      return stage_error(stage_label(def.stages[i].name), links.error().message);
    }
  }
  FNQ_TRY_ASSIGN(def.order, order_stages(def.stages));
  return def;
}

const char* to_string(PipelineState state) {
  switch (state) {
    case PipelineState::running: return "running";
    case PipelineState::succeeded: return "succeeded";
    case PipelineState::failed: return "failed";
    case PipelineState::cancelled: return "cancelled";
  }
  return "running";
}

PipelineState pipeline_state(const std::map<CallState, std::int64_t>& counts) {
  auto has = [&](CallState state) {
    auto it = counts.find(state);
    return it != counts.end() && it->second > 0;
  };
  if (has(CallState::waiting) || has(CallState::queued) || has(CallState::running)) {
    return PipelineState::running;
  }
  if (has(CallState::failed) || has(CallState::timed_out)) {
    return PipelineState::failed;
  }
  if (has(CallState::cancelled) || has(CallState::skipped)) {
    return PipelineState::cancelled;
  }
  return PipelineState::succeeded;
}

std::map<CallState, std::int64_t> count_states(const std::vector<Call>& calls) {
  std::map<CallState, std::int64_t> counts;
  for (const Call& c : calls) {
    ++counts[c.state];
  }
  return counts;
}

std::optional<std::string> failed_stage(const std::vector<Call>& calls) {
  const Call* first = nullptr;
  for (const Call& c : calls) {
    if (c.state != CallState::failed && c.state != CallState::timed_out) {
      continue;
    }
    if (!first || c.finished_at.value_or(0) < first->finished_at.value_or(0)) {
      first = &c;
    }
  }
  if (!first) {
    return std::nullopt;
  }
  return first->stage.value_or(first->id);
}

}  // namespace fnq
