#include <gtest/gtest.h>

#include <sstream>

#include "cli/args.h"
#include "cli/input.h"
#include "cli/text.h"
#include "support/temp_dir.h"

namespace fnq::cli {
namespace {

constexpr const char* k_id = "019a7f2e-5c1b-7d3a-9b2e-4f0a1c2d3e4f";

TEST(CliCallId, AcceptsFullIdsAndPrefixes) {
  EXPECT_EQ(*check_call_id(k_id), k_id);
  EXPECT_EQ(*check_call_id("019a7f2e"), "019a7f2e");
  EXPECT_EQ(*check_call_id("019a7f2e-5c"), "019a7f2e-5c");
}

TEST(CliCallId, LowercasesUppercaseHex) {
  EXPECT_EQ(*check_call_id("019A7F2E-5C1B"), "019a7f2e-5c1b");
}

TEST(CliCallId, RejectsShortOrNonHexAsUsageErrors) {
  for (const char* bad : {"", "019a7f2", "019a7f2g", "resize12", "019a7f2e 5c1b", "019a7f2e5c1b",
                          "019a7f2e-5c1b-7d3a-9b2e-4f0a1c2d3e4f0"}) {
    auto id = check_call_id(bad);
    ASSERT_FALSE(id.ok()) << bad;
    EXPECT_EQ(id.failure().exit_code, 64) << bad;
    EXPECT_NE(id.failure().what.find(bad), std::string::npos);
  }
}

TEST(CliCallId, ListStopsAtFirstBad) {
  auto ids = check_call_ids({k_id, "nope"});
  ASSERT_FALSE(ids.ok());
  EXPECT_NE(ids.failure().what.find("'nope'"), std::string::npos);
  EXPECT_EQ(check_call_ids({k_id, "019a7f2e"})->size(), 2u);
}

TEST(CliHeader, ParsesNameAndTrimmedValue) {
  auto h = parse_header("Content-Type:  image/png ");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->first, "Content-Type");
  EXPECT_EQ(h->second, "image/png");
  auto colon_in_value = parse_header("X-Url: http://a:1/b");
  EXPECT_EQ(colon_in_value->second, "http://a:1/b");
  auto empty_value = parse_header("X-Empty:");
  ASSERT_TRUE(empty_value.ok());
  EXPECT_EQ(empty_value->second, "");
}

TEST(CliHeader, RejectsMissingColonOrBadName) {
  for (const char* bad : {"Content-Type image/png", ": value", "Bad Name: v", "X(y): v"}) {
    auto h = parse_header(bad);
    ASSERT_FALSE(h.ok()) << bad;
    EXPECT_EQ(h.failure().exit_code, 64);
  }
}

TEST(CliHeader, RepeatedNamesAreJoined) {
  auto headers = parse_headers({"X-A: 1", "X-B: 2", "X-A: 3"});
  ASSERT_TRUE(headers.ok());
  EXPECT_EQ(*headers, (json{{"X-A", "1, 3"}, {"X-B", "2"}}));
  EXPECT_TRUE(parse_headers({})->empty());
}

TEST(CliEnv, SplitsAtFirstEquals) {
  auto env = parse_env({"A=1", "B=x=y", "C="});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->at("A"), "1");
  EXPECT_EQ(env->at("B"), "x=y");
  EXPECT_EQ(env->at("C"), "");
  EXPECT_FALSE(parse_env({"NOEQUALS"}).ok());
  EXPECT_FALSE(parse_env({"=value"}).ok());
}

TEST(CliDurationOption, ParsesOrNamesTheOption) {
  EXPECT_FALSE(parse_duration_option("--delay", std::nullopt)->has_value());
  EXPECT_EQ(**parse_duration_option("--delay", std::string("2s")), Millis(2000));
  auto bad = parse_duration_option("--delay", std::string("soon"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.failure().exit_code, 64);
  EXPECT_EQ(bad.failure().what, "--delay");
  EXPECT_NE(bad.failure().why.find("soon"), std::string::npos);
  EXPECT_EQ(**parse_size_option("--max-output", std::string("4MiB")), 4u << 20);
  EXPECT_FALSE(parse_size_option("--max-output", std::string("lots")).ok());
}

TEST(CliRanges, OutOfRangeIsBadInputWithTheRange) {
  EXPECT_EQ(**parse_duration_option("--delay", std::string("3650d")), k_max_duration);
  for (const char* out : {"3651d", "106751991167d", "99999999999999999999d"}) {
    auto d = parse_duration_option("--delay", std::string(out));
    ASSERT_FALSE(d.ok()) << out;
    EXPECT_EQ(d.failure().exit_code, 65);
    EXPECT_EQ(format_failure(d.failure()), std::string("fnq: error: --delay: '") + out +
                                               "' is out of range (durations are 0 to 3650d)");
  }
  auto size = parse_size_option("--max-output", std::string("2TiB"));
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.failure().exit_code, 65);
  EXPECT_NE(size.failure().why.find("sizes are 0 to 1TiB"), std::string::npos);
  EXPECT_FALSE(check_int_option("--priority", 1'000'000'000, k_priority_range));
  EXPECT_FALSE(check_int_option("--priority", std::nullopt, k_priority_range));
  auto prio = check_int_option("--priority", 1'000'000'001, k_priority_range);
  ASSERT_TRUE(prio);
  EXPECT_EQ(prio->exit_code, 65);
  EXPECT_EQ(format_failure(*prio),
            "fnq: error: --priority: 1000000001 is out of range "
            "(expected an integer from -1000000000 to 1000000000)");
}

TEST(CliRanges, AtMustBeARealDateWithinTheRunAtRange) {
  std::int64_t now = 1'795'428'000'000;  // 2026-11-23T10:00:00Z
  EXPECT_EQ(*parse_at_option("--at", "2026-11-23T11:00:00+01:00", now), now);
  EXPECT_EQ(parse_at_option("--at", "tomorrow", now).failure().exit_code, 64);
  for (const char* bad : {"2027-02-30T00:00:00Z", "2027-01-01T10:00:00+99:99",
                          "2027-01-01T24:00:00Z", "2040-01-01T00:00:00Z", "1970-01-01T00:00:00Z"}) {
    auto t = parse_at_option("--at", bad, now);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.failure().exit_code, 65) << bad;
  }
}

TEST(CliFunctionName, InvalidIsBadInput) {
  EXPECT_FALSE(check_function_name("resize").has_value());
  EXPECT_FALSE(check_function_name("img.thumb-2_x").has_value());
  for (const char* bad : {"", "Resize", "-x", "a b", "_x"}) {
    auto f = check_function_name(bad);
    ASSERT_TRUE(f.has_value()) << bad;
    EXPECT_EQ(f->exit_code, 65);
  }
  EXPECT_TRUE(check_function_name(std::string(65, 'a')).has_value());
}

TEST(CliInput, SourceSelection) {
  InputOptions none;
  EXPECT_EQ(choose_input_source(none, true), InputSource::empty);
  EXPECT_EQ(choose_input_source(none, false), InputSource::standard_input);
  InputOptions data{std::string("x"), std::nullopt};
  EXPECT_EQ(choose_input_source(data, false), InputSource::data);
  InputOptions file{std::nullopt, std::string("a.png")};
  EXPECT_EQ(choose_input_source(file, true), InputSource::file);
  InputOptions empty_data{std::string(), std::nullopt};
  EXPECT_EQ(choose_input_source(empty_data, false), InputSource::data);
}

TEST(CliInput, ReadsEachSource) {
  test::TempDir dir;
  test::write_file(dir.file("in.bin"), std::string("a\0b", 3));
  std::istringstream in("from stdin");
  EXPECT_EQ(*read_input({std::string("inline"), std::nullopt}, in, false), "inline");
  EXPECT_EQ(*read_input({std::nullopt, dir.file("in.bin")}, in, true), std::string("a\0b", 3));
  EXPECT_EQ(*read_input({}, in, true), "");
  EXPECT_EQ(*read_input({}, in, false), "from stdin");
  std::istringstream in2("dash");
  EXPECT_EQ(*read_input({std::nullopt, std::string("-")}, in2, true), "dash");
}

TEST(CliInput, UnreadableFileIsNoInput) {
  test::TempDir dir;
  std::istringstream in;
  auto missing = read_input({std::nullopt, dir.file("missing")}, in, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.failure().exit_code, 66);
  EXPECT_NE(missing.failure().why.find("No such file"), std::string::npos);
  auto directory = read_input({std::nullopt, dir.path()}, in, true);
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.failure().why, "is a directory");
}

TEST(CliInput, SplitLinesKeepsNewlinesSkipsEmpty) {
  EXPECT_EQ(split_lines("a\n\nb\r\nc"), (std::vector<std::string>{"a\n", "b\n", "c\n"}));
  EXPECT_TRUE(split_lines("").empty());
  EXPECT_TRUE(split_lines("\n\r\n\n").empty());
}

TEST(CliInput, Utf8AsTextOtherBytesAsBase64) {
  json text;
  set_call_input(text, "h\xc3\xa9llo");
  EXPECT_EQ(text, (json{{"input", "h\xc3\xa9llo"}}));
  json binary;
  set_call_input(binary, std::string("\x89PNG\0", 5));
  EXPECT_EQ(binary, (json{{"input_base64", "iVBORwA="}}));
  json empty = json::object();
  set_call_input(empty, "");
  EXPECT_TRUE(empty.empty());
}

TEST(CliText, UrlEncodeAndWidth) {
  EXPECT_EQ(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(url_encode("img.thumb-2_x~"), "img.thumb-2_x~");
  EXPECT_EQ(display_width("h\xc3\xa9llo"), 5u);
  EXPECT_EQ(to_lower("AbC-12"), "abc-12");
}

}  // namespace
}  // namespace fnq::cli
