// Long polls that scale: 200 clients waiting on ?wait do not hold up a
// submit or a read, and past the cap waits answer at once (issue: the HTTP
// API, complete, compatible and safe).
#include <regex>

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

TEST_F(ApiLongPollTest, PastTheCapWaitsAnswerAtOnce) {
  // 40 threads keep 16 in reserve: at most 24 requests wait.
  start_daemon({"--http-threads", "40", "--sync", "normal"});
  put_function("noop", {{"command", {"true"}}});
  auto ids = waiting_calls(30);
  auto conns = wait_on(ids);
  // Six answer at once with the current state; 24 wait.
  int answered_now = 0;
  std::vector<bool> answered(conns.size(), false);
  ASSERT_TRUE(wait_until(
      [&] {
        for (std::size_t i = 0; i < conns.size(); ++i) {
          if (!answered[i] && conns[i]->readable()) {
            auto res = conns[i]->read_response(5s);
            EXPECT_TRUE(res && res->status == 200);
            EXPECT_EQ(json::parse(res ? res->body : "{}", nullptr, false)["state"], "waiting");
            answered[i] = true;
            ++answered_now;
          }
        }
        return answered_now == 6 && gauge("fnq_waiters") == 24;
      },
      20s))
      << answered_now << " answered at once, " << gauge("fnq_waiters") << " waiting";
  expect_json(http()->Post("/async-function/noop", "", "text/plain"), 202);

  cancel_all(ids);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    if (!answered[i]) {
      auto res = conns[i]->read_response(20s);
      ASSERT_TRUE(res);
      EXPECT_EQ(json::parse(res->body, nullptr, false)["state"], "cancelled");
    }
  }
}

}  // namespace
}  // namespace fnq::test
