// Every way a call becomes terminal wakes both the requests waiting on it
// and the callback sender (daemon/terminal.h): a forced function delete, a
// cancel, and a submit skipped at once because a dependency had failed.
#include <atomic>
#include <future>

#include "integration/api_support.h"

namespace fnq::test {
namespace {

class ApiTerminalTest : public ApiTest {
 protected:
  // A call parked for an hour, with a callback: nothing else will make the
  // callback sender look for due callbacks.
  std::string submit_parked(const std::string& function, const CallbackReceiver& receiver) {
    return submit({{"function", function}, {"delay", "1h"}, {"callback_url", receiver.url()}});
  }

  // GET ?wait on the call in the background; the future holds its state.
  std::future<std::string> wait_on(const std::string& id) {
    return std::async(std::launch::async, [this, id] {
      auto res = http()->Get("/v1/calls/" + id + "?wait=2m");
      json j = res ? json::parse(res->body, nullptr, false) : json();
      return j.is_object() && j.contains("state") ? j["state"].get<std::string>() : "";
    });
  }

  // The waiter has subscribed (fnq_waiters counts it).
  bool waiting_now() {
    return wait_until(
        [&] { return metrics_text().find("\nfnq_waiters 1\n") != std::string::npos; });
  }
};

TEST_F(ApiTerminalTest, ForcedFunctionDeleteDeliversTheCallbacksOfCallsItCancels) {
  CallbackReceiver receiver;
  put_function("parked", {{"command", {"true"}}});
  std::string id = submit_parked("parked", receiver);
  auto waiter = wait_on(id);
  ASSERT_TRUE(waiting_now());
  auto res = http()->Delete("/v1/functions/parked?force=true");
  json body = expect_json(res, 200);
  EXPECT_EQ(body["cancelled"], json::array({id}));
  auto got = receiver.wait_for(1);
  ASSERT_EQ(got.size(), 1u) << "the callback sender was not woken";
  EXPECT_EQ(got[0].header("X-Call-Id"), id);
  ASSERT_EQ(waiter.wait_for(30s), std::future_status::ready) << "the waiter was not woken";
  EXPECT_EQ(waiter.get(), "cancelled");
}

TEST_F(ApiTerminalTest, CancelDeliversTheCallbackAndWakesTheWaiter) {
  CallbackReceiver receiver;
  put_function("parked", {{"command", {"true"}}});
  std::string id = submit_parked("parked", receiver);
  auto waiter = wait_on(id);
  ASSERT_TRUE(waiting_now());
  json body = expect_json(http()->Post("/v1/calls/" + id + "/cancel", "", "application/json"), 200);
  EXPECT_EQ(body["result"], "cancelled");
  auto got = receiver.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("X-Call-Id"), id);
  ASSERT_EQ(waiter.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(waiter.get(), "cancelled");
}

TEST_F(ApiTerminalTest, ASubmitSkippedAtOnceDeliversItsCallback) {
  CallbackReceiver receiver;
  put_function("fail", {{"command", {"false"}}});
  std::string failed = submit({{"function", "fail"}});
  ASSERT_TRUE(wait_for_state(failed, "failed"));
  std::string skipped =
      submit({{"function", "fail"}, {"needs", {failed}}, {"callback_url", receiver.url()}});
  EXPECT_EQ(state_of(skipped), "skipped");
  auto got = receiver.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("X-Call-Id"), skipped);
}

}  // namespace
}  // namespace fnq::test
