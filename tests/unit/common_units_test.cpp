#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/timeutil.h"
#include "common/units.h"

namespace fnq {
namespace {

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("250ms")->count(), 250);
  EXPECT_EQ(parse_duration("30s")->count(), 30'000);
  EXPECT_EQ(parse_duration("5m")->count(), 300'000);
  EXPECT_EQ(parse_duration("2h")->count(), 7'200'000);
  EXPECT_EQ(parse_duration("1d")->count(), 86'400'000);
  EXPECT_EQ(parse_duration("1500")->count(), 1500);
  EXPECT_EQ(parse_duration("0")->count(), 0);
}

TEST(Duration, RejectsBadInputWithAClearMessage) {
  for (const char* bad : {"", "s", "-1s", "1.5s", "10x", "1 s", "99999999999999999999d", "1sms"}) {
    auto d = parse_duration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.error().kind, ErrorKind::invalid_input);
    EXPECT_NE(d.error().message.find("invalid duration"), std::string::npos);
  }
}

TEST(Duration, FormatsShortestExactForm) {
  EXPECT_EQ(format_duration(Millis(0)), "0s");
  EXPECT_EQ(format_duration(Millis(1500)), "1500ms");
  EXPECT_EQ(format_duration(Millis(30'000)), "30s");
  EXPECT_EQ(format_duration(Millis(7'200'000)), "2h");
  EXPECT_EQ(format_duration(Millis(90'000)), "90s");
  EXPECT_EQ(format_duration(Millis(86'400'000)), "1d");
}

TEST(Duration, FromJsonAcceptsStringsAndMillisAndNamesTheField) {
  EXPECT_EQ(duration_from_json(nlohmann::json("2s"), "delay")->count(), 2000);
  EXPECT_EQ(duration_from_json(nlohmann::json(42), "delay")->count(), 42);
  auto bad = duration_from_json(nlohmann::json(true), "exec_timeout");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("exec_timeout:", 0), 0u);
  EXPECT_FALSE(duration_from_json(nlohmann::json(-5), "delay").ok());
}

TEST(Size, ParsesAndFormats) {
  EXPECT_EQ(*parse_size("512"), 512u);
  EXPECT_EQ(*parse_size("64KiB"), 65536u);
  EXPECT_EQ(*parse_size("4MiB"), 4u << 20);
  EXPECT_EQ(*parse_size("1GiB"), 1u << 30);
  EXPECT_EQ(*parse_size("10MB"), 10'000'000u);
  EXPECT_EQ(format_size(4u << 20), "4MiB");
  EXPECT_EQ(format_size(1536), "1536");
  EXPECT_EQ(format_size(0), "0");
  for (const char* bad : {"", "MiB", "4mib", "-1", "1.5MiB", "4 MiB"}) {
    EXPECT_FALSE(parse_size(bad).ok()) << bad;
  }
}

TEST(Time, FormatsRfc3339WithMillis) {
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_time(1'795'428'000'123), "2026-11-23T10:00:00.123Z");
}

TEST(Time, ParsesRfc3339AndOffsets) {
  EXPECT_EQ(*parse_time("2026-11-23T10:00:00.123Z"), 1'795'428'000'123);
  EXPECT_EQ(*parse_time("2026-11-23T10:00:00Z"), 1'795'428'000'000);
  EXPECT_EQ(*parse_time("2026-11-23T11:00:00+01:00"), 1'795'428'000'000);
  EXPECT_EQ(*parse_time(format_time(1'795'428'000'999)), 1'795'428'000'999);
}

TEST(Time, ParsesLocalTimes) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(*parse_time("2026-11-23 10:00"), 1'795'428'000'000);
  EXPECT_EQ(*parse_time("2026-11-23 10:00:05"), 1'795'428'005'000);
}

TEST(Time, RejectsGarbage) {
  for (const char* bad : {"", "tomorrow", "2026-13-01T00:00:00Z", "2026-11-23T10:00:00", "2026-11-23T10:00Zjunk"}) {
    EXPECT_FALSE(parse_time(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace fnq
