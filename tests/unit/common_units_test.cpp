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
  for (const char* bad : {"", "s", "-1s", "1.5s", "10x", "1 s", "1sms"}) {
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

TEST(Duration, RangeIsZeroTo3650Days) {
  EXPECT_EQ(parse_duration("0")->count(), 0);
  EXPECT_EQ(*parse_duration("3650d"), k_max_duration);
  EXPECT_EQ(*parse_duration(std::to_string(k_max_duration.count())), k_max_duration);
  for (const char* out :
       {"3651d", "315360000001", "87601h", "106751991167d", "99999999999999999999d",
        "18446744073709551615", "9999999999999999999999999"}) {
    auto d = parse_duration(out);
    ASSERT_FALSE(d.ok()) << out;
    EXPECT_NE(d.error().message.find("is out of range (durations are 0 to 3650d)"),
              std::string::npos)
        << d.error().message;
  }
}

TEST(Duration, SyntaxAndRangeAreToldApart) {
  EXPECT_FALSE(parse_duration_ms("soon").ok());
  ASSERT_TRUE(parse_duration_ms("106751991167d").ok());
  EXPECT_EQ(*parse_duration_ms("99999999999999999999d"), UINT64_MAX);  // saturates
  EXPECT_FALSE(check_duration(*parse_duration_ms("3651d"), "3651d").ok());
}

TEST(Duration, FromJsonChecksTheRangeOfEveryNumberType) {
  using nlohmann::json;
  EXPECT_EQ(*duration_from_json(json::parse("315360000000"), "delay"), k_max_duration);
  for (const char* out : {"315360000001", "9223372036854775808", "18446744073709551615", "-1",
                          "-9223372036854775808"}) {
    auto d = duration_from_json(json::parse(out), "delay");
    ASSERT_FALSE(d.ok()) << out;
    EXPECT_EQ(d.error().message,
              std::string("delay: '") + out + "' is out of range (durations are 0 to 3650d)");
  }
  for (const char* wrong : {"1.5", "1e3", "true", "[]", "{}"}) {
    auto d = duration_from_json(json::parse(wrong), "exec_timeout");
    ASSERT_FALSE(d.ok()) << wrong;
    EXPECT_EQ(d.error().message.rfind("exec_timeout: expected a duration", 0), 0u);
  }
}

TEST(Duration, ClampBringsStoredValuesIntoRange) {
  EXPECT_EQ(clamp_duration(Millis(INT64_MAX)), k_max_duration);
  EXPECT_EQ(clamp_duration(Millis(-5)), Millis(0));
  EXPECT_EQ(clamp_duration(Millis(1500)), Millis(1500));
}

TEST(Size, RangeIsZeroToOneTiB) {
  EXPECT_EQ(*parse_size("1TiB"), k_max_size);
  EXPECT_EQ(*parse_size("1024GiB"), k_max_size);
  EXPECT_EQ(format_size(k_max_size), "1TiB");
  for (const char* out :
       {"1099511627777", "1025GiB", "2TiB", "18446744073709551615", "99999999999999999999G"}) {
    auto s = parse_size(out);
    ASSERT_FALSE(s.ok()) << out;
    EXPECT_NE(s.error().message.find("out of range (sizes are 0 to 1TiB)"), std::string::npos);
  }
  EXPECT_FALSE(size_from_json(nlohmann::json::parse("-1"), "max_output").ok());
  EXPECT_FALSE(size_from_json(nlohmann::json::parse("18446744073709551615"), "max_output").ok());
  EXPECT_EQ(*size_from_json(nlohmann::json(42), "max_output"), 42u);
}

TEST(Time, RefusesDatesThatDoNotExist) {
  for (const char* bad : {"2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2024-02-30T10:00:00Z",
                          "2026-04-31T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T10:60:00Z",
                          "2026-11-23T23:59:60Z", "2026-11-23T10:00:00+99:99",
                          "2026-11-23T10:00:00+24:00", "2026-11-23T10:00:00-00:60",
                          "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z", "2100-02-29T00:00:00Z"}) {
    bool well_formed = false;
    auto t = parse_time(bad, &well_formed);
    EXPECT_FALSE(t.ok()) << bad << " read as " << (t.ok() ? format_time(*t) : "");
    EXPECT_TRUE(well_formed) << bad;
  }
  EXPECT_TRUE(parse_time("2024-02-29T00:00:00Z").ok());
  EXPECT_TRUE(parse_time("2000-02-29T00:00:00Z").ok());
  EXPECT_TRUE(parse_time("2026-11-23T23:59:59+23:59").ok());
}

TEST(Time, RangeIsYears1970To9999) {
  EXPECT_EQ(*parse_time("1970-01-01T00:00:00Z"), k_min_time_ms);
  EXPECT_EQ(*parse_time("9999-12-31T23:59:59.999Z"), k_max_time_ms);
  EXPECT_EQ(*parse_time("1970-01-01T01:00:00+01:00"), 0);
  for (const char* out : {"1969-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z",
                          "9999-12-31T23:59:59-00:01", "1970-01-01T00:00:00+00:01"}) {
    auto t = parse_time(out);
    ASSERT_FALSE(t.ok()) << out;
    EXPECT_NE(t.error().message.find("out of range"), std::string::npos) << t.error().message;
  }
}

TEST(Time, FormatsOutOfRangeValuesAsTheNearestBound) {
  EXPECT_EQ(format_time(INT64_MIN), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_time(-1), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_time(INT64_MAX), "9999-12-31T23:59:59.999Z");
  EXPECT_TRUE(parse_time(format_time(INT64_MAX)).ok());
}

TEST(Time, SumsStayInRange) {
  EXPECT_EQ(time_after(1000, Millis(500)), 1500);
  EXPECT_EQ(time_after(k_max_time_ms, k_max_duration), k_max_time_ms);
  EXPECT_EQ(time_before(1000, k_max_duration), k_min_time_ms);
  EXPECT_EQ(time_before(1000, Millis(1)), 999);
}

TEST(Time, RunAtIsWithin3650DaysOfNow) {
  std::int64_t now = 1'795'428'000'000;
  EXPECT_TRUE(check_run_at(now + k_max_duration.count(), now, "x").ok());
  EXPECT_TRUE(check_run_at(now - k_max_duration.count(), now, "x").ok());
  auto later = check_run_at(now + k_max_duration.count() + 1, now, "2036-11-21T10:00:00.001Z");
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().message,
            "'2036-11-21T10:00:00.001Z' is out of range (a run_at is within 3650d of now)");
  EXPECT_FALSE(check_run_at(now - k_max_duration.count() - 1, now, "x").ok());
  EXPECT_FALSE(check_run_at(k_max_time_ms, now, "x").ok());
}

TEST(Time, RejectsGarbage) {
  for (const char* bad :
       {"", "tomorrow", "2026-13-01T00:00:00Z", "2026-11-23T10:00:00", "2026-11-23T10:00Zjunk"}) {
    EXPECT_FALSE(parse_time(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace fnq
