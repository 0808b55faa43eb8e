// fnqd's settings: --auth none only on loopback, durations and sizes.
#include <gtest/gtest.h>

#include <vector>

#include "daemon/config.h"
#include "support/temp_dir.h"

namespace fnq {
namespace {

Result<ParsedArgs> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "fnqd");
  args.push_back("--state-dir");
  args.push_back("/nonexistent/fnq-config-test");
  return parse_daemon_args(static_cast<int>(args.size()), args.data());
}

TEST(DaemonConfig, LoopbackIsALiteralLoopbackAddressOrLocalhost) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "127.example.com", "localhost.evil", "",
                           "128.0.0.1", "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(DaemonConfig, AuthNoneIsRefusedOffLoopback) {
  auto refused = parse({"--auth", "none", "--listen", "0.0.0.0:7850"});
  ASSERT_FALSE(refused);
  EXPECT_NE(
      refused.error().message.find("--auth none is refused on the non-loopback address 0.0.0.0"),
      std::string::npos)
      << refused.error().message;
  auto ok = parse({"--auth", "none", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(ok->config.auth_token);
}

TEST(DaemonConfig, LimitsParseAsDurationsAndSizes) {
  auto r = parse({"--read-timeout", "250ms", "--write-timeout", "2s", "--max-body", "1KiB",
                  "--callback-backoff", "100ms", "--callback-allow", "a.example,b.example"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->config.read_timeout, Millis(250));
  EXPECT_EQ(r->config.write_timeout, Millis(2000));
  EXPECT_EQ(r->config.max_body, 1024u);
  EXPECT_EQ(r->config.callback_backoff, Millis(100));
  EXPECT_EQ(r->config.callback_allow, (std::vector<std::string>{"a.example", "b.example"}));
  auto bad = parse({"--read-timeout", "soon"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("--read-timeout:", 0), 0u) << bad.error().message;
}

}  // namespace
}  // namespace fnq

namespace fnq {
namespace {

TEST(DaemonConfigFile, SettingsComeFromTheFileAndFlagsWin) {
  test::TempDir dir;
  test::write_file(dir.file("fnqd.toml"), "max-inflight = 3\nexec-timeout = \"90s\"\n");
  std::string path = dir.file("fnqd.toml");
  std::vector<const char*> args = {"fnqd", "--config", path.c_str(), "--max-inflight", "5"};
  auto parsed = parse_daemon_args(static_cast<int>(args.size()), args.data());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->config.max_inflight, 5);
  EXPECT_EQ(parsed->config.exec_timeout.count(), 90'000);
}

TEST(DaemonConfigFile, AMisspeltSettingIsAnError) {
  test::TempDir dir;
  test::write_file(dir.file("fnqd.toml"), "exec-timout = \"90s\"\n");
  std::string path = dir.file("fnqd.toml");
  std::vector<const char*> args = {"fnqd", "--config", path.c_str()};
  auto parsed = parse_daemon_args(static_cast<int>(args.size()), args.data());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("exec-timout"), std::string::npos)
      << parsed.error().message;
}

}  // namespace
}  // namespace fnq

namespace fnq {
namespace {

TEST(DaemonConfigRanges, DurationFlagsAreWithin3650Days) {
  for (const char* flag :
       {"--read-timeout", "--write-timeout", "--exec-timeout", "--kill-grace", "--retry-backoff",
        "--retry-backoff-max", "--retention", "--shutdown-grace", "--callback-backoff"}) {
    auto ok = parse({flag, "3650d"});
    EXPECT_TRUE(ok) << flag << ": " << ok.error().message;
    for (const char* out : {"3651d", "106751991167d", "99999999999999999999d"}) {
      auto refused = parse({flag, out});
      ASSERT_FALSE(refused) << flag << " " << out;
      EXPECT_EQ(refused.error().message,
                std::string(flag) + ": '" + out + "' is out of range (durations are 0 to 3650d)");
    }
  }
}

TEST(DaemonConfigRanges, SizesAndCountsHaveTheirRanges) {
  EXPECT_TRUE(parse({"--max-output", "1TiB"}));
  EXPECT_FALSE(parse({"--max-body", "1025GiB"}));
  EXPECT_TRUE(parse({"--max-retries", "1000"}));
  struct Case {
    const char* flag;
    const char* value;
    const char* range;
  } cases[] = {
      {"--max-retries", "1001", "from 0 to 1000"}, {"--max-retries", "-1", "from 0 to 1000"},
      {"--max-inflight", "0", "from 1 to 10000"},  {"--max-inflight", "10001", "from 1 to 10000"},
      {"--http-threads", "7", "from 8 to 10000"},  {"--callback-attempts", "0", "from 1 to 100"},
  };
  for (const auto& c : cases) {
    auto refused = parse({c.flag, c.value});
    ASSERT_FALSE(refused) << c.flag << " " << c.value;
    EXPECT_EQ(refused.error().message,
              std::string(c.flag) + ": " + c.value + " is out of range (expected " + c.range + ")");
  }
}

TEST(DaemonConfigRanges, TheConfigFileIsCheckedAlike) {
  test::TempDir dir;
  test::write_file(dir.file("fnqd.toml"), "kill-grace = \"106751991167d\"\n");
  std::string path = dir.file("fnqd.toml");
  std::vector<const char*> args = {"fnqd", "--config", path.c_str()};
  auto parsed = parse_daemon_args(static_cast<int>(args.size()), args.data());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("--kill-grace: '106751991167d' is out of range"),
            std::string::npos)
      << parsed.error().message;
}

}  // namespace
}  // namespace fnq
