// When calls run: delays, priorities, sync first, concurrency limits
// (issue: execution semantics in full).
#include <thread>

#include "integration/semantics.h"

namespace fnq::test {
namespace {

using SemanticsScheduleTest = SemanticsTest;

// Runs until workdir()/go exists: keeps the only slot of --max-inflight 1
// busy while the test queues calls behind it.
constexpr const char* k_blocker = "while [ ! -e go ]; do sleep 0.02; done";

TEST_F(SemanticsScheduleTest, DelayedCallWaitsThenRuns) {
  start_daemon();
  add_function("echo", {"cat"});
  std::string id = submit("echo", {"--delay", "2s", "-d", "later"});
  json call = call_json(id);
  EXPECT_EQ(call["state"], "waiting");
  EXPECT_EQ(time_ms(call, "run_at") - time_ms(call, "created_at"), 2000) << call.dump();
  ASSERT_TRUE(wait_for_state(id, "succeeded", std::chrono::seconds(15)));
  call = call_json(id);
  EXPECT_GE(time_ms(call, "started_at"), time_ms(call, "run_at")) << call.dump();
  EXPECT_EQ(fnq_ok({"output", id}), "later");
}

TEST_F(SemanticsScheduleTest, CallAtATimeWaitsThenRuns) {
  start_daemon();
  add_function("echo", {"cat"});
  // Far enough ahead that a slow submit on a loaded machine still finds it waiting.
  std::int64_t at = now_ms() + 5000;
  std::string id = submit("echo", {"--at", format_time(at), "-d", "on time"});
  json call = call_json(id);
  EXPECT_EQ(call["state"], "waiting");
  EXPECT_EQ(time_ms(call, "run_at"), at) << call.dump();
  ASSERT_TRUE(wait_for_state(id, "succeeded", std::chrono::seconds(30)));
  EXPECT_GE(time_ms(call_json(id), "started_at"), at);
}

TEST_F(SemanticsScheduleTest, HigherPriorityRunsFirstThenOlder) {
  start_daemon({"--max-inflight", "1"});
  add_script("block", k_blocker);
  add_script("rec", "cat >> order");
  std::string blocker = submit("block");
  ASSERT_TRUE(wait_for_state(blocker, "running"));
  std::vector<std::string> ids;
  for (const char* name : {"1", "5", "0a", "3", "0b"}) {
    std::string priority = std::string(name).substr(0, 1);
    ids.push_back(submit("rec", {"--priority", priority, "-d", std::string(name) + "\n"}));
  }
  for (const auto& id : ids) {
    EXPECT_EQ(state_of(id), "queued");
  }
  touch("go");
  std::vector<std::string> args = {"await", "--timeout", "20s"};
  args.insert(args.end(), ids.begin(), ids.end());
  RunResult r = fnq(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of("order"), (std::vector<std::string>{"5", "3", "1", "0a", "0b"}));
}

TEST_F(SemanticsScheduleTest, SyncInvocationRunsAheadOfQueuedAsyncCalls) {
  start_daemon({"--max-inflight", "1"});
  add_script("block", k_blocker);
  add_script("rec", "cat >> order");
  std::string blocker = submit("block");
  ASSERT_TRUE(wait_for_state(blocker, "running"));
  std::string async = submit("rec", {"--priority", "1000000", "-d", "async\n"});
  RunResult invoked;
  std::thread invoke([&] { invoked = fnq({"invoke", "rec", "-d", "sync\n"}); });
  bool both_queued = wait_until([&] { return ids_in_state("queued", "rec").size() == 2; });
  touch("go");
  invoke.join();
  ASSERT_TRUE(both_queued);
  EXPECT_EQ(invoked.exit_code, 0) << invoked.err;
  EXPECT_EQ(fnq({"await", async}).exit_code, 0);
  EXPECT_EQ(lines_of("order"), (std::vector<std::string>{"sync", "async"}));
}

TEST_F(SemanticsScheduleTest, FunctionConcurrencyCapsItsRunningCalls) {
  start_daemon({"--max-inflight", "4"});
  // Each call holds the lowest free slot (mkdir is atomic) while it runs:
  // a third call running at once would take slot 2.
  add_script("slotted",
             "i=0; while ! mkdir slot.$i 2>/dev/null; do i=$((i+1)); done; "
             "echo $i >> slots; sleep 0.3; rmdir slot.$i",
             {"--concurrency", "2"});
  std::string out = fnq_ok({"submit", "slotted", "--lines"}, "1\n2\n3\n4\n5\n6\n7\n8\n");
  std::vector<std::string> args = {"await", "--timeout", "20s"};
  std::size_t begin = 0;
  while (begin < out.size()) {
    std::size_t end = std::min(out.find('\n', begin), out.size());
    args.push_back(out.substr(begin, end - begin));
    begin = end + 1;
  }
  ASSERT_EQ(args.size(), 3u + 8u) << out;
  RunResult r = fnq(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto slots = lines_of("slots");
  EXPECT_EQ(slots.size(), 8u);
  for (const auto& slot : slots) {
    EXPECT_TRUE(slot == "0" || slot == "1") << "more than 2 ran at once: slot " << slot;
  }
  // And the limit was used: two did run at once.
  EXPECT_NE(std::find(slots.begin(), slots.end(), "1"), slots.end());
}

}  // namespace
}  // namespace fnq::test
