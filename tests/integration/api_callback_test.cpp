// Callbacks: what a receiver gets, retries, failure, the allow-list, and that
// a hanging receiver holds up nothing (issue: the HTTP API, complete,
// compatible and safe).
#include "integration/api_support.h"

namespace fnq::test {
namespace {

class ApiCallbackTest : public ApiTest {
 protected:
  void SetUp() override {
    start_daemon({"--callback-backoff", "100ms", "--callback-attempts", "3"});
  }

  json callback_of(const std::string& id) {
    RunResult r = fnq({"status", "--json", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    if (!j.is_object() || !j.contains("calls") || j["calls"].empty()) {
      ADD_FAILURE() << "fnq status --json: " << r.out;
      return json();
    }
    return j["calls"][0]["callback"];
  }

  bool wait_for_callback_state(const std::string& id, const std::string& state) {
    return wait_until([&] {
      json cb = call_json(id)["callback"];
      return cb.is_object() && cb["state"] == state;
    });
  }
};

TEST_F(ApiCallbackTest, ReceiverGetsTheOutputAndTheCallsHeaders) {
  CallbackReceiver receiver;
  put_function("upper", {{"command", {"tr", "a-z", "A-Z"}}});
  httplib::Headers headers = {{"X-Callback-Url", receiver.url("/hook?run=1")}};
  auto res = http()->Post("/async-function/upper", headers, "payload", "text/plain");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202);
  std::string id = res->get_header_value("X-Call-Id");
  auto got = receiver.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  const auto& cb = got[0];
  EXPECT_EQ(cb.path, "/hook");
  EXPECT_EQ(cb.body, "PAYLOAD");
  EXPECT_EQ(cb.header("X-Call-Id"), id);
  EXPECT_EQ(cb.header("X-Function-Name"), "upper");
  EXPECT_EQ(cb.header("X-Function-Status"), "200");
  EXPECT_EQ(cb.header("X-Exit-Code"), "0");
  EXPECT_EQ(cb.header("X-Attempt"), "1");
  EXPECT_GE(std::strtod(cb.header("X-Duration-Seconds").c_str(), nullptr), 0.0);
  EXPECT_FALSE(cb.header("X-Duration-Seconds").empty());
  ASSERT_TRUE(wait_for_callback_state(id, "delivered"));
  json info = callback_of(id);
  EXPECT_EQ(info["attempts"], 1);
  EXPECT_EQ(info["last_status"], 200);
}

TEST_F(ApiCallbackTest, AFailedCallIsReportedWithItsStatus) {
  CallbackReceiver receiver;
  put_function("fail", {{"command", {"sh", "-c", "echo bad; exit 4"}}});
  std::string id = submit({{"function", "fail"}, {"callback_url", receiver.url()}});
  auto got = receiver.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("X-Call-Id"), id);
  EXPECT_EQ(got[0].header("X-Function-Status"), "500");
  EXPECT_EQ(got[0].header("X-Exit-Code"), "4");
  EXPECT_EQ(got[0].body, "bad\n");
}

TEST_F(ApiCallbackTest, AReceiverThatFailsTwiceGetsThreeDeliveries) {
  CallbackReceiver receiver([](int n) { return n <= 2 ? 500 : 200; });
  put_function("echo", {{"command", {"cat"}}});
  std::string id = submit({{"function", "echo"}, {"input", "x"}, {"callback_url", receiver.url()}});
  ASSERT_TRUE(wait_for_callback_state(id, "delivered"));
  EXPECT_EQ(receiver.count(), 3u);
  json info = callback_of(id);
  EXPECT_EQ(info["state"], "delivered");
  EXPECT_EQ(info["attempts"], 3);
  EXPECT_EQ(info["last_status"], 200);
  for (const auto& r : receiver.wait_for(3)) {
    EXPECT_EQ(r.header("X-Call-Id"), id);
    EXPECT_EQ(r.body, "x");
  }
}

TEST_F(ApiCallbackTest, AReceiverThatIsDownEndsFailedAfterTheAttempts) {
  put_function("echo", {{"command", {"cat"}}});
  std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/done";
  std::string id = submit({{"function", "echo"}, {"callback_url", url}});
  ASSERT_TRUE(wait_for_callback_state(id, "failed"));
  json info = callback_of(id);
  EXPECT_EQ(info["attempts"], 3);
  EXPECT_TRUE(info["last_status"].is_null());
  EXPECT_EQ(state_of(id), "succeeded");  // the call itself is not affected
}

TEST_F(ApiCallbackTest, CallbackAllowRefusesOtherHostsWith400) {
  start_daemon({"--callback-allow", "127.0.0.1", "--callback-backoff", "100ms"});
  CallbackReceiver receiver;
  put_function("echo", {{"command", {"cat"}}});
  httplib::Headers other = {{"X-Callback-Url", "http://example.com/hook"}};
  expect_error(http()->Post("/async-function/echo", other, "x", "text/plain"), 400,
               "X-Callback-Url: host 'example.com' is not in --callback-allow");
  json body = {{"function", "echo"}, {"callback_url", "http://localhost:9/x"}};
  expect_error(http()->Post("/v1/calls", body.dump(), "application/json"), 400,
               "callback_url: host 'localhost' is not in --callback-allow");
  json def = {{"name", "hooked"}, {"command", {"cat"}}, {"callback_url", "http://10.1.2.3/x"}};
  expect_error(http()->Put("/v1/functions/hooked", def.dump(), "application/json"), 400,
               "callback_url: host '10.1.2.3'");
  httplib::Headers malformed = {{"X-Callback-Url", "ftp://127.0.0.1/x"}};
  expect_error(http()->Post("/async-function/echo", malformed, "x", "text/plain"), 400,
               "not an http:// or https:// URL");
  httplib::Headers allowed = {{"X-Callback-Url", receiver.url()}};
  auto res = http()->Post("/async-function/echo", allowed, "x", "text/plain");
  expect_json(res, 202);
  EXPECT_EQ(receiver.wait_for(1).size(), 1u);
}

TEST_F(ApiCallbackTest, AHangingReceiverHoldsUpNeitherCallsNorOtherCallbacks) {
  CallbackReceiver hanging;
  hanging.hang();
  CallbackReceiver good;
  put_function("echo", {{"command", {"cat"}}});
  std::string first = submit({{"function", "echo"}, {"callback_url", hanging.url()}});
  ASSERT_EQ(hanging.wait_for(1).size(), 1u);  // held unanswered from now on

  auto start = std::chrono::steady_clock::now();
  std::string plain = submit({{"function", "echo"}, {"input", "next"}});
  RunResult r = fnq({"await", plain, "--timeout", "15s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "next");
  std::string second = submit({{"function", "echo"}, {"callback_url", good.url()}});
  auto got = good.wait_for(1, 15s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("X-Call-Id"), second);
  // Both well before the hanging delivery's own 10s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
  EXPECT_EQ(call_json(first)["callback"]["state"], "pending");
  hanging.release();
  EXPECT_TRUE(wait_for_callback_state(first, "delivered"));
}

}  // namespace
}  // namespace fnq::test
