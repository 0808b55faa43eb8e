// Executor: how attempts end early (exec_timeout, kill_grace, cancel,
// interrupt_all, destruction) and that no process of a call outlives it.
#include <signal.h>
#include <sys/wait.h>

#include "daemon/exec/attempt.h"
#include "daemon/exec/output_capture.h"
#include "unit/exec_test_harness.h"

namespace fnq::test {
namespace {

using LifecycleTest = ExecFixture;

std::int64_t elapsed_ms(const ExecResult& r) { return r.finished_at - r.started_at; }

TEST_F(LifecycleTest, ExecTimeoutTerminatesTheWholeGroup) {
  ExecRequest request = shell("c1", "echo $$ > " + m_dir.file("pid") + "; sleep 30 & sleep 30");
  request.exec_timeout = 200ms;
  ExecResult r = run(std::move(request));
  EXPECT_EQ(r.state, CallState::timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_FALSE(r.exit_code);
  EXPECT_EQ(r.error, "exec_timeout 200ms exceeded");
  EXPECT_GE(elapsed_ms(r), 200 - 20);  // wall clock vs monotonic deadlines
  EXPECT_LT(elapsed_ms(r), 10000);
  pid_t pgid = wait_for_pid_file(m_dir.file("pid"));
  ASSERT_GT(pgid, 0);
  EXPECT_TRUE(group_gone(pgid));
}

TEST_F(LifecycleTest, CommandIgnoringTermIsKilledAfterKillGrace) {
  ExecRequest request =
      shell("c1", "trap '' TERM; echo $$ > " + m_dir.file("pid") + "; sleep 30; sleep 30");
  request.exec_timeout = 200ms;
  request.kill_grace = 300ms;
  ExecResult r = run(std::move(request));
  EXPECT_EQ(r.state, CallState::timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.error, "exec_timeout 200ms exceeded");
  EXPECT_GE(elapsed_ms(r), 500 - 20);
  EXPECT_LT(elapsed_ms(r), 10000);
  EXPECT_TRUE(group_gone(wait_for_pid_file(m_dir.file("pid"))));
}

TEST_F(LifecycleTest, LeaderExitEndsTheCallAndItsBackgroundChildren) {
  // The background sleep holds stdout open; the call must not wait for it.
  ExecResult r = run(shell("c1", "echo $$ > " + m_dir.file("pid") + "; sleep 30 & echo done"));
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.output, "done\n");
  EXPECT_LT(elapsed_ms(r), 5000);
  EXPECT_TRUE(group_gone(wait_for_pid_file(m_dir.file("pid"))));
}

TEST_F(LifecycleTest, ProcessThatEscapedTheGroupDelaysTheResultOnlyBriefly) {
  // setsid leaves the group, so nothing kills it, and it holds stdout.
  std::string pid_file = m_dir.file("escaped");
  // The leader waits until it has escaped: killed earlier, it would not.
  ExecResult r =
      run(shell("c1", "setsid sh -c 'echo $$ > " + pid_file + "; exec sleep 30' & while [ ! -s " +
                          pid_file + " ]; do sleep 0.01; done; echo started"));
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.output, "started\n");
  EXPECT_GE(elapsed_ms(r), Attempt::k_drain_limit.count() - 20);
  EXPECT_LT(elapsed_ms(r), 5000);
  pid_t escaped = wait_for_pid_file(pid_file);
  ASSERT_GT(escaped, 0);
  ::kill(escaped, SIGKILL);
  ::waitpid(escaped, nullptr, 0);  // it was reparented to this subreaper
}

TEST_F(LifecycleTest, CancelEndsTheCallAsCancelled) {
  ExecRequest request = shell("c1", "echo $$ > " + m_dir.file("pid") + "; sleep 30 & sleep 30");
  m_executor->start(std::move(request));
  EXPECT_EQ(m_executor->running(), 1u);
  pid_t pgid = wait_for_pid_file(m_dir.file("pid"));
  m_executor->cancel("c1");
  ExecResult r = wait("c1");
  EXPECT_EQ(r.state, CallState::cancelled);
  EXPECT_EQ(r.error, "cancelled");
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(m_executor->running(), 0u);
  EXPECT_TRUE(group_gone(pgid));
}

TEST_F(LifecycleTest, CancelRightAfterStartStillCancels) {
  m_executor->start(shell("c1", "sleep 30"));
  m_executor->cancel("c1");
  ExecResult r = wait("c1");
  EXPECT_EQ(r.state, CallState::cancelled);
  EXPECT_EQ(r.error, "cancelled");
}

TEST_F(LifecycleTest, CancelOfAnUnknownCallChangesNothing) {
  m_executor->cancel("nope");
  ExecResult r = run(make_request("c1", {"echo", "ok"}));
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.output, "ok\n");
}

TEST_F(LifecycleTest, InterruptAllStopsEveryCallAsInterrupted) {
  std::vector<pid_t> groups;
  for (int i = 0; i < 3; ++i) {
    std::string pid_file = m_dir.file("pid" + std::to_string(i));
    m_executor->start(shell("c" + std::to_string(i), "echo $$ > " + pid_file + "; sleep 30"));
    groups.push_back(wait_for_pid_file(pid_file));
  }
  EXPECT_EQ(m_executor->running(), 3u);
  m_executor->interrupt_all();
  for (int i = 0; i < 3; ++i) {
    ExecResult r = wait("c" + std::to_string(i));
    EXPECT_EQ(r.state, CallState::failed);
    EXPECT_TRUE(r.interrupted);
    EXPECT_EQ(r.error, "interrupted by daemon shutdown");
    EXPECT_TRUE(group_gone(groups[static_cast<std::size_t>(i)]));
  }
  EXPECT_EQ(m_executor->running(), 0u);
}

TEST_F(LifecycleTest, DestructorKillsRunningChildrenPromptly) {
  std::vector<pid_t> groups;
  for (int i = 0; i < 3; ++i) {
    std::string pid_file = m_dir.file("pid" + std::to_string(i));
    m_executor->start(shell("c" + std::to_string(i),
                            "trap '' TERM; echo $$ > " + pid_file + "; sleep 30 & sleep 30"));
    groups.push_back(wait_for_pid_file(pid_file));
  }
  auto before = std::chrono::steady_clock::now();
  m_executor.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  for (pid_t pgid : groups) {
    EXPECT_TRUE(group_gone(pgid));
  }
  EXPECT_EQ(m_results.count(), 0u);  // results of killed attempts are dropped
}

TEST(HeadCapture, KeepsTheFirstBytesAndCountsAll) {
  HeadCapture head(5);
  head.append("abc", 3);
  head.append("defg", 4);
  head.append("h", 1);
  EXPECT_EQ(head.total(), 8u);
  EXPECT_TRUE(head.truncated());
  EXPECT_EQ(head.take(), "abcde");

  HeadCapture exact(3);
  exact.append("abc", 3);
  EXPECT_FALSE(exact.truncated());
}

TEST(TailCapture, KeepsTheLastBytes) {
  TailCapture tail(4);
  for (char c : std::string("0123456789")) {
    tail.append(&c, 1);
  }
  EXPECT_EQ(tail.take(), "6789");

  TailCapture big(4);
  big.append("ab", 2);
  big.append("cdefgh", 6);
  EXPECT_EQ(big.take(), "efgh");

  TailCapture none(0);
  none.append("abc", 3);
  EXPECT_EQ(none.take(), "");
}

}  // namespace
}  // namespace fnq::test
