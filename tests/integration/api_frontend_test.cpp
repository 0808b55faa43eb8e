// The event-loop front end (daemon/api/http_loop.*): clients that are idle,
// slow, hostile or gone cost no thread; pipelined requests are answered in
// order; shutdown answers what was read (docs/internals.md, "HTTP limits").
#include <signal.h>

#include "integration/api_support.h"

namespace fnq::test {
namespace {

using ApiFrontendTest = ApiTest;
using Clock = std::chrono::steady_clock;

std::string get(const std::string& path, const std::string& extra = {}) {
  return "GET " + path + " HTTP/1.1\r\nHost: fnq\r\n" + extra + "\r\n";
}

// How long one answer took, and whether it had the status.
template <class F>
Clock::duration timed(F&& request, int status) {
  auto start = Clock::now();
  auto res = request();
  EXPECT_TRUE(res) << "no answer";
  if (res) {
    EXPECT_EQ(res->status, status) << res->body;
  }
  return Clock::now() - start;
}

TEST_F(ApiFrontendTest, AThousandIdleOrByteASecondClientsLeaveOthersAnsweredWithinASecond) {
  raise_fd_limit();
  start_daemon({"--http-threads", "16"});
  put_function("echo", {{"command", {"cat"}}});
  std::string id = submit({{"function", "echo"}, {"input", "x"}});
  int pid = m_daemon->pid();
  std::uint64_t threads_before = status_field(pid, "Threads");
  std::uint64_t rss_before = status_field(pid, "VmRSS");
  std::vector<std::unique_ptr<RawHttp>> hostile;
  for (int i = 0; i < 1000; ++i) {
    hostile.push_back(std::make_unique<RawHttp>(m_daemon->url()));
    ASSERT_TRUE(hostile.back()->connected()) << i;
  }
  const std::string dribble = "GET /v1/info HTTP/1.1\r\nHost: fnq\r\n";
  for (std::size_t round = 0; round < 3; ++round) {
    for (std::size_t i = 1; i < hostile.size(); i += 2) {  // every other one: a byte
      hostile[i]->send(dribble.substr(round, 1));
    }
    auto healthz = timed([&] { return http(false)->Get("/healthz"); }, 200);
    auto posted = timed(
        [&] {
          return http()->Post("/v1/calls", R"({"function": "echo", "delay": "1d"})",
                              "application/json");
        },
        202);
    auto read = timed([&] { return http()->Get("/v1/calls/" + id); }, 200);
    EXPECT_LT(healthz, 1s) << "round " << round;
    EXPECT_LT(posted, 1s) << "round " << round;
    EXPECT_LT(read, 1s) << "round " << round;
    std::this_thread::sleep_for(1s);  // the next byte a second later
  }
  // Connections cost no thread, and little memory.
  std::uint64_t threads = status_field(pid, "Threads");
  EXPECT_LE(threads, threads_before + 2) << "threads before: " << threads_before;
  EXPECT_LT(status_field(pid, "VmRSS") - rss_before, 64u << 10) << "KiB before: " << rss_before;
}

TEST_F(ApiFrontendTest, PipelinedRequestsAreAnsweredInOrder) {
  put_function("echo", {{"command", {"cat"}}});
  RawHttp raw(m_daemon->url());
  std::string body = R"({"function": "echo", "input": "piped"})";
  ASSERT_TRUE(
      raw.send(get("/healthz") + get("/v1/info", auth_header()) +
               "POST /v1/calls HTTP/1.1\r\nHost: fnq\r\n" + auth_header() +
               "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n\r\n" + body + get("/v1/nothing-here", auth_header()) + get("/healthz")));
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) {
    auto res = raw.read_response();
    ASSERT_TRUE(res) << "answer " << i;
    statuses.push_back(res->status);
    if (i == 2) {
      EXPECT_EQ(json::parse(res->body)["function"], "echo");
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 202, 404, 200}));
}

TEST_F(ApiFrontendTest, ASlowClientIsServedOnceItsRequestIsWhole) {
  RawHttp raw(m_daemon->url());
  std::string request = get("/v1/info", auth_header());
  for (char c : request) {
    ASSERT_TRUE(raw.send(std::string(1, c)));
    std::this_thread::sleep_for(2ms);
  }
  auto res = raw.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(ApiFrontendTest, ClientsVanishingMidRequestOrMidAnswerLeaveTheDaemonServing) {
  put_function("echo", {{"command", {"cat"}}});
  for (int i = 0; i < 20; ++i) {
    RawHttp raw(m_daemon->url());
    std::string body = R"({"function": "echo", "input": "never"})";
    raw.send("POST /v1/calls HTTP/1.1\r\nHost: fnq\r\n" + auth_header() + "Content-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2));
  }  // each closed with half its body sent
  for (int i = 0; i < 20; ++i) {
    RawHttp raw(m_daemon->url());
    std::string many;
    for (int j = 0; j < 200; ++j) {
      many += get("/v1/info", auth_header());
    }
    raw.send(many);  // closed without reading the answers
  }
  expect_json(http(false)->Get("/healthz"), 200);
  json list = expect_json(http()->Get("/v1/calls"), 200);
  EXPECT_TRUE(list["calls"].empty()) << list;
  // A request whose client closed its writing side is still answered.
  RawHttp half(m_daemon->url());
  half.send(get("/v1/info", auth_header()));
  ::shutdown(half.fd(), SHUT_WR);
  auto res = half.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(half.wait_closed());
}

TEST_F(ApiFrontendTest, ShutdownAnswersParkedRequestsAndClosesHalfReadOnes) {
  start_daemon({"--shutdown-grace", "1s"});
  put_blocking_function("block");
  std::string id = submit({{"function", "block"}});
  ASSERT_TRUE(wait_for_state(id, "running"));
  RawHttp waiting(m_daemon->url());
  ASSERT_TRUE(waiting.send(get("/v1/calls/" + id + "?wait=60s", auth_header())));
  RawHttp half(m_daemon->url());
  ASSERT_TRUE(half.send("GET /v1/info HTTP/1.1\r\n"));
  ASSERT_FALSE(waiting.readable(300ms));  // parked on the call
  ASSERT_EQ(::kill(m_daemon->pid(), SIGTERM), 0);
  // The long poll is answered with the call as it stands (or its
  // connection closed); nothing is left hanging.
  auto res = waiting.read_response(30s);
  if (res) {
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(json::parse(res->body)["id"], id);
  }
  EXPECT_TRUE(waiting.wait_closed(30s));
  EXPECT_TRUE(half.wait_closed(30s));
  release("block");
  EXPECT_EQ(m_daemon->stop(), 0);
}

}  // namespace
}  // namespace fnq::test
