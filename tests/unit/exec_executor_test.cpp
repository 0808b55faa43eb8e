// Executor: what a child gets (stdin, environment, workdir, signals, fds)
// and what comes back (output, exit status, spawn errors).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "daemon/exec/spawn.h"
#include "unit/exec_test_harness.h"

namespace fnq::test {
namespace {

using ExecutorTest = ExecFixture;

std::string numbers(int count) {
  std::string out;
  for (int i = 1; i <= count; ++i) {
    out += std::to_string(i) + "\n";
  }
  return out;
}

TEST_F(ExecutorTest, CatEchoesStdin) {
  ExecResult r = run(make_request("c1", {"cat"}, "hello\nworld"));
  EXPECT_EQ(r.call_id, "c1");
  EXPECT_EQ(r.attempt, 1);
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.signal);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output, "hello\nworld");
  EXPECT_EQ(r.output_size, 11u);
  EXPECT_FALSE(r.output_truncated);
  EXPECT_FALSE(r.interrupted);
  EXPECT_GT(r.started_at, 0);
  EXPECT_GE(r.finished_at, r.started_at);
}

TEST_F(ExecutorTest, EightMebibytesThroughCatArriveIntact) {
  std::string input(8u << 20, '\0');
  for (std::size_t i = 0; i < input.size(); ++i) {
    input[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
  }
  ExecRequest request = make_request("big", {"cat"}, input);
  request.max_output = 16u << 20;
  ExecResult r = run(std::move(request));
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.output_size, input.size());
  EXPECT_TRUE(r.output == input) << "output differs";
}

TEST_F(ExecutorTest, EmptyInputIsAnImmediateEof) {
  ExecResult r = run(make_request("c1", {"cat"}));
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.output, "");
}

TEST_F(ExecutorTest, ChildThatIgnoresItsInputSucceeds) {
  ExecResult r = run(make_request("c1", {"true"}, std::string(8u << 20, 'x')));
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.error, "");
}

TEST_F(ExecutorTest, NonZeroExitIsFailed) {
  ExecResult r = run(shell("c1", "exit 3"));
  EXPECT_EQ(r.state, CallState::failed);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.signal);
  EXPECT_EQ(r.error, "exit status 3");
}

TEST_F(ExecutorTest, DeathBySignalIsFailed) {
  ExecResult r = run(shell("c1", "kill -9 $$"));
  EXPECT_EQ(r.state, CallState::failed);
  EXPECT_EQ(r.signal, 9);
  EXPECT_FALSE(r.exit_code);
  EXPECT_EQ(r.error, "killed by signal 9");
}

TEST_F(ExecutorTest, OutputBeyondMaxOutputIsCountedButNotKept) {
  std::string expected = numbers(20000);
  ExecRequest request = make_request("c1", {"seq", "1", "20000"});
  request.max_output = 1000;
  ExecResult r = run(std::move(request));
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.output, expected.substr(0, 1000));
  EXPECT_EQ(r.output_size, expected.size());
  EXPECT_TRUE(r.output_truncated);
}

TEST_F(ExecutorTest, StderrKeepsOnlyItsTail) {
  std::string expected = numbers(20000);
  ExecRequest request = shell("c1", "seq 1 20000 >&2; echo out");
  request.max_stderr = 100;
  ExecResult r = run(std::move(request));
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.stderr_tail, expected.substr(expected.size() - 100));
  EXPECT_EQ(r.output, "out\n");
}

TEST_F(ExecutorTest, EnvironmentIsExactlyTheRequestedOne) {
  ExecRequest request = make_request("c1", {"env"});
  request.env = {"PATH=/usr/bin:/bin", "A=1", "B=two words"};
  ExecResult r = run(std::move(request));
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.output, "PATH=/usr/bin:/bin\nA=1\nB=two words\n");
}

TEST_F(ExecutorTest, EmptyEnvironmentStillFindsCommandsInTheDefaultPath) {
  ExecRequest request = make_request("c1", {"env"});
  request.env.clear();
  ExecResult r = run(std::move(request));
  EXPECT_EQ(r.state, CallState::succeeded) << r.error;
  EXPECT_EQ(r.output, "");
}

TEST_F(ExecutorTest, WorkdirIsHonoured) {
  ExecRequest request = make_request("c1", {"pwd"});
  request.workdir = m_dir.path();
  ExecResult r = run(std::move(request));
  char real[PATH_MAX];
  ASSERT_NE(::realpath(m_dir.path().c_str(), real), nullptr);
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.output, std::string(real) + "\n");
}

TEST_F(ExecutorTest, MissingCommandFailsWith127) {
  ExecResult r = run(make_request("c1", {"fnq-no-such-command"}));
  EXPECT_EQ(r.state, CallState::failed);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.error, "cannot execute 'fnq-no-such-command': No such file or directory");
  EXPECT_GE(r.finished_at, r.started_at);
}

TEST_F(ExecutorTest, MissingAbsoluteCommandFailsWith127) {
  ExecResult r = run(make_request("c1", {m_dir.file("nothing")}));
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.error, "cannot execute '" + m_dir.file("nothing") + "': No such file or directory");
}

TEST_F(ExecutorTest, NonExecutableFileFailsWith126) {
  std::string script = m_dir.file("script.sh");
  write_file(script, "#!/bin/sh\necho hi\n");
  ::chmod(script.c_str(), 0644);
  ExecResult r = run(make_request("c1", {script}));
  EXPECT_EQ(r.state, CallState::failed);
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_EQ(r.error, "cannot execute '" + script + "': Permission denied");
}

TEST_F(ExecutorTest, MissingWorkdirFailsWith126) {
  ExecRequest request = make_request("c1", {"pwd"});
  request.workdir = m_dir.file("missing");
  ExecResult r = run(std::move(request));
  EXPECT_EQ(r.state, CallState::failed);
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_EQ(r.error,
            "cannot enter workdir '" + m_dir.file("missing") + "': No such file or directory");
}

TEST_F(ExecutorTest, EmptyCommandFails) {
  ExecResult r = run(make_request("c1", {}));
  EXPECT_EQ(r.state, CallState::failed);
  EXPECT_FALSE(r.exit_code);
  EXPECT_EQ(r.error, "empty command");
}

TEST_F(ExecutorTest, ChildInheritsOnlyStdio) {
  int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 0);
  ExecResult r = run(shell("c1", "ls /proc/$$/fd"));
  ::close(leaked);
  EXPECT_EQ(r.state, CallState::succeeded);
  EXPECT_EQ(r.output, "0\n1\n2\n");
}

TEST_F(ExecutorTest, ChildGetsDefaultSignalDispositionsAndNoBlockedSignals) {
  // The daemon ignores SIGPIPE and blocks signals in its threads; a child
  // must see neither: `yes` must die quietly of SIGPIPE, and a TERM sent to
  // itself must kill the shell at once.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  ExecResult piped = run(shell("pipe", "yes | head -c 3"));
  ExecResult termed = run(shell("term", "kill -TERM $$; sleep 10"));
  ::sigaction(SIGPIPE, &old, nullptr);
  EXPECT_EQ(piped.state, CallState::succeeded);
  EXPECT_EQ(piped.output, "y\ny");
  EXPECT_EQ(piped.stderr_tail, "");
  EXPECT_EQ(termed.signal, SIGTERM);
  EXPECT_EQ(termed.error, "killed by signal 15");
}

TEST_F(ExecutorTest, ManyConcurrentChildrenEachGetTheirOwnOutput) {
  constexpr int k_children = 60;
  for (int i = 0; i < k_children; ++i) {
    m_executor->start(
        make_request("call-" + std::to_string(i), {"echo", "out", std::to_string(i)}));
  }
  for (int i = 0; i < k_children; ++i) {
    ExecResult r = wait("call-" + std::to_string(i));
    EXPECT_EQ(r.state, CallState::succeeded) << r.error;
    EXPECT_EQ(r.output, "out " + std::to_string(i) + "\n");
  }
  EXPECT_EQ(m_executor->running(), 0u);
}

TEST_F(ExecutorTest, OnDoneMayStartTheNextAttempt) {
  // on_done runs on the executor thread; starting from there must not deadlock.
  ResultCollector results;
  auto collect = results.callback();
  std::unique_ptr<Executor> executor;
  executor = std::make_unique<EventLoopExecutor>([&](ExecResult r) {
    if (r.attempt < 3) {
      ExecRequest next = make_request(r.call_id, {"echo", std::to_string(r.attempt + 1)});
      next.attempt = r.attempt + 1;
      executor->start(std::move(next));
      return;
    }
    collect(std::move(r));
  });
  executor->start(make_request("chain", {"echo", "1"}));
  auto r = results.wait("chain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->attempt, 3);
  EXPECT_EQ(r->output, "3\n");
}

// A command found in one PATH directory and then moved to another still
// runs: the remembered path fails, the search goes on.
TEST_F(ExecutorTest, CommandMovedWithinThePathStillRuns) {
  std::string a = m_dir.file("a"), b = m_dir.file("b");
  ASSERT_EQ(::mkdir(a.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(b.c_str(), 0755), 0);
  write_file(b + "/tool", "#!/bin/sh\necho from b\n");
  ::chmod((b + "/tool").c_str(), 0755);
  auto request = [&] {
    ExecRequest r = make_request("c1", {"tool"});
    r.env = {"PATH=" + a + ":" + b + ":/usr/bin:/bin"};
    return r;
  };
  EXPECT_EQ(run(request()).output, "from b\n");
  ASSERT_EQ(::rename((b + "/tool").c_str(), (a + "/tool").c_str()), 0);
  write_file(a + "/tool", "#!/bin/sh\necho from a\n");
  ::chmod((a + "/tool").c_str(), 0755);
  ExecResult moved = run(request());
  EXPECT_EQ(moved.state, CallState::succeeded) << moved.error;
  EXPECT_EQ(moved.output, "from a\n");
  ASSERT_EQ(::unlink((a + "/tool").c_str()), 0);
  ExecResult gone = run(request());
  EXPECT_EQ(gone.exit_code, 127);
  EXPECT_EQ(gone.error, "cannot execute 'tool': No such file or directory");
}

class ExecPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* d : {"a", "b", "c"}) {
      ASSERT_EQ(::mkdir(m_dir.file(d).c_str(), 0755), 0);
    }
    m_env = {"HOME=/x", "PATH=" + m_dir.file("a") + ":" + m_dir.file("b") + ":" + m_dir.file("c")};
  }
  std::string make(const std::string& dir, mode_t mode) {
    std::string path = m_dir.file(dir) + "/tool";
    write_file(path, "#!/bin/sh\n");
    ::chmod(path.c_str(), mode);
    return path;
  }

  TempDir m_dir;
  std::vector<std::string> m_env;
  ExecPaths m_paths;
  ExecPaths::Clock::time_point m_t0 = ExecPaths::Clock::now();
};

TEST_F(ExecPathsTest, FindsTheFirstExecutableFileInPathOrder) {
  ASSERT_EQ(::mkdir((m_dir.file("a") + "/tool").c_str(), 0755), 0);  // a directory
  make("b", 0644);                                                   // not executable
  std::string c = make("c", 0755);
  EXPECT_EQ(m_paths.find("tool", m_env, m_t0), c);
  EXPECT_EQ(m_paths.size(), 1u);
  EXPECT_EQ(m_paths.find("nothing", m_env, m_t0), std::nullopt);
  EXPECT_EQ(m_paths.find("/bin/sh", m_env, m_t0), std::nullopt);  // execve takes it as is
  EXPECT_EQ(m_paths.size(), 1u);
}

TEST_F(ExecPathsTest, RemembersForItsTimeThenLooksAgain) {
  std::string c = make("c", 0755);
  EXPECT_EQ(m_paths.find("tool", m_env, m_t0), c);
  std::string b = make("b", 0755);  // installed earlier in PATH
  EXPECT_EQ(m_paths.find("tool", m_env, m_t0 + std::chrono::seconds(9)), c);
  EXPECT_EQ(m_paths.find("tool", m_env, m_t0 + ExecPaths::k_ttl), b);
  m_paths.forget("tool", m_env);
  ASSERT_EQ(::unlink(b.c_str()), 0);
  EXPECT_EQ(m_paths.find("tool", m_env, m_t0 + ExecPaths::k_ttl), c);
}

TEST_F(ExecPathsTest, EachPathHasItsOwnEntry) {
  std::string c = make("c", 0755);
  EXPECT_EQ(m_paths.find("tool", m_env, m_t0), c);
  EXPECT_EQ(m_paths.find("tool", {"PATH=/usr/bin:/bin"}, m_t0), std::nullopt);
  EXPECT_EQ(m_paths.find("sh", {"PATH=/nowhere:/bin"}, m_t0), "/bin/sh");
  EXPECT_EQ(m_paths.size(), 2u);
}

TEST_F(ExecPathsTest, ARelativeDirectoryIsLeftToTheChild) {
  make("c", 0755);
  std::vector<std::string> env = {"PATH=" + m_dir.file("a") + "::" + m_dir.file("c")};
  EXPECT_EQ(m_paths.find("tool", env, m_t0), std::nullopt);  // "" is the call's workdir
  EXPECT_EQ(m_paths.size(), 0u);
}

TEST(ExecCandidates, SearchesThePathOfTheRequest) {
  EXPECT_EQ(exec_candidates("tool", {"A=1", "PATH=/opt/bin::/bin"}),
            (std::vector<std::string>{"/opt/bin/tool", "./tool", "/bin/tool"}));
  EXPECT_EQ(exec_candidates("tool", {}),
            (std::vector<std::string>{"/usr/local/bin/tool", "/usr/bin/tool", "/bin/tool"}));
  EXPECT_EQ(exec_candidates("./tool", {"PATH=/opt/bin"}), (std::vector<std::string>{"./tool"}));
  EXPECT_EQ(exec_candidates("/bin/sh", {}), (std::vector<std::string>{"/bin/sh"}));
}

}  // namespace
}  // namespace fnq::test
