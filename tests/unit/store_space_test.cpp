// Closing and opening the store on a nearly full disk (a real small tmpfs):
// the last checkpoint must not fill the disk, nothing is lost when it is
// skipped, and an open that fails for want of space says what to free.
#include <sys/stat.h>

#include "store_test_fixture.h"
#include "support/tmpfs.h"

namespace fnq::test {
namespace {

constexpr std::uint64_t k_disk = 2 * 1024 * 1024;

std::uint64_t size_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SpaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!m_disk.mounted()) {
      GTEST_SKIP() << m_disk.why_not();
    }
  }

  SqliteOptions options() const {
    SqliteOptions opts;
    opts.path = m_disk.path() + "/fnq.db";
    opts.readers = 2;
    return opts;
  }

  std::unique_ptr<Store> open_store() {
    auto store = open_sqlite_store(options());
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A store holding `calls` calls of 32 KiB each, all of it still in the WAL.
  std::unique_ptr<Store> store_with_calls(int calls) {
    auto store = open_store();
    if (!store) {
      return nullptr;
    }
    Function f;
    f.name = "fn";
    f.command = {"cat"};
    EXPECT_TRUE(store->put_function(f).ok());
    for (int i = 0; i < calls; ++i) {
      NewCall nc = make_call("fn", std::string(32 * 1024, static_cast<char>('a' + i % 26)));
      auto r = store->submit({nc});
      EXPECT_TRUE(r.ok()) << r.error().message;
      m_ids.push_back(nc.call.id);
    }
    return store;
  }

  void expect_calls_kept() {
    auto store = open_store();
    ASSERT_TRUE(store);
    for (std::size_t i = 0; i < m_ids.size(); ++i) {
      auto input = store->get_input(m_ids[i]);
      ASSERT_TRUE(input.ok()) << m_ids[i] << ": " << input.error().message;
      EXPECT_EQ(*input, std::string(32 * 1024, static_cast<char>('a' + i % 26)));
    }
  }

  TempDir m_dir;
  TmpfsMount m_disk{m_dir.path() + "/disk", k_disk};
  std::vector<std::string> m_ids;
};

TEST_F(SpaceTest, CloseWithRoomMergesTheWalAndRemovesIt) {
  auto store = store_with_calls(10);
  ASSERT_TRUE(store);
  std::string db = options().path;
  ASSERT_GT(size_of(db + "-wal"), 300u * 1024);
  EXPECT_TRUE(store->close().ok());
  store.reset();
  EXPECT_FALSE(exists(db + "-wal"));
  EXPECT_FALSE(exists(db + "-shm"));
  EXPECT_GT(size_of(db), 300u * 1024);
  expect_calls_kept();
}

TEST_F(SpaceTest, CloseOnANearlyFullDiskKeepsTheWalAndLeavesRoomToStart) {
  auto store = store_with_calls(10);
  ASSERT_TRUE(store);
  std::string db = options().path;
  std::uint64_t wal = size_of(db + "-wal");
  std::uint64_t db_size = size_of(db);
  // Less room than the merge would take: the old close filled the disk.
  m_disk.fill("filler", m_disk.free_bytes() - 128 * 1024);
  std::uint64_t free_before = m_disk.free_bytes();
  Status closed = store->close();
  store.reset();
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().kind, ErrorKind::disk_full);
  EXPECT_TRUE(contains(closed.error().message, "kept the write-ahead log " + db + "-wal ("))
      << closed.error().message;
  EXPECT_TRUE(contains(closed.error().message, "free on the filesystem of " + m_disk.path()))
      << closed.error().message;
  EXPECT_EQ(size_of(db + "-wal"), wal);
  EXPECT_EQ(size_of(db), db_size);
  EXPECT_GE(m_disk.free_bytes(), free_before);
  // The next start works on what is left, and finds every call.
  expect_calls_kept();
  // With room again, the next close merges the WAL.
  std::remove((m_disk.path() + "/filler").c_str());
  auto again = open_store();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->close().ok());
  again.reset();
  EXPECT_FALSE(exists(db + "-wal"));
  expect_calls_kept();
}

TEST_F(SpaceTest, OpenOnAFullDiskSaysWhatToFreeAndWhere) {
  auto store = store_with_calls(10);
  ASSERT_TRUE(store);
  std::string db = options().path;
  m_disk.fill("filler", m_disk.free_bytes() - 64 * 1024);
  (void)store->close();  // keeps the WAL
  store.reset();
  ASSERT_TRUE(exists(db + "-wal"));
  // The WAL index is rebuilt at open: without room for it, opening fails.
  ASSERT_EQ(std::remove((db + "-shm").c_str()), 0);
  m_disk.fill("filler2");
  ASSERT_EQ(m_disk.free_bytes(), 0u);
  auto refused = open_sqlite_store(options());
  ASSERT_FALSE(refused.ok());
  const Error& e = refused.error();
  EXPECT_EQ(e.kind, ErrorKind::disk_full);
  EXPECT_TRUE(contains(e.message,
                       "cannot open database " + db + ": no space left on device (free at least "))
      << e.message;
  EXPECT_TRUE(
      contains(e.message, " on the filesystem of " + m_disk.path() + ", which has 0 KiB free"))
      << e.message;
  EXPECT_TRUE(contains(e.message, "to merge " + db + "-wal (")) << e.message;
  // Freeing space is enough: nothing was damaged.
  std::remove((m_disk.path() + "/filler2").c_str());
  expect_calls_kept();
}

}  // namespace
}  // namespace fnq::test
