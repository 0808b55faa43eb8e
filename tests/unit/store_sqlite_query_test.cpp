// The SQLite wrapper itself: parameters bound by name, rows collected by
// Query::collect and Query::each, and the connection state the store asks
// the wrapper for instead of calling the C API.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "daemon/store/sqlite.h"
#include "support/temp_dir.h"

namespace fnq::test {
namespace {

class SqliteQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(m_dir.file("t.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.error().message;
    m_db = std::move(db).value();
    ASSERT_TRUE(m_db.run("CREATE TABLE t (a INTEGER, b TEXT, c TEXT)").ok());
  }

  void insert(int a, const std::string& b, const std::string& c) {
    Query q = m_db.query("INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3)");
    q.bind(1, a).bind(2, b).bind(3, c);
    ASSERT_TRUE(q.run().ok());
  }

  Result<std::vector<int>> all_a() {
    Query q = m_db.query("SELECT a FROM t ORDER BY a");
    return q.collect([](const Query& row) { return row.int32(0); });
  }

  TempDir m_dir;
  Database m_db;
};

TEST_F(SqliteQueryTest, NamedParametersBindWhereverTheyStandInTheSql) {
  {
    Query q = m_db.query("INSERT INTO t (c, a, b) VALUES (:c, :a, :b || :a)");
    q.bind(":a", 7).bind(":b", std::string("x")).bind(":c", "z");
    ASSERT_TRUE(q.run().ok());
  }
  Query q = m_db.query("SELECT a, b, c FROM t");
  auto row = q.step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(q.int32(0), 7);
  EXPECT_EQ(q.text(1), "x7");  // a name used twice is one parameter
  EXPECT_EQ(q.text(2), "z");
}

TEST_F(SqliteQueryTest, NamedNullsAndOptionalsBindAsNull) {
  {
    Query q = m_db.query("INSERT INTO t (a, b, c) VALUES (:a, :b, :c)");
    q.bind(":a", 1).bind(":b", std::optional<std::string>()).bind_null(":c");
    ASSERT_TRUE(q.run().ok());
  }
  Query q = m_db.query("SELECT count(*) FROM t WHERE b IS NULL AND c IS NULL");
  ASSERT_TRUE(q.step().ok());
  EXPECT_EQ(q.int64(0), 1);
}

TEST_F(SqliteQueryTest, AnUnknownParameterNameFailsTheStatementAndNamesIt) {
  {
    Query q = m_db.query("INSERT INTO t (a) VALUES (:a)");
    q.bind(":a", 1).bind(":nope", 2);
    auto row = q.step();
    ASSERT_FALSE(row.ok());
    EXPECT_EQ(row.error().kind, ErrorKind::internal);
    EXPECT_NE(row.error().message.find(":nope"), std::string::npos) << row.error().message;
  }
  auto a = all_a();
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->empty());
}

TEST_F(SqliteQueryTest, CollectGivesEveryRowInOrder) {
  insert(2, "two", "b");
  insert(1, "one", "a");
  insert(3, "three", "c");
  Query q = m_db.query("SELECT b, c FROM t ORDER BY a");
  auto rows = q.collect([](const Query& row) { return std::make_pair(row.text(0), row.text(1)); });
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  std::vector<std::pair<std::string, std::string>> expected = {
      {"one", "a"}, {"two", "b"}, {"three", "c"}};
  EXPECT_EQ(*rows, expected);
}

TEST_F(SqliteQueryTest, CollectOfNoRowsIsEmpty) {
  auto a = all_a();
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->empty());
}

TEST_F(SqliteQueryTest, AFailingRowStopsCollectWithItsErrorAndTheStatementIsReusable) {
  for (int i = 1; i <= 4; ++i) {
    insert(i, "b", "c");
  }
  int seen = 0;
  {
    Query q = m_db.query("SELECT a FROM t ORDER BY a");
    auto rows = q.collect([&](const Query& row) -> Result<int> {
      ++seen;
      if (row.int32(0) == 2) {
        return make_error(ErrorKind::io, "row 2 is damaged");
      }
      return row.int32(0);
    });
    ASSERT_FALSE(rows.ok());
    EXPECT_EQ(rows.error().kind, ErrorKind::io);
    EXPECT_EQ(rows.error().message, "row 2 is damaged");
  }
  EXPECT_EQ(seen, 2);
  auto a = all_a();  // the same cached statement, from the start again
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(*a, (std::vector<int>{1, 2, 3, 4}));
}

TEST_F(SqliteQueryTest, CollectReportsAStatementThatCannotBePrepared) {
  Query q = m_db.query("SELECT a FROM no_such_table");
  auto rows = q.collect([](const Query& row) { return row.int32(0); });
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().kind, ErrorKind::internal);
  EXPECT_NE(rows.error().message.find("no_such_table"), std::string::npos);
}

TEST_F(SqliteQueryTest, EachVisitsEveryRowUntilAnError) {
  for (int i = 1; i <= 3; ++i) {
    insert(i, "b", "c");
  }
  int sum = 0;
  {
    Query q = m_db.query("SELECT a FROM t ORDER BY a");
    ASSERT_TRUE(q.each([&](const Query& row) { sum += row.int32(0); }).ok());
  }
  EXPECT_EQ(sum, 6);
  int seen = 0;
  Query q = m_db.query("SELECT a FROM t ORDER BY a");
  Status stopped = q.each([&](const Query&) -> Status {
    ++seen;
    return make_error(ErrorKind::conflict, "stop");
  });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().kind, ErrorKind::conflict);
  EXPECT_EQ(seen, 1);
}

TEST_F(SqliteQueryTest, ChangesCountsTheRowsOfTheLastWrite) {
  insert(1, "b", "c");
  insert(2, "b", "c");
  insert(3, "x", "c");
  Query q = m_db.query("UPDATE t SET c = 'd' WHERE b = 'b'");
  ASSERT_TRUE(q.run().ok());
  EXPECT_EQ(m_db.changes(), 2);
}

TEST_F(SqliteQueryTest, InTransactionFollowsBeginAndCommit) {
  EXPECT_FALSE(m_db.in_transaction());
  ASSERT_TRUE(m_db.run("BEGIN IMMEDIATE").ok());
  EXPECT_TRUE(m_db.in_transaction());
  ASSERT_TRUE(m_db.run("COMMIT").ok());
  EXPECT_FALSE(m_db.in_transaction());
}

}  // namespace
}  // namespace fnq::test
