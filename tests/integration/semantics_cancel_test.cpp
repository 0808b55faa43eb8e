// Cancelling calls in each state; idempotency keys under concurrent submits
// (issue: execution semantics in full).
#include <thread>

#include "integration/semantics.h"

namespace fnq::test {
namespace {

using SemanticsCancelTest = SemanticsTest;

TEST_F(SemanticsCancelTest, CancellingARunningCallKillsItsProcess) {
  start_daemon();
  // The unusual duration marks this test's process in /proc.
  add_function("sleepy", {"sleep", "60.321"}, {"--kill-grace", "2s"});
  std::string id = submit("sleepy", {"--retries", "3"});
  ASSERT_TRUE(wait_for_state(id, "running"));
  ASSERT_TRUE(wait_until([] { return !live_processes_matching("sleep 60.321").empty(); }));

  RunResult r = fnq({"cancel", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, id + " cancelling\n");
  r = fnq({"await", id, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 125) << r.err;
  json call = call_json(id);
  EXPECT_EQ(call["state"], "cancelled");
  EXPECT_EQ(call["attempt"], 1);  // never retried, though retries were left
  EXPECT_EQ(call["error"], "cancelled");
  EXPECT_TRUE(wait_until([] { return live_processes_matching("sleep 60.321").empty(); },
                         std::chrono::seconds(5)))
      << "the cancelled call's process is still running";

  // Cancelling it again leaves it as it is and says so.
  r = fnq({"cancel", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, id + " already_terminal\n");
  EXPECT_EQ(state_of(id), "cancelled");
}

TEST_F(SemanticsCancelTest, CancelRightAfterSubmitAlwaysEndsCancelled) {
  // Each cancel lands while the call is queued, being started or running.
  start_daemon({"--max-inflight", "2"});
  add_function("sleepy", {"sleep", "60.987"}, {"--kill-grace", "1s"});
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    std::string id = submit("sleepy");
    RunResult r = fnq({"cancel", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out == id + " cancelled\n" || r.out == id + " cancelling\n") << r.out;
    ids.push_back(id);
  }
  std::vector<std::string> args = {"await", "--timeout", "20s"};
  args.insert(args.end(), ids.begin(), ids.end());
  EXPECT_EQ(fnq(args).exit_code, 125);
  for (const auto& id : ids) {
    EXPECT_EQ(state_of(id), "cancelled") << id;
  }
  EXPECT_TRUE(wait_until([] { return live_processes_matching("sleep 60.987").empty(); },
                         std::chrono::seconds(5)));
}

TEST_F(SemanticsCancelTest, CancellingWaitingAndQueuedCallsIsImmediate) {
  start_daemon({"--max-inflight", "1"});
  add_script("block", "while [ ! -e go ]; do sleep 0.02; done");
  add_script("mark", "cat >> ran");
  std::string blocker = submit("block");
  ASSERT_TRUE(wait_for_state(blocker, "running"));
  std::string waiting = submit("mark", {"--delay", "1h", "-d", "waiting\n"});
  std::string queued = submit("mark", {"-d", "queued\n"});
  std::string dependent = submit("mark", {"--needs", queued, "-d", "dependent\n"});
  std::string after = submit("mark", {"-d", "after\n"});
  EXPECT_EQ(state_of(waiting), "waiting");
  EXPECT_EQ(state_of(queued), "queued");

  RunResult r = fnq({"cancel", waiting, queued});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, waiting + " cancelled\n" + queued + " cancelled\n");
  EXPECT_EQ(state_of(waiting), "cancelled");
  EXPECT_EQ(state_of(queued), "cancelled");
  json dep = call_json(dependent);
  EXPECT_EQ(dep["state"], "skipped");
  EXPECT_EQ(dep["error"], "dependency " + queued + " cancelled");

  touch("go");
  EXPECT_EQ(fnq({"await", blocker, after, "--timeout", "20s"}).exit_code, 0);
  EXPECT_EQ(fnq({"await", waiting}).exit_code, 125);
  EXPECT_EQ(fnq({"await", queued}).exit_code, 125);
  EXPECT_EQ(lines_of("ran"), std::vector<std::string>{"after"});  // the others never ran
}

TEST_F(SemanticsCancelTest, ConcurrentSubmitsWithOneKeyMakeOneCall) {
  start_daemon();
  add_function("echo", {"cat"});
  constexpr int k_clients = 20;
  std::vector<RunResult> results(k_clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < k_clients; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<std::size_t>(i)] =
          fnq({"submit", "echo", "--key", "order-42", "-d", "client " + std::to_string(i)});
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::string id = results[0].out;
  EXPECT_EQ(id.size(), 37u) << id;  // the id and a newline
  for (const auto& r : results) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, id);
  }
  auto res = http()->Get("/v1/calls?function=echo");
  ASSERT_TRUE(res);
  json calls = json::parse(res->body)["calls"];
  ASSERT_EQ(calls.size(), 1u) << res->body;
  EXPECT_EQ(calls[0]["key"], "order-42");
  EXPECT_EQ(calls[0]["id"].get<std::string>() + "\n", id);

  // The same key for another function is another call.
  add_function("echo2", {"cat"});
  EXPECT_NE(submit("echo2", {"--key", "order-42"}) + "\n", id);
}

}  // namespace
}  // namespace fnq::test
