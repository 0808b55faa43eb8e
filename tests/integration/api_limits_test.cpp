// HTTP limits: --max-body (declared and chunked), --read-timeout as a total
// deadline (slow headers, slow body), header size, and --auth none only on
// loopback (issue: the HTTP API, complete, compatible and safe).
#include <thread>

#include "integration/api_support.h"

namespace fnq::test {
namespace {

using ApiLimitsTest = ApiTest;
using Clock = std::chrono::steady_clock;

std::string chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

TEST_F(ApiLimitsTest, ABodyOneByteOverMaxBodyIs413) {
  start_daemon({"--max-body", "1KiB"});
  put_function("echo", {{"command", {"cat"}}});
  auto res = http()->Post("/async-function/echo", std::string(1024, 'a'), "text/plain");
  expect_json(res, 202);
  expect_error(http()->Post("/async-function/echo", std::string(1025, 'a'), "text/plain"), 413,
               "request body of 1025 bytes is over the limit of 1KiB (--max-body)");
  expect_error(http()->Post("/v1/calls", std::string(1025, ' '), "application/json"), 413,
               "--max-body");
  // The connection was closed after the 413; the next request gets a new one.
  json ok = expect_json(
      http()->Get("/v1/calls/" + res->get_header_value("X-Call-Id") + "?wait=20s"), 200);
  EXPECT_EQ(ok["state"], "succeeded");
}

TEST_F(ApiLimitsTest, AChunkedBodyGrowingPastMaxBodyIs413BeforeItEnds) {
  start_daemon({"--max-body", "1KiB"});
  put_function("echo", {{"command", {"cat"}}});
  RawHttp raw(m_daemon->url());
  ASSERT_TRUE(raw.send("POST /async-function/echo HTTP/1.1\r\nHost: fnq\r\n" + auth_header() +
                       "Transfer-Encoding: chunked\r\n\r\n"));
  // Keeps sending; the body never ends, so an answer proves the limit held.
  std::size_t sent = 0;
  while (sent < (8u << 20) && !raw.readable() && raw.send(chunk(std::string(100, 'x')))) {
    sent += 100;
  }
  auto res = raw.read_response();
  ASSERT_TRUE(res) << "no answer after " << sent << " body bytes";
  EXPECT_EQ(res->status, 413) << res->body;
  EXPECT_NE(res->body.find("over the limit of 1KiB (--max-body)"), std::string::npos) << res->body;
  EXPECT_EQ(res->header("Connection"), "close");
  EXPECT_FALSE(res->header("X-Fnq-Version").empty());
  EXPECT_TRUE(raw.wait_closed());
  EXPECT_GT(sent, 1024u);
  json list = expect_json(http()->Get("/v1/calls"), 200);
  EXPECT_TRUE(list["calls"].empty()) << list;
}

TEST_F(ApiLimitsTest, AChunkedBodyUnderTheLimitIsTheInput) {
  put_function("echo", {{"command", {"cat"}}});
  RawHttp raw(m_daemon->url());
  ASSERT_TRUE(raw.send("POST /function/echo HTTP/1.1\r\nHost: fnq\r\n" + auth_header() +
                       "Transfer-Encoding: chunked\r\n\r\n" + chunk("hello, ") + chunk("world") +
                       "0\r\n\r\n"));
  auto res = raw.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->body, "hello, world");
}

// Sends data one byte at a time, 100ms apart, until the server answers or
// closes; returns the answer and how long it took.
std::optional<RawResponse> dribble(RawHttp& raw, const std::string& data, Clock::duration* took,
                                   const std::function<void()>& meanwhile) {
  auto start = Clock::now();
  bool did_meanwhile = false;
  for (char c : data) {
    if (raw.readable() || !raw.send(std::string(1, c))) {
      break;
    }
    if (!did_meanwhile && Clock::now() - start > 300ms) {
      meanwhile();  // the slow client is mid-request now
      did_meanwhile = true;
    }
    std::this_thread::sleep_for(100ms);  // the slow client's pace, not a synchronization
  }
  auto res = raw.read_response(20s);
  *took = Clock::now() - start;
  return res;
}

TEST_F(ApiLimitsTest, SlowHeadersAreCutOffAtTheReadTimeoutWhileOthersAreServed) {
  start_daemon({"--read-timeout", "1s"});
  RawHttp slow(m_daemon->url());
  ASSERT_TRUE(slow.send("GET /v1/info HTTP/1.1\r\nHost: fnq\r\n" + auth_header() + "X-Slow: "));
  Clock::duration took{};
  // 300 bytes at 10 per second would take 30s; each byte comes well within
  // any per-recv() timeout.
  auto res = dribble(slow, std::string(300, 'a') + "\r\n\r\n", &took,
                     [&] { expect_json(http()->Get("/v1/info"), 200); });
  ASSERT_TRUE(res) << "the slow request was never cut off";
  EXPECT_EQ(res->status, 408);
  EXPECT_NE(res->body.find("not read within 1s (--read-timeout)"), std::string::npos) << res->body;
  EXPECT_FALSE(res->header("X-Fnq-Version").empty());
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 15s);
  EXPECT_TRUE(slow.wait_closed());
  EXPECT_NE(m_daemon->log().find(": 408 request not read within 1s"), std::string::npos);
}

TEST_F(ApiLimitsTest, ASlowBodyIsCutOffAtTheReadTimeout) {
  start_daemon({"--read-timeout", "1s"});
  put_function("echo", {{"command", {"cat"}}});
  RawHttp slow(m_daemon->url());
  ASSERT_TRUE(slow.send("POST /async-function/echo HTTP/1.1\r\nHost: fnq\r\n" + auth_header() +
                        "Content-Length: 300\r\n\r\n"));
  Clock::duration took{};
  auto res = dribble(slow, std::string(300, 'b'), &took, [&] {
    expect_json(http()->Post("/async-function/echo", "quick", "text/plain"), 202);
  });
  ASSERT_TRUE(res) << "the slow body was never cut off";
  EXPECT_EQ(res->status, 408);
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 15s);
  json list = expect_json(http()->Get("/v1/calls"), 200);
  EXPECT_EQ(list["calls"].size(), 1u) << "only the quick call exists: " << list;
}

TEST_F(ApiLimitsTest, OversizedHeadersAre431) {
  RawHttp raw(m_daemon->url());
  std::string request = "GET /v1/info HTTP/1.1\r\nHost: fnq\r\n" + auth_header();
  for (int i = 0; i < 12; ++i) {
    request += "X-Big-" + std::to_string(i) + ": " + std::string(7000, 'h') + "\r\n";
  }
  ASSERT_TRUE(raw.send(request + "\r\n"));
  auto res = raw.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);
  EXPECT_TRUE(raw.wait_closed());
  expect_json(http()->Get("/v1/info"), 200);
}

TEST_F(ApiLimitsTest, ABodyOnAGetIsNotTakenForTheNextRequest) {
  RawHttp raw(m_daemon->url());
  // Were the body read as the next request, it would be answered as one.
  std::string body = "GET /v1/functions HTTP/1.1\r\nHost: fnq\r\n" + auth_header() + "\r\n";
  ASSERT_TRUE(raw.send("GET /v1/info HTTP/1.1\r\nHost: fnq\r\n" + auth_header() +
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  auto res = raw.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->header("Connection"), "close");
  EXPECT_TRUE(raw.wait_closed());
}

TEST_F(ApiLimitsTest, AuthNoneIsRefusedOnANonLoopbackAddress) {
  for (const char* listen : {"0.0.0.0:0", "[::]:0", "127.evil.example:0"}) {
    RunResult r =
        run_program({FNQD_BIN, "--state-dir", file("other"), "--auth", "none", "--listen", listen});
    EXPECT_EQ(r.exit_code, 64) << listen;
    EXPECT_NE(r.err.find("fnqd: error: --auth none is refused on the non-loopback address"),
              std::string::npos)
        << r.err;
  }
}

TEST_F(ApiLimitsTest, AuthNoneIsAcceptedOnLoopback) {
  start_daemon({"--auth", "none"});
  put_function("echo", {{"command", {"cat"}}});
  auto res = http(false)->Post("/function/echo", "open", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "open");
}

}  // namespace
}  // namespace fnq::test
