#include "common/pipeline.h"

#include <gtest/gtest.h>

namespace fnq {
namespace {

Result<PipelineDefinition> parse(const char* text) {
  return parse_pipeline_definition(json::parse(text));
}

std::string error_of(const char* text) {
  auto def = parse(text);
  EXPECT_FALSE(def.ok()) << text;
  if (def.ok()) {
    return "";
  }
  EXPECT_EQ(def.error().kind, ErrorKind::invalid_input);
  return def.error().message;
}

std::vector<std::string> ordered_names(const PipelineDefinition& def) {
  std::vector<std::string> names;
  for (std::size_t i : def.order) {
    names.push_back(def.stages[i].name);
  }
  return names;
}

TEST(PipelineDefinition, OrdersStagesAfterWhatTheyNeed) {
  auto def = parse(R"({"name": "etl", "key": "k1", "stages": [
      {"id": "report", "function": "fn", "needs": ["parse"]},
      {"id": "parse", "function": "fn", "input_from": "fetch"},
      {"id": "fetch", "function": "fn", "data": "http://x"},
      {"id": "index", "function": "fn", "needs": "parse"}]})");
  ASSERT_TRUE(def.ok()) << def.error().message;
  EXPECT_EQ(*def->name, "etl");
  EXPECT_EQ(*def->key, "k1");
  EXPECT_EQ(ordered_names(*def), (std::vector<std::string>{"fetch", "parse", "report", "index"}));
  const PipelineStage& parse_stage = def->stages[1];
  EXPECT_EQ(parse_stage.input_from, std::optional<std::size_t>(2));
  EXPECT_EQ(parse_stage.needs, std::vector<std::size_t>{2});  // input_from implies needs
  EXPECT_EQ(def->stages[2].call.at("input"), "http://x");
}

TEST(PipelineDefinition, DefaultsApplyUnlessTheStageSaysOtherwise) {
  auto def = parse(R"({"defaults": {"function": "fn", "priority": 5, "max_retries": 2},
      "stages": [{"id": "a"}, {"id": "b", "function": "other", "priority": 1,
                  "data": {"n": 1}}]})");
  ASSERT_TRUE(def.ok()) << def.error().message;
  EXPECT_EQ(def->stages[0].call, json::parse(R"({"function": "fn", "priority": 5,
                                                   "max_retries": 2})"));
  EXPECT_EQ(def->stages[1].call.at("function"), "other");
  EXPECT_EQ(def->stages[1].call.at("priority"), 1);
  EXPECT_EQ(def->stages[1].call.at("input"), R"({"n":1})");  // not a string: its JSON text
}

TEST(PipelineDefinition, RefusesACycleNamingItsStages) {
  EXPECT_EQ(error_of(R"({"stages": [{"id": "a", "function": "fn"},
      {"id": "b", "function": "fn", "needs": ["a", "c"]},
      {"id": "c", "function": "fn", "needs": ["b"]}]})"),
            "stage 'b': needs form a cycle: b -> c -> b");
  EXPECT_EQ(error_of(R"({"stages": [{"id": "a", "function": "fn", "needs": ["a"]}]})"),
            "stage 'a': needs itself");
}

TEST(PipelineDefinition, RefusesACycleThroughInputFrom) {
  EXPECT_EQ(error_of(R"({"stages": [{"id": "a", "function": "fn", "input_from": "b"},
      {"id": "b", "function": "fn", "needs": ["a"]}]})"),
            "stage 'a': needs form a cycle: a -> b -> a");
}

TEST(PipelineDefinition, RefusesAnUnknownStage) {
  EXPECT_EQ(error_of(R"({"stages": [{"id": "fetch", "function": "fn"},
      {"id": "parse", "function": "fn", "needs": ["fetc"]}]})"),
            "stage 'parse': needs: unknown stage 'fetc'");
  EXPECT_EQ(error_of(R"({"stages": [{"id": "parse", "function": "fn", "input_from": "x"}]})"),
            "stage 'parse': input_from: unknown stage 'x'");
}

TEST(PipelineDefinition, RefusesADuplicateStageName) {
  EXPECT_EQ(error_of(R"({"stages": [{"id": "a", "function": "fn"},
      {"id": "b", "function": "fn"}, {"id": "a", "function": "fn"}]})"),
            "stage 'a': duplicate stage name (stages 0 and 2)");
}

TEST(PipelineDefinition, NamesTheBadFieldOfAStage) {
  EXPECT_EQ(error_of(R"({"stages": [{"id": "a"}]})"),
            "stage 'a': function: required (in the stage or in defaults), a function name");
  EXPECT_EQ(error_of(R"({"stages": [{"id": "a", "function": "fn", "colour": 1}]})"),
            "stage 'a': colour: unknown field");
  EXPECT_EQ(error_of(R"({"stages": [{"function": "fn"}]})"),
            "stages[0]: id: required, the stage's name");
  EXPECT_EQ(error_of(R"({"stages": [{"id": "a b", "function": "fn"}]})"),
            "stages[0]: id: invalid stage name 'a b' (letters, digits, '_', '.', '-'; at most 64)");
  EXPECT_EQ(error_of(R"({"stages": [{"id": "a", "function": "fn", "file": "x"}]})"),
            "stage 'a': file: fnq reads the file; send its content as data");
  EXPECT_EQ(error_of(R"({"stages": []})"), "stages: required, a non-empty array of stages");
  EXPECT_EQ(error_of(R"({"defaults": {"needs": ["a"]}, "stages": [{"id": "a"}]})").substr(0, 29),
            "defaults.needs: unknown field");
}

TEST(PipelineDefinition, OrdersALongChainWithoutRecursion) {
  json def = {{"stages", json::array()}};
  for (int i = 0; i < 10000; ++i) {
    json stage = {{"id", "s" + std::to_string(i)}, {"function", "fn"}};
    if (i > 0) {
      stage["input_from"] = "s" + std::to_string(i - 1);
    }
    def["stages"].push_back(stage);
  }
  auto parsed = parse_pipeline_definition(def);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->order.size(), 10000u);
  EXPECT_EQ(parsed->order.back(), 9999u);
}

Call call_in(const std::string& stage, CallState state, std::int64_t finished_at = 0) {
  Call c;
  c.id = "id-" + stage;
  c.stage = stage;
  c.state = state;
  if (is_terminal(state)) {
    c.finished_at = finished_at;
  }
  return c;
}

TEST(PipelineState, FollowsItsCalls) {
  using S = CallState;
  auto state = [](std::vector<Call> calls) { return pipeline_state(count_states(calls)); };
  EXPECT_EQ(state({call_in("a", S::succeeded), call_in("b", S::running)}), PipelineState::running);
  EXPECT_EQ(state({call_in("a", S::succeeded), call_in("b", S::succeeded)}),
            PipelineState::succeeded);
  EXPECT_EQ(state({call_in("a", S::failed), call_in("b", S::skipped)}), PipelineState::failed);
  EXPECT_EQ(state({call_in("a", S::cancelled), call_in("b", S::succeeded)}),
            PipelineState::cancelled);
  auto first = failed_stage(
      {call_in("a", S::timed_out, 30), call_in("b", S::failed, 20), call_in("c", S::skipped, 10)});
  EXPECT_EQ(first, std::optional<std::string>("b"));
}

}  // namespace
}  // namespace fnq
