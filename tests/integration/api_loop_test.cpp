// Submits the event loop answers itself (async_function_on_loop in
// daemon/api/openfaas.cpp, post_calls_on_loop in daemon/api/calls.cpp): each is parked until the
// group commit that stores it, with no worker thread. Their answers must be the ones httplib's
// route gives (a request with Accept-Encoding is left to httplib, so each
// case is sent both ways), in order with the other requests of their
// connection, and nothing acknowledged may be lost when clients vanish or
// fnqd stops while they are parked.
#include <signal.h>

#include <atomic>
#include <regex>
#include <set>

#include "integration/api_support.h"

namespace fnq::test {
namespace {

using ApiLoopTest = ApiTest;

const std::regex k_id_pattern("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}");

std::string without_ids(const std::string& text) {
  return std::regex_replace(text, k_id_pattern, "<id>");
}

// An answer as comparable text: its head as sent and its body, ids masked.
std::string shape(const RawResponse& res) {
  return without_ids(res.head) + "\r\n\r\n" + without_ids(res.body);
}

std::uint64_t loop_answers(const std::string& metrics) {
  std::smatch m;
  static const std::regex line("\nfnq_http_loop_answers_total ([0-9]+)");
  return std::regex_search(metrics, m, line) ? std::stoull(m[1]) : 0;
}

// POST target with body; auth and extra are header lines.
std::string post(const std::string& auth, const std::string& target, const std::string& body,
                 const std::string& extra = {}) {
  return "POST " + target + " HTTP/1.1\r\nHost: fnq\r\n" + auth + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(ApiLoopTest, AnswersAreHttplibsAnswers) {
  put_function("env", {{"command", {"env"}}});
  std::string done = submit({{"function", "env"}});
  ASSERT_TRUE(wait_for_state(done, "succeeded"));
  std::string auth = auth_header();
  const std::string k_httplib = "Accept-Encoding: identity\r\n";
  struct Case {
    std::string name, target, body, extra;
  };
  std::vector<Case> cases = {
      {"plain", "/async-function/env", "hello", ""},
      {"empty body", "/async-function/env", "", ""},
      {"sub-path and query", "/async-function/env/a/b?x=1&y=2", "q",
       "X-Fnq-Priority: 5\r\nX-Custom: kept\r\nX-Empty: \r\n"},
      {"percent-encoded", "/async-function/env/%41?x=%20", "p", ""},
      {"key, first", "/async-function/env", "k", "Idempotency-Key: KEY\r\n"},
      {"key, repeat", "/async-function/env", "k2", "Idempotency-Key: KEY\r\n"},
      {"connection close", "/async-function/env", "c", "Connection: close\r\n"},
      {"unknown function", "/async-function/nosuch", "x", ""},
      {"bad header", "/async-function/env", "x", "X-Fnq-Priority: high\r\n"},
      // httplib decodes (or refuses) an encoded body: the loop leaves it alone.
      {"content encoding", "/async-function/env", "x", "Content-Encoding: br\r\n"},
      // Resolving a prefix reads the store, which the loop does not do.
      {"needs by prefix", "/async-function/env", "n",
       "X-Fnq-Needs: " + done.substr(0, 13) + "\r\n"},
      {"needs by full id", "/async-function/env", "n", "X-Fnq-Needs: " + done + "\r\n"},
  };
  std::uint64_t before = loop_answers(metrics_text());
  for (const auto& c : cases) {
    std::vector<std::string> shapes, stored;
    for (int path = 0; path < 2; ++path) {
      RawHttp raw(m_daemon->url());
      std::string extra = c.extra;
      // Each key once per path, so that both see a first submit and a repeat.
      extra = std::regex_replace(extra, std::regex("KEY"), path ? "key-httplib" : "key-loop");
      ASSERT_TRUE(raw.send(post(auth, c.target, c.body, extra + (path ? k_httplib : ""))));
      auto res = raw.read_response();
      ASSERT_TRUE(res) << c.name;
      shapes.push_back(shape(*res));
      std::string id = res->header("X-Call-Id");
      if (!id.empty()) {
        // The call as stored and as its process saw the request.
        json call = expect_json(http()->Get("/v1/calls/" + id + "?wait=20s"), 200);
        for (const char* varying : {"id", "created_at", "run_at", "started_at", "finished_at",
                                    "duration_ms", "key", "request", "output_size"}) {
          call.erase(varying);
        }
        std::string seen = call.dump() + "\n";
        auto output = http()->Get("/v1/calls/" + id + "/output");
        ASSERT_TRUE(output);
        for (const auto& [name, value] : parse_env(output->body)) {
          if (name.rfind("Http_", 0) == 0 && name != "Http_Accept_Encoding" &&
              name != "Http_Idempotency_Key") {
            seen += name + "=" + value + "\n";
          }
        }
        stored.push_back(seen);
      }
    }
    EXPECT_EQ(shapes[0], shapes[1]) << c.name;
    if (!stored.empty()) {
      ASSERT_EQ(stored.size(), 2u) << c.name;
      EXPECT_EQ(stored[0], stored[1]) << c.name;
    }
  }
  // The loop answered the plain submits itself (7 of the cases), and left
  // the refused ones, the percent-encoded one, the one naming a call by a
  // prefix and every request with Accept-Encoding to httplib.
  EXPECT_EQ(loop_answers(metrics_text()) - before, 7u);
}

// POST /v1/calls, what `fnq submit` sends, answered by the loop as httplib's
// route answers it: one call, {"id"} only, a key's first submit and its
// repeat, a batch, a dependency by full ID. Errors, a dependency named by a
// prefix (resolving it reads the store) and a body over 64 KiB are left to
// httplib.
TEST_F(ApiLoopTest, CallsSubmittedToV1CallsGetHttplibsAnswers) {
  put_function("cat", {{"command", {"cat"}}});
  std::string done = submit({{"function", "cat"}, {"input", "first"}});
  ASSERT_TRUE(wait_for_state(done, "succeeded"));
  std::string auth = auth_header() + "Content-Type: application/json\r\n";
  const std::string k_httplib = "Accept-Encoding: identity\r\n";
  struct Case {
    std::string name, target, body;
    bool on_loop;
    std::string extra;  // header lines
  };
  std::vector<Case> cases = {
      {"one call", "/v1/calls", R"({"function": "cat", "input": "hi"})", true, ""},
      {"ids only", "/v1/calls?fields=id", R"({"function": "cat", "input": "hi"})", true, ""},
      // Delayed, so that the repeat finds the call as the first left it.
      {"key, first", "/v1/calls", R"({"function": "cat", "key": "KEY", "delay": "1h"})", true, ""},
      {"key, repeat", "/v1/calls", R"({"function": "cat", "key": "KEY", "delay": "1h"})", true, ""},
      {"batch", "/v1/calls?fields=id",
       R"({"calls": [{"function": "cat", "input": "a"}, {"function": "cat", "priority": 3}]})",
       true, ""},
      {"batch, whole calls", "/v1/calls", R"({"calls": [{"function": "cat"}]})", true, ""},
      {"needs by full id", "/v1/calls", R"({"function": "cat", "needs": [")" + done + R"("]})",
       true, ""},
      {"input_from by prefix", "/v1/calls",
       R"({"function": "cat", "input_from": ")" + done.substr(0, 13) + R"("})", false, ""},
      {"unknown function", "/v1/calls", R"({"function": "nosuch"})", false, ""},
      {"unknown field", "/v1/calls", R"({"function": "cat", "colour": 1})", false, ""},
      {"bad batch", "/v1/calls", R"({"calls": []})", false, ""},
      {"not JSON", "/v1/calls", "{", false, ""},
      {"other fields", "/v1/calls?fields=state", R"({"function": "cat"})", false, ""},
      {"over 64 KiB", "/v1/calls",
       R"({"function": "cat", "input": ")" + std::string(70'000, 'x') + R"("})", false, ""},
      {"content encoding", "/v1/calls", R"({"function": "cat"})", false,
       "Content-Encoding: gzip\r\n"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> shapes, stored;
    std::uint64_t taken = 0;
    for (int path = 0; path < 2; ++path) {
      std::uint64_t before = loop_answers(metrics_text());
      RawHttp raw(m_daemon->url());
      // Each key once per path, so that both see a first submit and a repeat.
      // (The same length on both: the answers' lengths are compared.)
      std::string body =
          std::regex_replace(c.body, std::regex("KEY"), path ? "key-worker" : "key-loop-1");
      ASSERT_TRUE(raw.send(post(auth, c.target, body, c.extra + (path ? k_httplib : ""))));
      auto res = raw.read_response();
      ASSERT_TRUE(res) << c.name;
      if (path == 0) {
        taken = loop_answers(metrics_text()) - before;
      }
      static const std::regex k_varying(R"(\d{4}-\d\d-\d\dT[0-9:.]+Z|key-worker|key-loop-1)");
      shapes.push_back(std::regex_replace(shape(*res), k_varying, "<varies>"));
      std::string id = res->header("X-Call-Id");
      if (!id.empty()) {
        json call = call_json(id);
        for (const char* varying :
             {"id", "created_at", "run_at", "key", "state", "started_at", "finished_at",
              "duration_ms", "attempt", "exit_code", "output_size"}) {
          call.erase(varying);
        }
        stored.push_back(call.dump());
      }
    }
    EXPECT_EQ(shapes[0], shapes[1]) << c.name;
    EXPECT_EQ(taken, c.on_loop ? 1u : 0u) << c.name << "\n" << shapes[0];
    if (!stored.empty()) {
      ASSERT_EQ(stored.size(), 2u) << c.name;
      EXPECT_EQ(stored[0], stored[1]) << c.name;
    }
  }
}

// A call keeps its request as text: a header, path or query that is not
// UTF-8 is refused by name (400) on either path, never a 500 with a
// library's text, and nothing is stored.
TEST_F(ApiLoopTest, TextThatIsNotUtf8IsRefusedByName) {
  put_function("echo", {{"command", {"cat"}}});
  std::string auth = auth_header();
  const std::string bad_header =
      "X-Bad: a\xff"
      "b\r\n";
  struct Case {
    std::string request;
    std::string error;
  } cases[] = {
      {post(auth, "/async-function/echo", "x", bad_header), "header 'X-Bad': not UTF-8 text"},
      {post(auth, "/function/echo", "x", bad_header), "header 'X-Bad': not UTF-8 text"},
      {post(auth, "/async-function/echo", "x", "Expect: 100-continue\r\n" + bad_header),
       "header 'X-Bad': not UTF-8 text"},
      {post(auth, "/async-function/echo?q=\xe9", "x"), "path or query is not UTF-8 text"},
      {post(auth, "/function/echo/\xe9", "x"), "path or query is not UTF-8 text"},
  };
  for (const auto& c : cases) {
    RawHttp raw(m_daemon->url());
    ASSERT_TRUE(raw.send(c.request));
    auto res = raw.read_response();
    ASSERT_TRUE(res) << c.error;
    EXPECT_EQ(res->status, 400) << res->body;
    EXPECT_NE(res->body.find(c.error), std::string::npos) << res->body;
    EXPECT_EQ(res->body.find("exception"), std::string::npos) << res->body;
  }
  json all = expect_json(http()->Get("/v1/calls?limit=10"), 200);
  EXPECT_EQ(all["calls"].size(), 0u);
}

// The loop writes the log lines of the answers it makes before it sends
// them: a client that has its answer finds its call in the log.
TEST_F(ApiLoopTest, ACallIsLoggedBeforeItsAnswerIsSent) {
  put_function("echo", {{"command", {"cat"}}});
  std::string auth = auth_header();
  RawHttp raw(m_daemon->url());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(raw.send(i % 2 ? post(auth, "/async-function/echo", "x")
                               : post(auth, "/v1/calls", R"({"function": "echo"})")));
    auto res = raw.read_response();
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 202) << res->body;
    std::string id = res->header("X-Call-Id");
    EXPECT_NE(m_daemon->log().find("call " + id + " echo queued"), std::string::npos)
        << id << " is not in the log yet";
  }
}

TEST_F(ApiLoopTest, ConnectionCloseIsHonouredAndAnswered) {
  put_function("echo", {{"command", {"cat"}}});
  std::string auth = auth_header();
  RawHttp raw(m_daemon->url());
  ASSERT_TRUE(raw.send(post(auth, "/async-function/echo", "bye", "Connection: close\r\n")));
  auto res = raw.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(res->header("Connection"), "close");
  EXPECT_EQ(res->header("Keep-Alive"), "");
  EXPECT_TRUE(raw.wait_closed());
}

TEST_F(ApiLoopTest, PipelinedSubmitsAndReadsAreAnsweredInOrder) {
  put_function("echo", {{"command", {"cat"}}});
  std::string auth = auth_header();
  RawHttp raw(m_daemon->url());
  std::string get_info = "GET /v1/info HTTP/1.1\r\nHost: fnq\r\n" + auth_header() + "\r\n";
  std::string all;
  std::vector<std::string> expected;  // the input of each submit, "" for a read
  for (int i = 0; i < 12; ++i) {
    if (i % 3 == 1) {
      all += get_info;
      expected.emplace_back();
    } else {
      std::string input = "piped-" + std::to_string(i);
      // Both routes the loop takes, one after the other.
      all += i % 3 == 0
                 ? post(auth, "/async-function/echo", input)
                 : post(auth, "/v1/calls", json{{"function", "echo"}, {"input", input}}.dump());
      expected.push_back(input);
    }
  }
  ASSERT_TRUE(raw.send(all));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto res = raw.read_response();
    ASSERT_TRUE(res) << "answer " << i;
    if (expected[i].empty()) {
      EXPECT_EQ(res->status, 200) << i;
      EXPECT_EQ(res->header("X-Call-Id"), "") << i;
      continue;
    }
    ASSERT_EQ(res->status, 202) << i << ": " << res->body;
    auto input = http()->Get("/v1/calls/" + res->header("X-Call-Id") + "/input");
    ASSERT_TRUE(input);
    EXPECT_EQ(input->body, expected[i]) << "answer " << i << " is another request's";
  }
}

TEST_F(ApiLoopTest, ClientsVanishingWhileParkedLeaveTheDaemonServing) {
  put_function("echo", {{"command", {"cat"}}});
  std::string auth = auth_header();
  for (int i = 0; i < 50; ++i) {
    RawHttp raw(m_daemon->url());
    std::string many;
    for (int j = 0; j < 5; ++j) {
      many += post(auth, "/async-function/echo", "gone");
    }
    ASSERT_TRUE(raw.send(many));
  }  // each closed before its answers
  RawHttp raw(m_daemon->url());
  ASSERT_TRUE(raw.send(post(auth, "/async-function/echo", "here")));
  auto res = raw.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  expect_json(http(false)->Get("/healthz"), 200);
}

// Submitters keep fnqd's writer busy while it is told to stop: every submit
// that got its 202 is stored, and every connection ends (no answer is lost
// in the loop, and the loop does not wait forever on a parked request).
TEST_F(ApiLoopTest, ShutdownAnswersParkedSubmitsAndKeepsEveryAcknowledgedOne) {
  put_function("echo", {{"command", {"cat"}}});
  std::string auth = auth_header();
  constexpr int k_clients = 8;
  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::atomic<int> count{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < k_clients; ++t) {
    clients.emplace_back([&] {
      RawHttp raw(m_daemon->url());
      for (;;) {
        // Two at a time, so that one is often parked while the next is read.
        if (!raw.send(post(auth, "/async-function/echo", "a") +
                      post(auth, "/async-function/echo", "b"))) {
          return;
        }
        for (int k = 0; k < 2; ++k) {
          auto res = raw.read_response(30s);
          if (!res) {
            return;
          }
          if (res->status == 202) {
            std::lock_guard<std::mutex> lock(mutex);
            acknowledged.insert(res->header("X-Call-Id"));
            ++count;
          } else if (res->status != 503) {
            ADD_FAILURE() << res->status << " " << res->body;
          }
          if (res->header("Connection") == "close") {
            return;
          }
        }
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (count < 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(::kill(m_daemon->pid(), SIGTERM), 0);
  for (auto& c : clients) {
    c.join();
  }
  EXPECT_EQ(m_daemon->stop(), 0);
  ASSERT_GE(acknowledged.size(), 200u);
  start_daemon();
  for (const auto& id : acknowledged) {
    auto res = http()->Get("/v1/calls/" + id);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << "acknowledged call " << id << " was lost";
  }
}

}  // namespace
}  // namespace fnq::test
