// Which state directory fnq reads: the flag, $FNQ_STATE_DIR, the user's own
// with a running fnqd, else a system service's it may read.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "common/client.h"
#include "support/temp_dir.h"

namespace fnq {
namespace {

class ClientStateDir : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* var : {"FNQ_STATE_DIR", "XDG_STATE_HOME"}) {
      if (const char* v = std::getenv(var)) {
        m_saved.emplace_back(var, v);
      }
      ::unsetenv(var);
    }
    ::setenv("XDG_STATE_HOME", m_home.path().c_str(), 1);
    ASSERT_EQ(::mkdir(own().c_str(), 0700), 0);
  }
  void TearDown() override {
    ::unsetenv("FNQ_STATE_DIR");
    ::unsetenv("XDG_STATE_HOME");
    for (const auto& [var, value] : m_saved) {
      ::setenv(var.c_str(), value.c_str(), 1);
    }
  }
  std::string own() const { return m_home.file("fnq"); }
  std::string system() const { return m_system.path(); }

  test::TempDir m_home;
  test::TempDir m_system;
  std::vector<std::pair<std::string, std::string>> m_saved;
};

TEST_F(ClientStateDir, TheUsersOwnWhenNoDaemonRunsAnywhere) {
  EXPECT_EQ(client_state_dir(std::nullopt, system()), own());
}

TEST_F(ClientStateDir, TheSystemServicesWhenOnlyItRuns) {
  test::write_file(m_system.file("fnqd.json"), "{}\n");
  EXPECT_EQ(client_state_dir(std::nullopt, system()), system());
}

TEST_F(ClientStateDir, TheUsersOwnDaemonComesFirst) {
  test::write_file(m_system.file("fnqd.json"), "{}\n");
  test::write_file(own() + "/fnqd.json", "{}\n");
  EXPECT_EQ(client_state_dir(std::nullopt, system()), own());
}

TEST_F(ClientStateDir, TheFlagAndTheEnvironmentWin) {
  test::write_file(m_system.file("fnqd.json"), "{}\n");
  EXPECT_EQ(client_state_dir(std::string("/x"), system()), "/x");
  ::setenv("FNQ_STATE_DIR", m_home.file("elsewhere").c_str(), 1);
  EXPECT_EQ(client_state_dir(std::nullopt, system()), m_home.file("elsewhere"));
}

TEST_F(ClientStateDir, AnUnreadableSystemServiceIsNotChosen) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root reads every file";
  }
  test::write_file(m_system.file("fnqd.json"), "{}\n");
  ASSERT_EQ(::chmod(m_system.file("fnqd.json").c_str(), 0600), 0);
  ASSERT_EQ(::chmod(system().c_str(), 0700), 0);
  EXPECT_EQ(client_state_dir(std::nullopt, system()), system());  // its owner may read it
  ASSERT_EQ(::chmod(m_system.file("fnqd.json").c_str(), 0000), 0);
  EXPECT_EQ(client_state_dir(std::nullopt, system()), own());
}

}  // namespace
}  // namespace fnq
