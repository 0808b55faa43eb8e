#include "cli/pipeline_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/temp_dir.h"

namespace fnq::cli {
namespace {

std::optional<std::string> no_variables(const std::string&) { return std::nullopt; }

TEST(PipelineFile, YamlScalarsBecomeTheirJsonTypes) {
  auto j = yaml_text_to_json("test", R"(
name: etl
stages:
  - id: a
    function: fn
    priority: 5
    delay: 30s
    data: '42'
    needs: [b, "c"]
    key: ~
    flag: true
)");
  ASSERT_TRUE(j.ok()) << j.failure().why;
  const json& a = (*j)["stages"][0];
  EXPECT_EQ(a["priority"], 5);
  EXPECT_EQ(a["delay"], "30s");
  EXPECT_EQ(a["data"], "42");  // quoted: a string
  EXPECT_EQ(a["needs"], json({"b", "c"}));
  EXPECT_TRUE(a["key"].is_null());
  EXPECT_EQ(a["flag"], true);
}

TEST(PipelineFile, JsonIsReadAsYaml) {
  auto j = yaml_text_to_json("test", R"({"stages": [{"id": "a", "function": "fn", "n": 1.5}]})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["stages"][0]["n"], 1.5);
}

TEST(PipelineFile, MalformedYamlNamesTheLine) {
  auto j = yaml_text_to_json("'p.yaml'", "stages:\n  - id: a\n    data: [1,\n");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.failure().exit_code, k_exit_bad_input);
  EXPECT_EQ(j.failure().what, "invalid pipeline file 'p.yaml'");
  EXPECT_EQ(j.failure().why.rfind("line ", 0), 0u) << j.failure().why;
}

TEST(PipelineFile, VariablesAreSubstitutedAndNothingElse) {
  VariableLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "day") {
      return "2026-11-30";
    }
    return std::nullopt;
  };
  auto text = substitute_variables("d=${day} $HOME $(date) $${day} $", lookup, "here");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "d=2026-11-30 $HOME $(date) ${day} $");
  auto unknown = substitute_variables("${night}", lookup, "stage 'a': data");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.failure().exit_code, k_exit_bad_input);
  EXPECT_EQ(unknown.failure().why, "unknown variable 'night'");
  EXPECT_FALSE(substitute_variables("${1x}", lookup, "here").ok());
  EXPECT_FALSE(substitute_variables("${open", lookup, "here").ok());
}

TEST(PipelineFile, VariablesAreSubstitutedInTheNameTheKeyAndDataOnly) {
  VariableLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "day") {
      return "2026-11-30";
    }
    return std::nullopt;
  };
  std::istringstream in(R"(
name: etl ${day}
key: etl-${day}
stages:
  - id: a
    function: fn
    data: {url: "https://example.com/${day}.csv"}
    callback_url: "http://127.0.0.1:9/${day}"
)");
  auto body = load_pipeline_file("-", in, lookup);
  ASSERT_TRUE(body.ok()) << body.failure().why;
  EXPECT_EQ((*body)["name"], "etl 2026-11-30");
  EXPECT_EQ((*body)["key"], "etl-2026-11-30");
  EXPECT_EQ((*body)["stages"][0]["data"]["url"], "https://example.com/2026-11-30.csv");
  EXPECT_EQ((*body)["stages"][0]["callback_url"], "http://127.0.0.1:9/${day}");

  std::istringstream unknown("key: k-${night}\nstages:\n  - {id: a, function: fn}\n");
  auto refused = load_pipeline_file("-", unknown, lookup);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.failure().exit_code, k_exit_bad_input);
  EXPECT_EQ(refused.failure().why, "unknown variable 'night'");
}

TEST(PipelineFile, SetOptionsAreNameValuePairs) {
  auto vars = parse_set_options({"a=1", "b=x=y", "c="});
  ASSERT_TRUE(vars.ok());
  EXPECT_EQ((*vars)["b"], "x=y");
  EXPECT_EQ((*vars)["c"], "");
  EXPECT_EQ(parse_set_options({"=1"}).failure().exit_code, k_exit_usage);
  EXPECT_EQ(parse_set_options({"noequals"}).failure().exit_code, k_exit_usage);
}

TEST(PipelineFile, AStageFileIsReadRelativeToThePipelineFile) {
  test::TempDir dir;
  std::ofstream(dir.file("input.txt")) << "from a file";
  std::ofstream(dir.file("p.yaml")) << "stages:\n  - {id: a, function: fn, file: input.txt}\n";
  std::istringstream in;
  auto body = load_pipeline_file(dir.file("p.yaml"), in, no_variables);
  ASSERT_TRUE(body.ok()) << body.failure().why;
  EXPECT_EQ((*body)["stages"][0]["data"], "from a file");
  EXPECT_FALSE((*body)["stages"][0].contains("file"));
}

TEST(PipelineFile, AnInvalidDefinitionIsRefusedBeforeSending) {
  std::istringstream in("stages:\n  - {id: a, function: fn, needs: [a]}\n");
  auto body = load_pipeline_file("-", in, no_variables);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.failure().exit_code, k_exit_bad_input);
  EXPECT_EQ(body.failure().why, "stage 'a': needs itself");
}

}  // namespace
}  // namespace fnq::cli
