// Where a request ends in a connection's bytes (daemon/api/http_framing.h).
#include "daemon/api/http_framing.h"

#include <gtest/gtest.h>

namespace fnq {
namespace {

FramingLimits limits(std::size_t max_body = 1024) {
  FramingLimits l;
  l.max_header_bytes = 256;
  l.max_body = max_body;
  return l;
}

Framed frame(const std::string& buf, const FramingLimits& l = limits()) {
  std::size_t scanned = 0;
  return frame_request(buf, l, &scanned);
}

const std::string k_get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(HttpFramingTest, AHeadWithoutBodyEndsAtTheBlankLine) {
  Framed f = frame(k_get + "GET /next");
  ASSERT_EQ(f.state, Framed::State::complete);
  EXPECT_EQ(f.size, k_get.size());
  EXPECT_FALSE(f.close_after);
  EXPECT_EQ(frame(k_get.substr(0, k_get.size() - 1)).state, Framed::State::incomplete);
}

TEST(HttpFramingTest, ScanningResumesWhereItStopped) {
  std::size_t scanned = 0;
  std::string buf = k_get.substr(0, k_get.size() - 2);
  EXPECT_EQ(frame_request(buf, limits(), &scanned).state, Framed::State::incomplete);
  EXPECT_EQ(scanned, buf.size());
  buf = k_get;
  Framed f = frame_request(buf, limits(), &scanned);
  ASSERT_EQ(f.state, Framed::State::complete);
  EXPECT_EQ(f.size, k_get.size());
}

TEST(HttpFramingTest, ABodyByContentLength) {
  std::string head = "POST /v1/calls HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
  EXPECT_EQ(frame(head + "1234").state, Framed::State::incomplete);
  Framed f = frame(head + "12345GET");
  ASSERT_EQ(f.state, Framed::State::complete);
  EXPECT_EQ(f.size, head.size() + 5);
  EXPECT_EQ(f.head_size, head.size());
}

TEST(HttpFramingTest, ADeclaredBodyOverTheLimitIsNotWaitedFor) {
  std::string head = "POST /v1/calls HTTP/1.1\r\nContent-Length: 1025\r\n\r\n";
  Framed f = frame(head);
  ASSERT_EQ(f.state, Framed::State::complete);
  EXPECT_EQ(f.size, head.size());
  EXPECT_TRUE(f.close_after);
}

TEST(HttpFramingTest, ARefusedHeadIsDispatchedAloneAndCloses) {
  std::string head = "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
  Framed f = frame(head + "12345");
  ASSERT_EQ(f.state, Framed::State::complete);
  EXPECT_EQ(f.size, head.size());
  EXPECT_TRUE(f.close_after);
  ASSERT_TRUE(f.head.refusal);
  EXPECT_EQ(f.head.refusal->status, 400);
}

TEST(HttpFramingTest, ABodyAnsweredWithoutReadingIsNotWaitedFor) {
  FramingLimits l = limits();
  l.answered_without_body = [](const RequestHead& h) { return !h.headers.count("Authorization"); };
  std::string head = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
  Framed f = frame(head, l);
  ASSERT_EQ(f.state, Framed::State::complete);
  EXPECT_EQ(f.size, head.size());
  EXPECT_TRUE(f.close_after);
}

TEST(HttpFramingTest, HeadersOverTheCapAre431) {
  EXPECT_EQ(frame("GET / HTTP/1.1\r\nX: " + std::string(300, 'a')).state,
            Framed::State::headers_too_large);
  EXPECT_EQ(frame("GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n").state,
            Framed::State::headers_too_large);
}

TEST(HttpFramingTest, AChunkedBodyEndsAfterItsLastChunkAndTrailers) {
  std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n";
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    EXPECT_EQ(frame(head + body.substr(0, cut)).state, Framed::State::incomplete) << cut;
  }
  Framed f = frame(head + body + "GET");
  ASSERT_EQ(f.state, Framed::State::complete);
  EXPECT_EQ(f.size, head.size() + body.size());
  EXPECT_FALSE(f.close_after);
}

TEST(HttpFramingTest, AChunkedBodyPastTheLimitOrMalformedIsDispatchedAsFarAsItCame) {
  std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  Framed big = frame(head + "401\r\nabc", limits(1024));
  ASSERT_EQ(big.state, Framed::State::complete);
  EXPECT_TRUE(big.close_after);
  Framed bad = frame(head + "zz\r\n");
  ASSERT_EQ(bad.state, Framed::State::complete);
  EXPECT_TRUE(bad.close_after);
  Framed unended = frame(head + "2\r\nabcd\r\n");
  ASSERT_EQ(unended.state, Framed::State::complete);
  EXPECT_TRUE(unended.close_after);
}

TEST(HttpFramingTest, ExpectContinueIsReportedWhileTheBodyIsAwaited) {
  std::string head = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  EXPECT_TRUE(frame(head).expects_continue);
  EXPECT_FALSE(frame(head + "a").expects_continue);
  EXPECT_EQ(frame(head + "abc").state, Framed::State::complete);
}

}  // namespace
}  // namespace fnq
