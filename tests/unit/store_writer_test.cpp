// The writer's commits: a batch is fsynced (synchronous=FULL) when any of
// its tasks is durable, and only then; deferred-only batches are not.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "daemon/store/sqlite_open.h"
#include "daemon/store/writer.h"
#include "support/temp_dir.h"

namespace fnq::test {
namespace {

using Commit = Writer::Commit;
using namespace std::chrono_literals;

// Polls a condition until it holds or 10 s have passed; its last value.
template <class Condition>
bool wait_until(Condition condition) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!condition() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  return condition();
}

class WriterTest : public ::testing::Test {
 protected:
  std::unique_ptr<Writer> open_writer_with(bool synchronous_full) {
    SqliteOptions opts;
    opts.path = m_dir.file("fnq.db");
    opts.synchronous_full = synchronous_full;
    auto db = open_writer(opts);
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
    return std::make_unique<Writer>(std::move(db).value(), synchronous_full);
  }

  // PRAGMA synchronous as the task's batch will commit with: 1 NORMAL, 2 FULL.
  static Result<int> synchronous_in(Writer& w, Commit commit) {
    return w.run_for<int>(
        [](Database& db) -> Result<int> {
          Query q = db.query("PRAGMA synchronous");
          FNQ_TRY_ASSIGN(bool row, q.step());
          if (!row) {
            return make_error(ErrorKind::internal, "no answer to PRAGMA synchronous");
          }
          return q.int32(0);
        },
        commit);
  }

  TempDir m_dir;
};

TEST_F(WriterTest, DeferredBatchesSkipTheFsyncAndDurableOnesDoNot) {
  auto w = open_writer_with(true);
  EXPECT_EQ(*synchronous_in(*w, Commit::durable), 2);
  EXPECT_EQ(*synchronous_in(*w, Commit::deferred), 1);
  EXPECT_EQ(*synchronous_in(*w, Commit::durable), 2);  // and back
  EXPECT_EQ(*synchronous_in(*w, Commit::deferred), 1);
}

TEST_F(WriterTest, ABatchWithOneDurableTaskIsDurableForAll) {
  auto w = open_writer_with(true);
  // Hold a first batch (a lone caller's) until two more tasks are queued,
  // so that those two share the next batch, which the writer thread runs.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> holding{false};
  auto held = std::async(std::launch::async, [&] {
    return w->run([&](Database&) -> Status {
      holding = true;
      released.wait();
      return {};
    });
  });
  bool first_running = wait_until([&] { return holding.load(); });
  auto deferred =
      std::async(std::launch::async, [&] { return synchronous_in(*w, Commit::deferred); });
  auto durable =
      std::async(std::launch::async, [&] { return synchronous_in(*w, Commit::durable); });
  bool both_queued = wait_until([&] { return w->queued() == 2; });
  release.set_value();  // before any assertion, so that no thread is left waiting
  ASSERT_TRUE(first_running);
  ASSERT_TRUE(both_queued) << "the two tasks were not queued behind the first";
  EXPECT_TRUE(held.get().ok());
  EXPECT_EQ(*deferred.get(), 2) << "a deferred task's batch holds a durable one";
  EXPECT_EQ(*durable.get(), 2);
}

TEST_F(WriterTest, ALoneCallerRunsItsTaskOnItsOwnThread) {
  auto w = open_writer_with(true);
  std::thread::id ran_on;
  ASSERT_TRUE(w->run([&](Database&) -> Status {
                 ran_on = std::this_thread::get_id();
                 return {};
               }).ok());
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST_F(WriterTest, StopsWhenALoneCallerFinishesDuringItsDestruction) {
  auto w = open_writer_with(true);
  Writer* writer = w.get();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> running{false};
  std::thread caller([&] {
    Status s = writer->run([&](Database&) -> Status {
      running = true;
      released.wait();
      return {};
    });
    EXPECT_TRUE(s.ok());
  });
  bool lone_running = wait_until([&] { return running.load(); });
  std::promise<void> destroyed;
  auto gone = destroyed.get_future();
  std::thread destroyer([&] {
    w.reset();
    destroyed.set_value();
  });
  bool stopping = wait_until([&] { return writer->stopping(); });
  release.set_value();
  caller.join();
  bool stopped = gone.wait_for(10s) == std::future_status::ready;
  if (!stopped) {
    std::abort();  // the destructor hangs: no way to join it
  }
  destroyer.join();
  EXPECT_TRUE(lone_running);
  EXPECT_TRUE(stopping);
}

TEST_F(WriterTest, SyncNormalMakesEveryCommitDeferred) {
  auto w = open_writer_with(false);
  EXPECT_EQ(*synchronous_in(*w, Commit::durable), 1);
  EXPECT_EQ(*synchronous_in(*w, Commit::deferred), 1);
}

TEST_F(WriterTest, DeferredCommitsAreVisibleAndSurviveReopening) {
  {
    auto w = open_writer_with(true);
    ASSERT_TRUE(w->run([](Database& db) { return db.run("CREATE TABLE t(x)"); }).ok());
    ASSERT_TRUE(
        w->run([](Database& db) { return db.run("INSERT INTO t VALUES (1)"); }, Commit::deferred)
            .ok());
  }
  auto w = open_writer_with(true);
  auto n = w->run_for<int>([](Database& db) -> Result<int> {
    Query q = db.query("SELECT count(*) FROM t");
    FNQ_TRY_ASSIGN(bool row, q.step());
    return row ? q.int32(0) : 0;
  });
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 1);
}

// post(): the task runs in a batch of the writer's thread, and its done is
// called there once the batch is committed: what it wrote is visible to a
// new connection by then.
TEST_F(WriterTest, APostedTaskIsAnsweredAfterItsCommitOnTheWritersThread) {
  auto w = open_writer_with(true);
  ASSERT_TRUE(w->run([](Database& db) { return db.run("CREATE TABLE t (v INTEGER)"); }).ok());
  std::promise<std::pair<Status, std::thread::id>> answered;
  std::atomic<int> rows_seen{-1};
  std::string path = m_dir.file("fnq.db");
  w->post([](Database& db) { return db.run("INSERT INTO t VALUES (7)"); },
          [&](Status s) {
            SqliteOptions opts;
            opts.path = path;
            auto reader = open_reader(opts);
            if (reader.ok()) {
              Query q = reader->query("SELECT count(*) FROM t");
              auto row = q.step();
              rows_seen = row.ok() && *row ? q.int32(0) : -2;
            }
            answered.set_value({std::move(s), std::this_thread::get_id()});
          });
  auto f = answered.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  auto [status, thread] = f.get();
  EXPECT_TRUE(status.ok());
  EXPECT_NE(thread, std::this_thread::get_id());
  EXPECT_EQ(rows_seen.load(), 1);
}

TEST_F(WriterTest, APostedTaskThatFailsIsRolledBackAndSaysWhy) {
  auto w = open_writer_with(true);
  ASSERT_TRUE(w->run([](Database& db) { return db.run("CREATE TABLE t (v INTEGER)"); }).ok());
  std::promise<Status> answered;
  w->post(
      [](Database& db) -> Status {
        FNQ_TRY(db.run("INSERT INTO t VALUES (1)"));
        return make_error(ErrorKind::conflict, "no");
      },
      [&](Status s) { answered.set_value(std::move(s)); });
  Status s = answered.get_future().get();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::conflict);
  auto n = w->run_for<int>([](Database& db) -> Result<int> {
    Query q = db.query("SELECT count(*) FROM t");
    FNQ_TRY(q.step());
    return q.int32(0);
  });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0) << "the failed task's row was committed";
}

TEST_F(WriterTest, PostingToAStoppedWriterAnswersAtOnce) {
  auto w = open_writer_with(true);
  (void)w->stop();
  bool ran = false;
  std::optional<Status> got;
  w->post(
      [&](Database&) -> Status {
        ran = true;
        return {};
      },
      [&](Status s) { got = std::move(s); });
  EXPECT_FALSE(ran);
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().kind, ErrorKind::shutting_down);
}

// A batch of one task has no savepoint: its failure must still undo it.
TEST_F(WriterTest, ALoneTaskThatFailsLeavesNothingBehind) {
  auto w = open_writer_with(true);
  ASSERT_TRUE(w->run([](Database& db) { return db.run("CREATE TABLE t (v INTEGER)"); }).ok());
  Status failed = w->run([](Database& db) -> Status {
    FNQ_TRY(db.run("INSERT INTO t VALUES (1)"));
    return make_error(ErrorKind::invalid_input, "refused");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "refused");
  ASSERT_TRUE(w->run([](Database& db) { return db.run("INSERT INTO t VALUES (2)"); }).ok());
  auto sum = w->run_for<int>([](Database& db) -> Result<int> {
    Query q = db.query("SELECT coalesce(sum(v), 0) FROM t");
    FNQ_TRY(q.step());
    return q.int32(0);
  });
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, 2);
}

}  // namespace
}  // namespace fnq::test
