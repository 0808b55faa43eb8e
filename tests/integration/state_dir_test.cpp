// The state directory and its files: private modes whatever the umask, who
// else may read them (group: a warning; every user: refused unless
// --allow-open-state-dir), and one fnqd per state directory.
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "integration/fixture.h"

namespace fnq::test {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// A state directory made by someone else before fnqd's first start.
class StateDirTest : public ::testing::Test {
 protected:
  std::string dir() const { return m_dir.path() + "/state"; }

  void make_state_dir(unsigned dir_mode, std::optional<unsigned> token_mode = std::nullopt) {
    ASSERT_EQ(::mkdir(dir().c_str(), 0700), 0);
    ASSERT_EQ(::chmod(dir().c_str(), dir_mode), 0);
    if (token_mode) {
      write_file(dir() + "/token", "0123456789abcdef\n");
      ASSERT_EQ(::chmod((dir() + "/token").c_str(), *token_mode), 0);
    }
  }

  // fnqd expected to refuse to start: its exit status and stderr.
  RunResult run_refused(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {FNQD_BIN, "--state-dir", dir(), "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_program(argv, {}, {}, std::chrono::seconds(30));
  }

  TempDir m_dir;
};

TEST_F(StateDirTest, GroupAccessIsAllowedWithAWarning) {
  make_state_dir(0750, 0640);
  FnqdProcess fnqd(dir(), {});
  ASSERT_TRUE(fnqd.start());
  EXPECT_EQ(fnqd.token(), "0123456789abcdef");
  std::string log = fnqd.log();
  EXPECT_TRUE(contains(log, "warning: state directory " + dir() + " is open to group ")) << log;
  EXPECT_TRUE(contains(log, "(mode 0750)")) << log;
  EXPECT_TRUE(contains(log, "warning: token file " + dir() + "/token is open to group ")) << log;
  EXPECT_EQ(fnqd.stop(), 0);
}

// A state directory its group may read (a system service's, 0750) gets a
// token and fnqd.json its group may read too, whatever the umask; the
// database stays private.
TEST_F(StateDirTest, AGroupReadableStateDirSharesTheTokenAndFnqdJson) {
  make_state_dir(0750);
  mode_t old_umask = ::umask(077);
  FnqdProcess fnqd(dir(), {});
  bool started = fnqd.start();
  ::umask(old_umask);
  ASSERT_TRUE(started);
  EXPECT_EQ(mode_of(dir() + "/token"), 0640u);
  EXPECT_EQ(mode_of(dir() + "/fnqd.json"), 0640u);
  EXPECT_EQ(mode_of(dir() + "/fnq.db"), 0600u);
  EXPECT_EQ(fnqd.stop(), 0);
}

TEST_F(StateDirTest, AStateDirOpenToEveryUserIsRefused) {
  make_state_dir(0755);
  RunResult r = run_refused();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fnqd: error: state directory " + dir() +
                       " is open to every user (mode 0755): anyone could read the token and run "
                       "functions (run chmod o-rwx " +
                       dir() + ", or start fnqd with --allow-open-state-dir)\n");
  EXPECT_FALSE(::access((dir() + "/token").c_str(), F_OK) == 0) << "a token was created anyway";
}

TEST_F(StateDirTest, ATokenReadableByEveryUserIsRefused) {
  make_state_dir(0700, 0644);
  RunResult r = run_refused();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(
      r.err, "fnqd: error: token file " + dir() + "/token is open to every user (mode 0644)"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "run chmod o-rwx " + dir() + "/token")) << r.err;
  ASSERT_EQ(::chmod((dir() + "/token").c_str(), 0602), 0);
  EXPECT_EQ(run_refused().exit_code, 1) << "a token writable by every user";
}

TEST_F(StateDirTest, TheOverrideFlagStartsWithAWarning) {
  make_state_dir(0755, 0644);
  FnqdProcess fnqd(dir(), {"--allow-open-state-dir"});
  ASSERT_TRUE(fnqd.start());
  std::string log = fnqd.log();
  EXPECT_TRUE(contains(log, "warning: state directory " + dir() +
                                " is open to every user (mode 0755), allowed by "
                                "--allow-open-state-dir"))
      << log;
  EXPECT_TRUE(contains(log, "warning: token file " + dir() + "/token is open to every user"))
      << log;
  EXPECT_EQ(fnqd.stop(), 0);
}

TEST_F(StateDirTest, WithoutATokenTheTokenFileIsNotChecked) {
  make_state_dir(0700, 0644);
  FnqdProcess fnqd(dir(), {"--auth", "none"});
  ASSERT_TRUE(fnqd.start());
  EXPECT_EQ(fnqd.stop(), 0);
}

TEST_F(StateDirTest, ASecondFnqdOnTheSameStateDirIsRefusedAndLeavesTheFirstAlone) {
  FnqdProcess first(dir(), {});
  ASSERT_TRUE(first.start());
  std::string info = read_file(dir() + "/fnqd.json");
  RunResult r = run_refused({"--db", m_dir.file("other.db")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fnqd: error: state directory " + dir() + " is in use by another fnqd (pid " +
                       std::to_string(first.pid()) +
                       ") (stop it first, or give this fnqd its own --state-dir)\n");
  EXPECT_EQ(read_file(dir() + "/fnqd.json"), info) << "the second fnqd touched fnqd.json";
  EXPECT_NE(::access(m_dir.file("other.db").c_str(), F_OK), 0) << "the second fnqd made a database";
  EXPECT_EQ(first.stop(), 0);
  // Once the first has stopped, the directory is free again.
  FnqdProcess next(dir(), {"--db", m_dir.file("other.db")});
  ASSERT_TRUE(next.start());
  EXPECT_EQ(next.stop(), 0);
}

// Every file fnqd creates is private to its user, whatever the umask.
class StateDirUmaskTest : public FnqTest {
 protected:
  void SetUp() override {
    m_old_umask = ::umask(022);
    FnqTest::SetUp();
  }
  void TearDown() override {
    FnqTest::TearDown();
    ::umask(m_old_umask);
  }
  mode_t m_old_umask = 0;
};

TEST_F(StateDirUmaskTest, TheDatabaseAndItsFilesAreCreated0600) {
  add_function("echo", {"cat"});
  fnq_ok({"submit", "echo"}, "x");  // the WAL and its index exist once written
  EXPECT_EQ(mode_of(state_dir()), 0700u);
  for (const char* name :
       {"fnq.db", "fnq.db-wal", "fnq.db-shm", "fnq.db.lock", "fnqd.lock", "token", "fnqd.json"}) {
    EXPECT_EQ(mode_of(state_dir() + "/" + name), 0600u) << name;
  }
}

}  // namespace
}  // namespace fnq::test
