#include <gtest/gtest.h>

#include "cli/commands.h"

namespace fnq::cli {
namespace {

TEST(CliFnApply, OneValidOneInvalidNamesIndexAndField) {
  auto file = parse_function_file("defs.json", R"([
    {"name": "resize", "command": ["convert", "-", "png:-"]},
    {"name": "thumb", "command": ["convert"], "exec_timeout": "soon"}
  ])");
  ASSERT_EQ(file.failures.size(), 1u);
  const Failure& f = file.failures[0];
  EXPECT_EQ(f.exit_code, 65);
  EXPECT_EQ(f.what, "invalid function definition in defs.json at index 1");
  EXPECT_EQ(f.why.rfind("exec_timeout: ", 0), 0u) << f.why;
  EXPECT_EQ(format_failure(f).rfind("fnq: error: invalid function definition in defs.json at "
                                    "index 1: exec_timeout: invalid duration 'soon'",
                                    0),
            0u)
      << format_failure(f);
  // The caller sends nothing when there is any failure; the valid one was still parsed.
  ASSERT_EQ(file.functions.size(), 1u);
  EXPECT_EQ(file.functions[0].name, "resize");
}

TEST(CliFnApply, ReportsEveryInvalidDefinition) {
  auto file = parse_function_file("f.json", R"([
    {"name": "Bad", "command": ["x"]},
    {"name": "ok", "command": []},
    {"name": "ok2", "command": ["x"], "colour": "red"}
  ])");
  ASSERT_EQ(file.failures.size(), 3u);
  EXPECT_NE(file.failures[0].what.find("index 0"), std::string::npos);
  EXPECT_EQ(file.failures[0].why.rfind("name: ", 0), 0u);
  EXPECT_EQ(file.failures[1].why.rfind("command: ", 0), 0u);
  EXPECT_EQ(file.failures[2].why.rfind("colour: ", 0), 0u);
}

TEST(CliFnApply, SingleObjectHasNoIndex) {
  auto good = parse_function_file("one.json", R"({"name": "resize", "command": ["convert"]})");
  EXPECT_TRUE(good.failures.empty());
  ASSERT_EQ(good.functions.size(), 1u);
  auto bad = parse_function_file("one.json", R"({"name": "resize"})");
  ASSERT_EQ(bad.failures.size(), 1u);
  EXPECT_EQ(bad.failures[0].what, "invalid function definition in one.json");
  EXPECT_EQ(bad.failures[0].why.rfind("command: ", 0), 0u);
}

TEST(CliFnApply, MalformedJsonAndWrongShape) {
  auto malformed = parse_function_file("x.json", "{\"name\": ");
  ASSERT_EQ(malformed.failures.size(), 1u);
  EXPECT_EQ(malformed.failures[0].exit_code, 65);
  EXPECT_EQ(malformed.failures[0].what, "malformed JSON in x.json");
  EXPECT_EQ(malformed.failures[0].why.find("json.exception"), std::string::npos);
  auto scalar = parse_function_file("x.json", "42");
  ASSERT_EQ(scalar.failures.size(), 1u);
  EXPECT_EQ(scalar.failures[0].exit_code, 65);
}

TEST(CliFnApply, DuplicateNamesAreRefused) {
  auto file = parse_function_file("d.json", R"([
    {"name": "a", "command": ["x"]}, {"name": "a", "command": ["y"]}])");
  ASSERT_EQ(file.failures.size(), 1u);
  EXPECT_NE(file.failures[0].what.find("index 1"), std::string::npos);
  EXPECT_NE(file.failures[0].why.find("twice"), std::string::npos);
}

TEST(CliFnApply, EmptyArrayIsNothingToDo) {
  auto file = parse_function_file("e.json", "[]");
  EXPECT_TRUE(file.failures.empty());
  EXPECT_TRUE(file.functions.empty());
}

TEST(CliFnAdd, BuildsTheDefinition) {
  FnAddOptions o;
  o.name = "resize";
  o.command = {"convert", "-", "png:-"};
  o.env = {"A=1"};
  o.exec_timeout = "30s";
  o.max_output = "4MiB";
  o.concurrency = 2;
  auto f = build_function(o);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->command.size(), 3u);
  EXPECT_EQ(f->env.at("A"), "1");
  EXPECT_EQ(*f->exec_timeout, Millis(30'000));
  EXPECT_EQ(*f->max_output, 4u << 20);
  EXPECT_EQ(*f->concurrency, 2);
  EXPECT_FALSE(f->write_timeout.has_value());
}

TEST(CliFnAdd, InvalidNameIsBadInputBadDurationIsUsage) {
  FnAddOptions o;
  o.name = "Resize";
  o.command = {"x"};
  EXPECT_EQ(build_function(o).failure().exit_code, 65);
  o.name = "resize";
  o.kill_grace = "later";
  auto bad = build_function(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.failure().exit_code, 64);
  EXPECT_EQ(bad.failure().what, "--kill-grace");
  o.kill_grace.reset();
  o.callback = "ftp://x";
  EXPECT_EQ(build_function(o).failure().exit_code, 65);
}

}  // namespace
}  // namespace fnq::cli
