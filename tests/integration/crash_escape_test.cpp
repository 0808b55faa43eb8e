// A call's processes never outlive it, even those that left its process
// group (setsid, a double fork); and an exception fnqd does not expect ends
// it with an error line rather than std::terminate's.
#include <dirent.h>

#include <cstdlib>

#include "integration/semantics.h"

namespace fnq::test {
namespace {

// Live processes (not zombies, not exiting) whose environment holds
// FNQ_CALL_ID=<id>.
std::vector<int> processes_of_call(const std::string& id) {
  std::vector<int> pids;
  const std::string needle = std::string("FNQ_CALL_ID=") + id + '\0';
  DIR* d = opendir("/proc");
  if (d == nullptr) {
    return pids;
  }
  while (dirent* e = readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) {
      continue;
    }
    std::string env = read_file(std::string("/proc/") + e->d_name + "/environ") + '\0';
    if (env.find(needle) != std::string::npos) {
      pids.push_back(pid);
    }
  }
  closedir(d);
  return pids;
}

class CrashEscapeTest : public SemanticsTest {
 protected:
  // Runs the script as a call `rounds` times; after each call ends, nothing
  // carrying its ID may be alive.
  void expect_nothing_outlives(const std::string& script, int rounds) {
    add_script("escape", script, {"--retries", "0"});
    for (int i = 0; i < rounds; ++i) {
      std::string id = submit("escape");
      RunResult r = fnq({"await", id, "--timeout", "30s"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(call_json(id)["state"], "succeeded");
      std::vector<int> left = processes_of_call(id);
      EXPECT_TRUE(left.empty()) << "round " << i << ": " << left.size() << " process(es) of call "
                                << id << " outlived it, e.g. pid " << left.front();
      for (int pid : left) {
        kill(pid, SIGKILL);
      }
    }
  }
};

TEST_F(CrashEscapeTest, ASetsidProcessDoesNotOutliveItsCall) {
  start_daemon();
  expect_nothing_outlives("setsid sleep 300 & ", 10);
}

TEST_F(CrashEscapeTest, ADoubleForkedProcessDoesNotOutliveItsCall) {
  start_daemon();
  expect_nothing_outlives("( setsid sh -c 'sleep 300 & sleep 300' & ) ; true", 10);
}

TEST_F(CrashEscapeTest, AProcessThatEscapedTwiceDoesNotOutliveItsCall) {
  start_daemon();
  // The intermediate has already exited when the call ends.
  expect_nothing_outlives("( ( setsid sleep 300 & ) & wait ) ; sleep 0.05", 10);
}

TEST_F(CrashEscapeTest, AnotherCallsEscapedProcessLivesOnWhileItRuns) {
  start_daemon({"--max-inflight", "2"});
  touch("go");
  // The escaped sleep of the long call must survive the quick call's end.
  add_script("long", "setsid sleep 300 & while [ -e go ]; do sleep 0.05; done");
  add_script("quick", "true");
  std::string long_id = submit("long");
  ASSERT_TRUE(wait_until([&] { return !processes_of_call(long_id).empty(); }));
  ASSERT_TRUE(wait_until([&] { return processes_of_call(long_id).size() >= 2; }));
  std::string quick = submit("quick");
  ASSERT_EQ(fnq({"await", quick, "--timeout", "30s"}).exit_code, 0);
  EXPECT_GE(processes_of_call(long_id).size(), 2u);
  ::unlink(work_file("go").c_str());
  ASSERT_EQ(fnq({"await", long_id, "--timeout", "30s"}).exit_code, 0);
  EXPECT_TRUE(processes_of_call(long_id).empty());
}

// FNQD_INJECT_FAILURE (daemon/main.cpp) throws at start.
RunResult run_failing_fnqd(const std::string& where, const std::string& dir) {
  return run_program({FNQD_BIN, "--state-dir", dir, "--listen", "127.0.0.1:0"}, "",
                     {{"FNQD_INJECT_FAILURE", where}}, std::chrono::seconds(60));
}

TEST_F(CrashEscapeTest, AnExceptionInTheMainThreadEndsFnqdWithAnErrorLine) {
  RunResult r = run_failing_fnqd("main", file("state-main"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fnqd: error: internal error: injected failure"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
}

TEST_F(CrashEscapeTest, AnExceptionInAnotherThreadEndsFnqdWithAnErrorLine) {
  RunResult r = run_failing_fnqd("thread", file("state-thread"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("fnqd: error: internal error: injected failure"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fnq::test
