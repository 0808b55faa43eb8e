// Opening a database: what is refused, what is kept, locking, disk full,
// and that the hot statements use indexes.
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>

#include "daemon/store/queries.h"
#include "daemon/store/schema.h"
#include "store_test_fixture.h"

namespace fnq::test {
namespace {

// Direct access to a database file, as another program would have.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &m_db), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(m_db); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql;
    sqlite3_free(err);
  }
  std::vector<std::string> column(const std::string& sql, int index = 0) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(m_db) << " in " << sql;
    std::vector<std::string> out;
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, index);
      out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* m_db = nullptr;
};

class OpenTest : public ::testing::Test {
 protected:
  SqliteOptions options() const {
    SqliteOptions opts;
    opts.path = m_dir.file("fnq.db");
    opts.readers = 1;
    return opts;
  }
  Error open_error() {
    auto store = open_sqlite_store(options());
    EXPECT_FALSE(store.ok());
    return store.ok() ? Error{} : store.error();
  }
  // Creates an fnq database and closes it, checkpointed.
  void create_fnq_db() {
    ASSERT_TRUE(open_sqlite_store(options()).ok());
    RawDb(options().path).exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  TempDir m_dir;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(OpenTest, NewDatabaseGetsSchemaVersionAndApplicationId) {
  create_fnq_db();
  RawDb raw(options().path);
  EXPECT_EQ(raw.column("PRAGMA application_id"), std::vector<std::string>{"1718513920"});
  EXPECT_EQ(raw.column("PRAGMA user_version"),
            std::vector<std::string>{std::to_string(schema_migrations().size())});
  EXPECT_EQ(raw.column("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
}

TEST_F(OpenTest, EmptyExistingFileIsANewDatabase) {
  write_file(options().path, "");
  EXPECT_TRUE(open_sqlite_store(options()).ok());
}

TEST_F(OpenTest, ReopenKeepsData) {
  std::string id;
  {
    auto store = open_sqlite_store(options());
    ASSERT_TRUE(store.ok()) << store.error().message;
    Function f;
    f.name = "fn";
    f.command = {"cat"};
    ASSERT_TRUE((*store)->put_function(f).ok());
    NewCall nc = make_call("fn", "kept");
    id = nc.call.id;
    ASSERT_TRUE((*store)->submit({nc}).ok());
  }
  auto store = open_sqlite_store(options());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->get_call(id)->state, CallState::queued);
  EXPECT_EQ((*store)->get_input(id).value(), "kept");
  EXPECT_EQ((*store)->get_function("fn")->command, std::vector<std::string>{"cat"});
}

TEST_F(OpenTest, RefusesAFileThatIsNotSqlite) {
  write_file(options().path, std::string(4096, 'x'));
  Error e = open_error();
  EXPECT_EQ(e.message, options().path + " is not an fnq database (not SQLite)");
  write_file(options().path, "tiny");
  EXPECT_TRUE(contains(open_error().message, "is not an fnq database"));
  EXPECT_EQ(read_file(options().path), "tiny");  // untouched
}

TEST_F(OpenTest, RefusesAnotherApplicationsTables) {
  RawDb(options().path).exec("CREATE TABLE photos (id INTEGER PRIMARY KEY)");
  Error e = open_error();
  EXPECT_EQ(e.kind, ErrorKind::invalid_input);
  EXPECT_TRUE(contains(e.message, "is not an fnq database")) << e.message;
  // Never repaired: the foreign table is still there and nothing was added.
  EXPECT_EQ(RawDb(options().path).column("SELECT name FROM sqlite_schema"),
            std::vector<std::string>{"photos"});
}

TEST_F(OpenTest, RefusesAnotherApplicationId) {
  RawDb(options().path).exec("PRAGMA application_id = 42");
  EXPECT_TRUE(contains(open_error().message, "is not an fnq database"));
}

TEST_F(OpenTest, RefusesANewerSchema) {
  create_fnq_db();
  RawDb(options().path).exec("PRAGMA user_version = 99");
  Error e = open_error();
  EXPECT_EQ(e.message, "database schema version 99 of " + options().path +
                           " is newer than this fnqd supports (" +
                           std::to_string(schema_migrations().size()) + "); upgrade fnqd");
}

TEST_F(OpenTest, RefusesACorruptDatabase) {
  create_fnq_db();
  {
    // Page 1 after the 100-byte file header holds the schema's b-tree.
    std::fstream f(options().path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    std::string junk(200, '\xff');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  Error e = open_error();
  EXPECT_EQ(e.kind, ErrorKind::io);
  EXPECT_TRUE(contains(e.message, "database " + options().path + " is corrupt")) << e.message;
}

TEST_F(OpenTest, SecondOpenIsRefusedWhileTheFirstHoldsTheLock) {
  auto first = open_sqlite_store(options());
  ASSERT_TRUE(first.ok()) << first.error().message;
  Error e = open_error();
  EXPECT_EQ(e.message, "database " + options().path + " is in use by another fnqd (pid " +
                           std::to_string(getpid()) + ")");
  first = make_error(ErrorKind::internal, "closed");  // closes the store
  EXPECT_TRUE(open_sqlite_store(options()).ok());
}

TEST_F(OpenTest, FullDiskIsReportedAsDiskFull) {
  SqliteOptions opts = options();
  opts.max_size_bytes = 256 * 1024;
  auto opened = open_sqlite_store(opts);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  Store& store = **opened;
  Function f;
  f.name = "fn";
  f.command = {"cat"};
  ASSERT_TRUE(store.put_function(f).ok());
  std::string kept_id;
  Error error;
  for (int i = 0; i < 100; ++i) {
    NewCall nc = make_call("fn", std::string(32 * 1024, 'x'));
    auto r = store.submit({nc});
    if (!r.ok()) {
      error = r.error();
      break;
    }
    kept_id = nc.call.id;
  }
  EXPECT_EQ(error.kind, ErrorKind::disk_full);
  EXPECT_EQ(error.message, "database is full: no space left on device");
  // What was committed before stays readable, and small writes still fit.
  ASSERT_FALSE(kept_id.empty());
  EXPECT_EQ(store.get_call(kept_id)->state, CallState::queued);
  EXPECT_TRUE(store.submit({make_call("fn")}).ok());
}

// The store must stay fast with a million calls: no statement on a hot path
// may scan the calls table or sort it.
TEST_F(OpenTest, HotQueriesUseIndexes) {
  create_fnq_db();
  RawDb raw(options().path);
  for (const auto& q : sql::k_hot_queries) {
    auto plan = raw.column(std::string("EXPLAIN QUERY PLAN ") + q.sql, 3);
    ASSERT_FALSE(plan.empty()) << q.name;
    std::string joined;
    for (const auto& step : plan) {
      joined += step + "; ";
      bool full_scan = step.rfind("SCAN calls", 0) == 0 && !contains(step, "USING");
      EXPECT_FALSE(full_scan) << q.name << ": " << step;
      // list_by_function merges one walk per state, each stopped after the
      // limit: it sorts at most 8 x limit IDs, never the table.
      if (std::string(q.name) != "list_by_function") {
        EXPECT_FALSE(contains(step, "TEMP B-TREE")) << q.name << ": " << step;
      }
    }
    std::string name = q.name;
    if (name == "claim") {
      EXPECT_TRUE(contains(joined, "calls_claim")) << joined;
    } else if (name == "promote_due" || name == "next_due") {
      EXPECT_TRUE(contains(joined, "calls_due")) << name << ": " << joined;
    } else if (name == "prunable") {
      EXPECT_TRUE(contains(joined, "calls_prune")) << joined;
    } else if (name == "due_callbacks" || name == "next_callback") {
      EXPECT_TRUE(contains(joined, "calls_callbacks")) << name << ": " << joined;
    } else if (name == "list_by_both") {
      EXPECT_TRUE(contains(joined, "calls_by_function_state")) << name << ": " << joined;
    } else if (name == "list_by_function") {
      // Each state's walk is a search of calls_by_function_state, then the
      // rows shown are read by their primary key.
      std::size_t walks = 0;
      for (const auto& step : plan) {
        walks += contains(step, "calls_by_function_state (function=? AND state=? AND id<?)");
      }
      EXPECT_EQ(walks, 8u) << joined;
    } else if (name == "running") {
      EXPECT_TRUE(contains(joined, "calls_by_state")) << name << ": " << joined;
    }
  }
}

TEST(CallStateNames, MatchTheStringsUsedInSql) {
  // The SQL (schema CHECK, partial indexes, queries) spells states out.
  EXPECT_STREQ(to_string(CallState::waiting), "waiting");
  EXPECT_STREQ(to_string(CallState::queued), "queued");
  EXPECT_STREQ(to_string(CallState::running), "running");
  EXPECT_STREQ(to_string(CallState::succeeded), "succeeded");
  EXPECT_STREQ(to_string(CallState::failed), "failed");
  EXPECT_STREQ(to_string(CallState::timed_out), "timed_out");
  EXPECT_STREQ(to_string(CallState::cancelled), "cancelled");
  EXPECT_STREQ(to_string(CallState::skipped), "skipped");
}

}  // namespace
}  // namespace fnq::test
