// Who may use the state directory and the token: the owner alone quietly,
// the group with a warning, every user only with --allow-open-state-dir.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daemon/state_dir.h"
#include "support/temp_dir.h"

namespace fnq {
namespace {

class StateDirAccess : public ::testing::Test {
 protected:
  // The state directory and token with these modes; the check's result.
  Result<std::vector<std::string>> check(unsigned dir_mode, unsigned token_mode,
                                         bool allow_open = false) {
    std::string token = m_dir.file("token");
    test::write_file(token, "t\n");
    EXPECT_EQ(::chmod(token.c_str(), token_mode), 0);
    EXPECT_EQ(::chmod(m_dir.path().c_str(), dir_mode), 0);
    auto result = check_state_dir_access(m_dir.path(), true, allow_open);
    ::chmod(m_dir.path().c_str(), 0700);
    return result;
  }

  test::TempDir m_dir;
};

TEST_F(StateDirAccess, OwnerOnlyIsQuiet) {
  for (unsigned token_mode : {0600u, 0400u}) {
    auto r = check(0700, token_mode);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->empty());
  }
  auto group_may_enter = check(0710, 0600);  // traversal alone reads nothing
  ASSERT_TRUE(group_may_enter.ok());
  EXPECT_TRUE(group_may_enter->empty());
}

TEST_F(StateDirAccess, GroupAccessIsAWarning) {
  auto r = check(0750, 0640);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_NE((*r)[0].find("state directory " + m_dir.path() + " is open to group "),
            std::string::npos);
  EXPECT_NE((*r)[1].find("(mode 0640); its members can read the token"), std::string::npos);
  auto writable = check(0700, 0620);
  ASSERT_TRUE(writable.ok());
  EXPECT_EQ(writable->size(), 1u);
}

TEST_F(StateDirAccess, AccessForEveryUserIsRefused) {
  for (unsigned dir_mode : {0755u, 0701u, 0702u, 0777u}) {
    auto r = check(dir_mode, 0600);
    ASSERT_FALSE(r.ok()) << std::oct << dir_mode;
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_input);
    EXPECT_NE(r.error().message.find("--allow-open-state-dir"), std::string::npos);
  }
  for (unsigned token_mode : {0604u, 0602u, 0644u}) {
    auto r = check(0700, token_mode);
    ASSERT_FALSE(r.ok()) << std::oct << token_mode;
    EXPECT_NE(
        r.error().message.find("token file " + m_dir.file("token") + " is open to every user"),
        std::string::npos);
  }
}

TEST_F(StateDirAccess, TheOverrideTurnsTheRefusalIntoAWarning) {
  auto r = check(0755, 0644, true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 4u);  // every user and the group, for both
  EXPECT_NE((*r)[0].find("allowed by --allow-open-state-dir"), std::string::npos);
}

TEST_F(StateDirAccess, AMissingTokenIsNotChecked) {
  ASSERT_EQ(::chmod(m_dir.path().c_str(), 0700), 0);
  auto r = check_state_dir_access(m_dir.path(), true, false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->empty());
}

// The files clients read follow the directory: shared with its group when
// the group may read the directory, private otherwise, whatever the umask.
TEST(SharedFileMode, FollowsTheDirectorysGroupReadBit) {
  test::TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0700), 0);
  EXPECT_EQ(shared_file_mode(dir.path()), 0600);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0710), 0);
  EXPECT_EQ(shared_file_mode(dir.path()), 0600);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0750), 0);
  EXPECT_EQ(shared_file_mode(dir.path()), 0640);
  ::chmod(dir.path().c_str(), 0700);
}

TEST(SharedFileMode, TheTokenAndAtomicWritesGetExactlyTheMode) {
  test::TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0750), 0);
  mode_t old_umask = ::umask(077);
  auto token = load_or_create_token(dir.path());
  auto written = write_file_atomic(dir.file("fnqd.json"), "{}\n", 0640);
  ::umask(old_umask);
  ASSERT_TRUE(token.ok()) << token.error().message;
  ASSERT_TRUE(written.ok()) << written.error().message;
  for (const char* name : {"token", "fnqd.json"}) {
    struct stat st {};
    ASSERT_EQ(::stat(dir.file(name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u) << name;
  }
  ::chmod(dir.path().c_str(), 0700);
}

}  // namespace
}  // namespace fnq
