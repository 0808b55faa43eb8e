// Long polls that scale: clients waiting on ?wait or /v1/await are parked
// without a thread, however many; they are answered when their calls
// finish, at their deadline, or when fnqd stops. Sync invocations still wait
// on a worker, and past the cap answer at once.
#include <signal.h>

#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <set>

#include "integration/api_support.h"

namespace fnq::test {
namespace {

using Clock = std::chrono::steady_clock;

class ApiLongPollTest : public ApiTest {
 protected:
  // count calls that stay waiting (delayed by an hour), in one batch.
  std::vector<std::string> waiting_calls(int count) {
    json calls = json::array();
    for (int i = 0; i < count; ++i) {
      calls.push_back({{"function", "noop"}, {"delay", "1h"}});
    }
    json answer = expect_json(
        http()->Post("/v1/calls", json{{"calls", calls}}.dump(), "application/json"), 202);
    std::vector<std::string> ids;
    for (const auto& c : answer["calls"]) {
      ids.push_back(c["id"]);
      EXPECT_EQ(c["state"], "waiting");
    }
    return ids;
  }

  // One raw connection per id, each asking GET /v1/calls/ID?wait=30s.
  std::vector<std::unique_ptr<RawHttp>> wait_on(const std::vector<std::string>& ids) {
    std::vector<std::unique_ptr<RawHttp>> conns;
    for (const auto& id : ids) {
      conns.push_back(std::make_unique<RawHttp>(m_daemon->url()));
      EXPECT_TRUE(conns.back()->send("GET /v1/calls/" + id + "?wait=30s HTTP/1.1\r\nHost: fnq\r\n" +
                                     auth_header() + "\r\n"));
    }
    return conns;
  }

  long gauge(const std::string& name) {
    std::smatch m;
    std::string text = metrics_text();
    if (std::regex_search(text, m, std::regex("\n" + name + " ([0-9]+)"))) {
      return std::stol(m[1]);
    }
    return -1;
  }

  void cancel_all(const std::vector<std::string>& ids) {
    auto client = http();
    for (const auto& id : ids) {
      auto res = client->Post("/v1/calls/" + id + "/cancel", "", "text/plain");
      ASSERT_TRUE(res && res->status == 200);
    }
  }
};

TEST_F(ApiLongPollTest, TwoHundredWaitingClientsDoNotHoldUpASubmitOrARead) {
  start_daemon({"--sync", "normal"});
  put_function("noop", {{"command", {"true"}}});
  auto ids = waiting_calls(200);
  auto conns = wait_on(ids);
  ASSERT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 200; }, 20s))
      << "fnq_waiters: " << gauge("fnq_waiters");

  auto start = Clock::now();
  auto submitted = http()->Post("/async-function/noop", "", "text/plain");
  auto submit_took = Clock::now() - start;
  expect_json(submitted, 202);
  start = Clock::now();
  json read = expect_json(http()->Get("/v1/calls/" + ids.front()), 200);
  auto read_took = Clock::now() - start;
  EXPECT_EQ(read["state"], "waiting");
  // Behaviour, not speed: both are answered while 200 clients wait.
  EXPECT_LT(submit_took, 5s);
  EXPECT_LT(read_took, 5s);

  cancel_all(ids);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    auto res = conns[i]->read_response(20s);
    ASSERT_TRUE(res) << "waiter " << i << " got no answer";
    EXPECT_EQ(res->status, 200);
    json call = json::parse(res->body, nullptr, false);
    EXPECT_EQ(call["id"], ids[i]);
    EXPECT_EQ(call["state"], "cancelled");  // held until its call finished
  }
  EXPECT_EQ(gauge("fnq_waiters"), 0);
}

// ?wait and /v1/await park: a thousand of them hold no thread, and a
// submit, a read and /healthz are answered meanwhile.
TEST_F(ApiLongPollTest, AThousandParkedLongPollsHoldNoThread) {
  raise_fd_limit();
  start_daemon({"--http-threads", "16", "--sync", "normal"});
  put_function("noop", {{"command", {"true"}}});
  int pid = m_daemon->pid();
  std::uint64_t threads_before = status_field(pid, "Threads");
  auto ids = waiting_calls(1000);
  std::vector<std::unique_ptr<RawHttp>> conns;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    conns.push_back(std::make_unique<RawHttp>(m_daemon->url()));
    if (i % 2 == 0) {
      ASSERT_TRUE(conns.back()->send("GET /v1/calls/" + ids[i] +
                                     "?wait=60s HTTP/1.1\r\nHost: fnq\r\n" + auth_header() +
                                     "\r\n"));
    } else {
      std::string body = json{{"ids", {ids[i]}}, {"timeout", "60s"}}.dump();
      ASSERT_TRUE(conns.back()->send(
          "POST /v1/await HTTP/1.1\r\nHost: fnq\r\nContent-Type: application/json\r\n" +
          auth_header() + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
    }
  }
  ASSERT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 1000; }, 30s))
      << "fnq_waiters: " << gauge("fnq_waiters");
  // The pool's threads, no more: nothing is held by a waiting client.
  EXPECT_EQ(status_field(pid, "Threads"), threads_before);
  for (std::size_t i = 0; i < conns.size(); i += 97) {
    EXPECT_FALSE(conns[i]->readable()) << "waiter " << i << " answered early";
  }
  auto start = Clock::now();
  expect_json(http()->Post("/async-function/noop", "", "text/plain"), 202);
  expect_json(http()->Get("/v1/calls/" + ids.front()), 200);
  EXPECT_EQ(http(false)->Get("/healthz")->status, 200);
  EXPECT_LT(Clock::now() - start, 5s);

  cancel_all(ids);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    auto res = conns[i]->read_response(30s);
    ASSERT_TRUE(res) << "waiter " << i << " got no answer";
    ASSERT_EQ(res->status, 200) << res->body;
    json answer = json::parse(res->body, nullptr, false);
    json call = i % 2 == 0 ? answer : answer["calls"][0];
    EXPECT_EQ(call["id"], ids[i]);
    EXPECT_EQ(call["state"], "cancelled");  // held until its call finished
    if (i % 2 == 1) {
      EXPECT_EQ(answer["done"], true);
    }
  }
  EXPECT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 0; }, 10s));
}

// A parked wait ends at its deadline with the call as it is; one parked for
// several calls is answered once all of them have finished.
TEST_F(ApiLongPollTest, AParkedWaitEndsAtItsDeadlineOrWhenAllItsCallsFinish) {
  start_daemon({"--sync", "normal"});
  put_function("noop", {{"command", {"true"}}});
  auto ids = waiting_calls(3);
  auto start = Clock::now();
  json call = expect_json(http()->Get("/v1/calls/" + ids[0] + "?wait=1s"), 200);
  EXPECT_EQ(call["state"], "waiting");
  EXPECT_GE(Clock::now() - start, 1s);

  RawHttp conn(m_daemon->url());
  std::string body = json{{"ids", ids}, {"timeout", "60s"}}.dump();
  ASSERT_TRUE(conn.send("POST /v1/await HTTP/1.1\r\nHost: fnq\r\n" + auth_header() +
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  ASSERT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 1; }, 10s));
  cancel_all({ids[0], ids[1]});
  EXPECT_FALSE(conn.readable(300ms)) << "answered before its last call finished";
  cancel_all({ids[2]});
  auto res = conn.read_response(10s);
  ASSERT_TRUE(res);
  json answer = json::parse(res->body, nullptr, false);
  EXPECT_EQ(answer["done"], true);
  for (const auto& c : answer["calls"]) {
    EXPECT_EQ(c["state"], "cancelled");
  }
}

// Requests pipelined behind a parked wait are answered after it, in order.
TEST_F(ApiLongPollTest, RequestsPipelinedBehindAParkedWaitKeepTheirOrder) {
  start_daemon({"--sync", "normal"});
  put_function("noop", {{"command", {"true"}}});
  auto ids = waiting_calls(2);
  RawHttp conn(m_daemon->url());
  auto start = Clock::now();
  ASSERT_TRUE(conn.send("GET /v1/calls/" + ids[0] + "?wait=1s HTTP/1.1\r\nHost: fnq\r\n" +
                        auth_header() + "\r\nGET /v1/calls/" + ids[1] +
                        " HTTP/1.1\r\nHost: fnq\r\n" + auth_header() + "\r\n"));
  auto first = conn.read_response(10s);
  ASSERT_TRUE(first);
  EXPECT_GE(Clock::now() - start, 1s);
  EXPECT_EQ(json::parse(first->body, nullptr, false)["id"], ids[0]);
  auto second = conn.read_response(10s);
  ASSERT_TRUE(second);
  EXPECT_EQ(json::parse(second->body, nullptr, false)["id"], ids[1]);
}

// Clients that go away while parked leave nothing behind once their calls
// finish, and a SIGTERM answers those still waiting.
TEST_F(ApiLongPollTest, VanishedAndStoppedWaitersAreReleased) {
  start_daemon({"--sync", "normal"});
  put_function("noop", {{"command", {"true"}}});
  auto ids = waiting_calls(100);
  {
    auto gone = wait_on(std::vector<std::string>(ids.begin(), ids.begin() + 50));
    ASSERT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 50; }, 10s));
  }  // closed by the client
  cancel_all(std::vector<std::string>(ids.begin(), ids.begin() + 50));
  EXPECT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 0; }, 10s)) << gauge("fnq_waiters");

  auto conns = wait_on(std::vector<std::string>(ids.begin() + 50, ids.end()));
  ASSERT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 50; }, 10s));
  ASSERT_EQ(::kill(m_daemon->pid(), SIGTERM), 0);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    auto res = conns[i]->read_response(20s);
    ASSERT_TRUE(res) << "waiter " << i << " got no answer";
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(json::parse(res->body, nullptr, false)["state"], "waiting");
  }
  EXPECT_EQ(m_daemon->stop(), 0);
}

// A parked request whose client resets its connection is answered and
// closed at once (its subscription released), and the loop does not spin
// on the broken socket meanwhile.
TEST_F(ApiLongPollTest, AResetClientReleasesItsParkedWait) {
  start_daemon({"--sync", "normal"});
  put_function("noop", {{"command", {"true"}}});
  auto ids = waiting_calls(1);
  {
    RawHttp conn(m_daemon->url());
    ASSERT_TRUE(conn.send("GET /v1/calls/" + ids[0] + "?wait=60s HTTP/1.1\r\nHost: fnq\r\n" +
                          auth_header() + "\r\n"));
    ASSERT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 1; }, 10s));
    conn.reset();  // RST, not FIN
  }
  EXPECT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 0; }, 10s))
      << "still parked: " << gauge("fnq_waiters");
  // CPU, as a symptom of a busy loop, not speed: idle, fnqd uses next to none.
  auto cpu = [&] {
    std::ifstream in("/proc/" + std::to_string(m_daemon->pid()) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string f;
    long ticks = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14 || i == 15) {
        ticks += std::stol(f);
      }
    }
    return ticks;
  };
  long before = cpu();
  std::this_thread::sleep_for(1s);  // a window to measure, not a wait for a condition
  EXPECT_LT(cpu() - before, sysconf(_SC_CLK_TCK) / 2) << "the loop spins";
}

// Sync invocations park too, once their call is submitted: 60 of them under
// --http-threads 16 all wait, each submitted once, and each is answered
// when its call ends.
TEST_F(ApiLongPollTest, SyncInvocationsParkWithoutSubmittingTwice) {
  start_daemon({"--http-threads", "16", "--sync", "normal"});
  put_function("noop", {{"command", {"true"}}});
  int pid = m_daemon->pid();
  std::uint64_t threads_before = status_field(pid, "Threads");
  std::vector<std::unique_ptr<RawHttp>> conns;
  for (int i = 0; i < 60; ++i) {
    conns.push_back(std::make_unique<RawHttp>(m_daemon->url()));
    ASSERT_TRUE(conns.back()->send("POST /function/noop HTTP/1.1\r\nHost: fnq\r\n" + auth_header() +
                                   "X-Fnq-Delay: 1h\r\nContent-Length: 0\r\n\r\n"));
  }
  ASSERT_TRUE(wait_until([&] { return gauge("fnq_waiters") == 60; }, 20s))
      << gauge("fnq_waiters") << " waiting";
  EXPECT_EQ(status_field(pid, "Threads"), threads_before);
  for (const auto& conn : conns) {
    EXPECT_FALSE(conn->readable());
  }
  expect_json(http()->Post("/async-function/noop", "", "text/plain"), 202);

  json waiting = expect_json(http()->Get("/v1/calls?state=waiting&limit=100"), 200);
  std::vector<std::string> ids;
  for (const auto& c : waiting["calls"]) {
    ids.push_back(c["id"]);
  }
  ASSERT_EQ(ids.size(), 60u);  // one call per invocation
  // Each is answered when its own call ends, not another's.
  std::set<std::string> first(ids.begin(), ids.begin() + 30);
  cancel_all(std::vector<std::string>(ids.begin(), ids.begin() + 30));
  std::vector<bool> done(conns.size(), false);
  std::set<std::string> answered;
  auto read_ready = [&] {
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (!done[i] && conns[i]->readable()) {
        auto res = conns[i]->read_response(5s);
        EXPECT_TRUE(res);
        EXPECT_EQ(res ? res->status : 0, 409);  // cancelled
        answered.insert(res ? res->header("X-Call-Id") : "");
        done[i] = true;
      }
    }
    return answered.size();
  };
  ASSERT_TRUE(wait_until([&] { return read_ready() == 30; }, 20s)) << answered.size();
  EXPECT_EQ(answered, first);
  EXPECT_FALSE(wait_until([&] { return read_ready() > 30; }, 300ms));
  cancel_all(std::vector<std::string>(ids.begin() + 30, ids.end()));
  ASSERT_TRUE(wait_until([&] { return read_ready() == 60; }, 20s)) << answered.size();
  EXPECT_EQ(answered.size(), 60u);
  json all = expect_json(http()->Get("/v1/calls?function=noop&limit=1000"), 200);
  EXPECT_EQ(all["calls"].size(), 61u);  // the 60 and the async submit: none twice
}

}  // namespace
}  // namespace fnq::test
