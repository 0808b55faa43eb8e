#include "common/url.h"

#include <gtest/gtest.h>

namespace fnq {
namespace {

TEST(Url, SplitsSchemeHostPortAndTarget) {
  auto u = parse_url("https://Hooks.example.org:8443/a/b?next=%2Fx#frag");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "Hooks.example.org");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->authority, "Hooks.example.org:8443");
  EXPECT_EQ(u->target, "/a/b?next=%2Fx#frag");  // exactly as written, never decoded
  EXPECT_EQ(u->origin(), "https://Hooks.example.org:8443");
}

TEST(Url, DefaultsThePortByScheme) {
  EXPECT_EQ(parse_url("http://h")->port, "80");
  EXPECT_EQ(parse_url("HTTPS://h")->port, "443");
  EXPECT_EQ(parse_url("HTTPS://h")->scheme, "https");
}

TEST(Url, BracketedIpv6) {
  auto u = parse_url("http://[::1]:9/x");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "9");
  EXPECT_EQ(u->authority, "[::1]:9");
  EXPECT_EQ(u->target, "/x");
}

TEST(Url, AQueryRightAfterTheAuthority) {
  auto u = parse_url("http://h:81?x=1");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->authority, "h:81");
  EXPECT_EQ(u->target, "?x=1");
}

TEST(Url, BareAuthorityOnlyWithADefaultScheme) {
  EXPECT_FALSE(parse_url("localhost:7850").ok());
  auto u = parse_url("localhost:7850", "http");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, "7850");
}

TEST(Url, RefusesWithAReason) {
  for (const char* bad :
       {"ftp://h", "http://", "http://:80", "http://h:0", "http://h:65536", "http://h:x",
        "http://h:", "http://user:pw@h", "http://[::1", "http://[::1]x", "http://h\r\n/x",
        "http://h\t/x", "http://a b/", "mailto:x"}) {
    auto u = parse_url(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().kind, ErrorKind::invalid_input);
    EXPECT_FALSE(u.error().message.empty());
  }
}

}  // namespace
}  // namespace fnq
