// The daemon dying or stopping under running calls: crash recovery and
// graceful stop (issue: execution semantics in full).
#include <signal.h>

#include "integration/semantics.h"

namespace fnq::test {
namespace {

using SemanticsRestartTest = SemanticsTest;

std::vector<std::string> split_ids(const std::string& out) {
  std::vector<std::string> ids;
  std::size_t begin = 0;
  while (begin < out.size()) {
    std::size_t end = std::min(out.find('\n', begin), out.size());
    ids.push_back(out.substr(begin, end - begin));
    begin = end + 1;
  }
  return ids;
}

TEST_F(SemanticsRestartTest, KilledDaemonRecoversEveryCallOnRestart) {
  start_daemon({"--max-inflight", "1"});
  // The unusual duration marks this test's process in /proc.
  add_function("stuck", {"sleep", "60.654"});
  add_function("quick", {"cat"});
  std::string stuck = submit("stuck", {"--retries", "0"});
  ASSERT_TRUE(wait_for_state(stuck, "running"));
  ASSERT_TRUE(wait_until([] { return !live_processes_matching("sleep 60.654").empty(); }));
  std::string lines;
  for (int i = 0; i < 50; ++i) {
    lines += "q" + std::to_string(i) + "\n";
  }
  std::vector<std::string> queued = split_ids(fnq_ok({"submit", "quick", "--lines"}, lines));
  ASSERT_EQ(queued.size(), 50u);
  EXPECT_EQ(ids_in_state("queued", "quick").size(), 50u);

  m_daemon->kill_hard();
  // PR_SET_PDEATHSIG: the running call's process dies with the daemon.
  EXPECT_TRUE(wait_until([] { return live_processes_matching("sleep 60.654").empty(); },
                         std::chrono::seconds(10)))
      << "a call's process outlived the killed daemon";

  start_daemon({"--max-inflight", "1"});
  json stuck_call = call_json(stuck);
  EXPECT_EQ(stuck_call["state"], "failed");
  EXPECT_EQ(stuck_call["error"], "daemon stopped while running; no retries left");
  EXPECT_EQ(stuck_call["attempt"], 1);
  std::vector<std::string> args = {"await", "--timeout", "20s"};
  args.insert(args.end(), queued.begin(), queued.end());
  RunResult r = fnq(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), lines.size());  // every output, nothing lost or doubled
  auto res = http()->Get("/v1/calls?limit=1000");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["calls"].size(), 51u);
  EXPECT_EQ(ids_in_state("succeeded", "quick").size(), 50u);
}

TEST_F(SemanticsRestartTest, KilledDaemonRetriesTheInterruptedCallIfItHasRetriesLeft) {
  start_daemon();
  // The quotes keep the marker out of the shell's own command line.
  add_script("once",
             "echo \"$FNQ_ATTEMPT\" >> attempts; [ \"$FNQ_ATTEMPT\" -ge 2 ] && exit 0; "
             "exec sleep 60.6'55'");
  std::string id = submit("once", {"--retries", "1"});
  ASSERT_TRUE(wait_until([] { return !live_processes_matching("sleep 60.655").empty(); }));
  m_daemon->kill_hard();
  EXPECT_TRUE(wait_until([] { return live_processes_matching("sleep 60.655").empty(); },
                         std::chrono::seconds(10)));

  start_daemon();
  RunResult r = fnq({"await", id, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json call = call_json(id);
  EXPECT_EQ(call["state"], "succeeded");
  EXPECT_EQ(call["attempt"], 2);  // the interrupted attempt counted
  EXPECT_EQ(lines_of("attempts"), (std::vector<std::string>{"1", "2"}));
}

TEST_F(SemanticsRestartTest, SigtermRequeuesWhatOutlivesTheGraceWithoutCountingIt) {
  start_daemon({"--shutdown-grace", "3s"});
  // Sleeps on its first run only; the quotes keep the marker out of sh's
  // own command line, so the process found below is the sleep.
  add_script("twice",
             "echo \"$FNQ_ATTEMPT\" >> attempts; [ -e ran ] && echo second && exit 0; "
             "touch ran; exec sleep 30.7'77'");
  std::string id = submit("twice", {"--retries", "0"});
  ASSERT_TRUE(wait_until([] { return !live_processes_matching("sleep 30.777").empty(); }));

  auto stopping = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(m_daemon->pid(), SIGTERM), 0);
  ASSERT_TRUE(wait_until(
      [&] { return m_daemon->log().find("no longer accepting calls") != std::string::npos; }));
  RunResult r = fnq({"submit", "twice", "-d", ""});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("shutting down"), std::string::npos) << r.err;
  EXPECT_EQ(m_daemon->stop(), 0);
  auto took = std::chrono::steady_clock::now() - stopping;
  EXPECT_GE(took, std::chrono::milliseconds(2900));  // it waited for the grace
  EXPECT_TRUE(live_processes_matching("sleep 30.777").empty());
  EXPECT_NE(m_daemon->log().find("call " + id + " interrupted by shutdown; queued again"),
            std::string::npos);

  start_daemon({"--shutdown-grace", "3s"});
  r = fnq({"await", id, "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "second\n");
  json call = call_json(id);
  EXPECT_EQ(call["attempt"], 1);  // the interrupted attempt did not count
  EXPECT_EQ(lines_of("attempts"), (std::vector<std::string>{"1", "1"}));
  auto res = http()->Get("/v1/calls");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["calls"].size(), 1u);  // the refused submit stored nothing
}

TEST_F(SemanticsRestartTest, SigtermLetsACallFinishWithinTheGrace) {
  start_daemon({"--shutdown-grace", "20s"});
  add_script("gated", "while [ ! -e go ]; do sleep 0.02; done; echo done");
  std::string id = submit("gated");
  ASSERT_TRUE(wait_for_state(id, "running"));

  auto stopping = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(m_daemon->pid(), SIGTERM), 0);
  ASSERT_TRUE(wait_until(
      [&] { return m_daemon->log().find("no longer accepting calls") != std::string::npos; }));
  touch("go");
  EXPECT_EQ(m_daemon->stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(15));

  start_daemon();
  json call = call_json(id);
  EXPECT_EQ(call["state"], "succeeded");
  EXPECT_EQ(call["attempt"], 1);
  EXPECT_EQ(fnq_ok({"output", id}), "done");
}

}  // namespace
}  // namespace fnq::test

namespace fnq::test {
namespace {

class SemanticsOrphanTest : public SemanticsTest {};

TEST_F(SemanticsOrphanTest, RestartKillsBackgroundProcessesOfInterruptedCalls) {
  start_daemon();
  // The direct child dies with the daemon (PR_SET_PDEATHSIG); the background
  // sleep outlives it until the next start finds it by its FNQ_CALL_ID.
  add_script("bg", "sleep 61.2'34' & exec sleep 61.2'35'");
  std::string id = submit("bg");
  ASSERT_TRUE(wait_until([] {
    return !live_processes_matching("sleep 61.234").empty() &&
           !live_processes_matching("sleep 61.235").empty();
  }));
  m_daemon->kill_hard();
  ASSERT_TRUE(wait_until([] { return live_processes_matching("sleep 61.235").empty(); },
                         std::chrono::seconds(10)));
  EXPECT_FALSE(live_processes_matching("sleep 61.234").empty());

  start_daemon();
  EXPECT_TRUE(wait_until([] { return live_processes_matching("sleep 61.234").empty(); },
                         std::chrono::seconds(10)))
      << "a background process of the interrupted call outlived the restart";
  EXPECT_EQ(call_json(id)["state"], "failed");
  EXPECT_NE(m_daemon->log().find("leftover process"), std::string::npos) << m_daemon->log();
}

}  // namespace
}  // namespace fnq::test
