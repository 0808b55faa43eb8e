#pragma once
// A fresh store per test, with two functions ("fn" and "other") and helpers
// to submit, claim and finish. Times are passed explicitly: nothing here
// sleeps or reads the clock.
//
// Every test runs on each backend (one set of tests, two stores): SQLite in
// its own temp directory, and PostgreSQL in a database of its own on the
// test server (support/pg_server.h). A suite opts in with
// FNQ_STORE_TEST_BACKENDS(Suite) and TEST_P.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/ids.h"
#include "daemon/store/pg_store.h"
#include "daemon/store/store.h"
#include "support/temp_dir.h"
#ifdef FNQ_HAVE_POSTGRESQL
#include "support/pg_server.h"
#endif

namespace fnq::test {

inline constexpr std::int64_t k_t0 = 1'700'000'000'000;  // a fixed "now"

// A call of `function` created (and runnable) at k_t0.
inline NewCall make_call(const std::string& function = "fn", std::string input = "") {
  NewCall nc;
  nc.call.id = new_call_id();
  nc.call.function = function;
  nc.call.created_at = k_t0;
  nc.call.run_at = k_t0;
  nc.input = std::move(input);
  return nc;
}

enum class Backend { sqlite, postgresql };

inline void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::sqlite ? "sqlite" : "postgresql");
}

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "sqlite" : "postgresql";
}

// The host name the PostgreSQL store claims as.
inline constexpr const char* k_test_host = "test-host";

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::postgresql) {
      ASSERT_NO_FATAL_FAILURE(open_postgresql());
      if (!m_store) {
        return;  // skipped
      }
    } else {
      m_store = open_or_die();
    }
    ASSERT_TRUE(m_store);
    add_function("fn");
    add_function("other");
  }

  void open_postgresql() {
#ifdef FNQ_HAVE_POSTGRESQL
    std::string why;
    const PgServer* server = PgServer::shared(&why);
    if (!server) {
      if (pg_bin_dir().empty()) {
        GTEST_SKIP() << "no PostgreSQL server for the tests: " << why;
      }
      FAIL() << "the PostgreSQL test server is not running: " << why;
    }
    m_conninfo = server->create_database(&why);
    ASSERT_FALSE(m_conninfo.empty()) << why;
    m_store = open_pg_or_die(k_test_host);
#else
    GTEST_SKIP() << "PostgreSQL support is not compiled in";
#endif
  }

  // Another store on the same PostgreSQL database, as another host.
  std::unique_ptr<Store> open_pg_or_die(const std::string& host) {
    PgOptions opts;
    opts.conninfo = m_conninfo;
    opts.host = host;
    opts.connections = 4;
    auto store = open_postgresql_store(opts);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  SqliteOptions options() const {
    SqliteOptions opts;
    opts.path = m_dir.file("fnq.db");
    opts.readers = 2;
    return opts;
  }

  std::unique_ptr<Store> open_or_die() {
    auto store = open_sqlite_store(options());
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  void add_function(const std::string& name) {
    Function f;
    f.name = name;
    f.command = {"cat"};
    auto created = m_store->put_function(f);
    ASSERT_TRUE(created.ok()) << created.error().message;
  }

  Call submit(NewCall nc) {
    std::vector<NewCall> batch;
    batch.push_back(std::move(nc));
    auto r = m_store->submit(std::move(batch));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value().at(0).call : Call{};
  }

  std::string submit_id(const std::string& function = "fn", std::string input = "") {
    return submit(make_call(function, std::move(input))).id;
  }

  Call get(const std::string& id) {
    auto c = m_store->get_call(id);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? c.value() : Call{};
  }

  std::vector<ClaimedCall> claim(std::int64_t now = k_t0, int limit = 100,
                                 const std::vector<std::string>& saturated = {}) {
    auto r = m_store->claim(now, limit, saturated);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : std::vector<ClaimedCall>{};
  }

  static AttemptOutcome outcome(const std::string& id, int attempt, CallState state,
                                std::string output = "", std::int64_t at = k_t0 + 1000) {
    AttemptOutcome o;
    o.id = id;
    o.attempt = attempt;
    o.state = state;
    o.exit_code = state == CallState::succeeded ? 0 : 1;
    if (state != CallState::succeeded) {
      o.error = "exit status 1";
    }
    o.output_size = output.size();
    o.output = std::move(output);
    o.finished_at = at;
    return o;
  }

  FinishResult finish(const AttemptOutcome& o) {
    auto r = m_store->finish({o});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value().at(0) : FinishResult{};
  }

  // Claims exactly the call `id` (it must be the only queued one) and ends it.
  FinishResult run_to(const std::string& id, CallState state, std::string output = "",
                      std::int64_t at = k_t0 + 1000) {
    auto claimed = claim(at - 1, 1);
    EXPECT_EQ(claimed.size(), 1u);
    if (claimed.size() != 1) {
      return {};
    }
    EXPECT_EQ(claimed[0].call.id, id);
    return finish(outcome(id, claimed[0].call.attempt, state, std::move(output), at));
  }

  TempDir m_dir;
  std::string m_conninfo;  // PostgreSQL only
  std::unique_ptr<Store> m_store;
};

#ifdef FNQ_HAVE_POSTGRESQL
#define FNQ_STORE_TEST_BACKEND_VALUES ::testing::Values(Backend::sqlite, Backend::postgresql)
#else
#define FNQ_STORE_TEST_BACKEND_VALUES ::testing::Values(Backend::sqlite)
#endif

// Runs every TEST_P of `suite` on each backend.
#define FNQ_STORE_TEST_BACKENDS(suite) \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, FNQ_STORE_TEST_BACKEND_VALUES, backend_name)

}  // namespace fnq::test
