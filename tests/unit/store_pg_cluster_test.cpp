// PostgreSQL only: several hosts on one database. Claims record the host,
// outcomes are fenced by host and attempt, concurrency and idempotency hold
// across hosts, silent hosts' calls are rescued by the leader, lost and
// remotely cancelled calls are reported, notifications reach other hosts,
// foreign or newer schemas are refused, and a lost connection is
// `unavailable` and a lost one re-established.
#include <atomic>
#include <set>
#include <thread>

#include "store_test_fixture.h"

#ifdef FNQ_HAVE_POSTGRESQL
#include "daemon/store/pg/pg.h"

namespace fnq::test {
namespace {

class PgClusterTest : public StoreTest {
 protected:
  ClusterStore& a() { return static_cast<ClusterStore&>(*m_store); }
  std::unique_ptr<ClusterStore> host(const std::string& name) {
    auto store = open_pg_or_die(name);
    return std::unique_ptr<ClusterStore>(static_cast<ClusterStore*>(store.release()));
  }
  void sql(const std::string& statement) {
    auto conn = pg::Connection::open(m_conninfo);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    auto done = conn->run(statement);
    ASSERT_TRUE(done.ok()) << done.error().message;
  }
  void add_limited(const std::string& name, int concurrency) {
    Function f;
    f.name = name;
    f.command = {"cat"};
    f.concurrency = concurrency;
    ASSERT_TRUE(m_store->put_function(f).ok());
  }
};
INSTANTIATE_TEST_SUITE_P(Backends, PgClusterTest, ::testing::Values(Backend::postgresql),
                         backend_name);

TEST_P(PgClusterTest, AnOutcomeIsAppliedOnlyByTheClaimingHost) {
  auto b = host("b");
  std::string id = submit_id();
  auto claimed = claim();
  ASSERT_EQ(claimed.size(), 1u);
  auto by_b = b->finish({outcome(id, 1, CallState::succeeded)});
  ASSERT_TRUE(by_b.ok()) << by_b.error().message;
  EXPECT_FALSE(by_b->at(0).applied);
  EXPECT_EQ(get(id).state, CallState::running);
  EXPECT_TRUE(finish(outcome(id, 1, CallState::succeeded)).applied);
  EXPECT_FALSE(b->requeue(id, 1).ok());
}

TEST_P(PgClusterTest, ConcurrencyHoldsAcrossHosts) {
  add_limited("one", 1);
  auto b = host("b");
  std::string first = submit_id("one");
  submit_id("one");
  std::string plain = submit_id("fn");
  auto on_a = claim(k_t0, 1);
  ASSERT_EQ(on_a.size(), 1u);
  EXPECT_EQ(on_a[0].call.id, first);
  // b skips the limited function's second call and takes the next one.
  auto on_b = b->claim(k_t0, 10, {});
  ASSERT_TRUE(on_b.ok());
  ASSERT_EQ(on_b->size(), 1u);
  EXPECT_EQ(on_b->at(0).call.id, plain);
  EXPECT_TRUE(finish(outcome(first, 1, CallState::succeeded)).applied);
  auto next = b->claim(k_t0, 10, {});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->size(), 1u);
}

TEST_P(PgClusterTest, ConcurrentClaimersNeverExceedTheLimit) {
  add_limited("two", 2);
  for (int i = 0; i < 12; ++i) {
    submit_id("two");
  }
  std::vector<std::unique_ptr<ClusterStore>> hosts;
  for (int i = 0; i < 4; ++i) {
    hosts.push_back(host("h" + std::to_string(i)));
  }
  std::atomic<int> claimed{0};
  std::vector<std::thread> threads;
  for (auto& h : hosts) {
    threads.emplace_back([&, store = h.get()] {
      for (int round = 0; round < 5; ++round) {
        auto r = store->claim(k_t0, 3, {});
        if (r.ok()) {
          claimed += static_cast<int>(r->size());
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(claimed.load(), 2);
  EXPECT_EQ(m_store->count_in_state(CallState::running).value(), 2);
}

TEST_P(PgClusterTest, OneKeyMakesOneCallWhicheverHostsSubmitIt) {
  std::vector<std::unique_ptr<ClusterStore>> hosts;
  for (int i = 0; i < 3; ++i) {
    hosts.push_back(host("k" + std::to_string(i)));
  }
  std::mutex mutex;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, store = hosts[static_cast<std::size_t>(i) % 3].get()] {
      NewCall nc = make_call();
      nc.call.key = "same";
      std::vector<NewCall> batch{nc};
      auto r = store->submit(std::move(batch));
      ASSERT_TRUE(r.ok()) << r.error().message;
      std::lock_guard<std::mutex> lock(mutex);
      ids.insert(r->at(0).call.id);
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(m_store->count_in_state(CallState::queued).value(), 1);
}

TEST_P(PgClusterTest, RecoveryAtStartTakesOnlyThisHostsCalls) {
  auto b = host("b");
  NewCall nc = make_call();
  nc.call.max_retries = 1;
  std::string mine = submit(nc).id;
  ASSERT_EQ(claim(k_t0, 1).size(), 1u);
  std::string theirs = submit_id();
  ASSERT_EQ(b->claim(k_t0, 1, {})->size(), 1u);
  auto report = m_store->recover_interrupted(k_t0 + 10);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->retried, std::vector<std::string>{mine});
  EXPECT_EQ(get(mine).state, CallState::queued);
  EXPECT_EQ(get(theirs).state, CallState::running);
}

TEST_P(PgClusterTest, TheLeaderRescuesTheCallsOfASilentHost) {
  auto b = host("b");
  NewCall retried = make_call();
  retried.call.max_retries = 1;
  submit(retried);
  std::string last = submit_id();
  std::string dependent = [&] {
    NewCall d = make_call();
    d.call.needs = {last};
    return submit(d).id;
  }();
  ASSERT_EQ(b->claim(k_t0, 10, {})->size(), 2u);
  // b is alive: nothing to rescue.
  auto quiet = a().maintain(Millis(30'000));
  ASSERT_TRUE(quiet.ok()) << quiet.error().message;
  EXPECT_TRUE(quiet->retried.empty());
  sql("UPDATE hosts SET heartbeat_at = 0 WHERE name = 'b'");
  auto report = a().maintain(Millis(30'000));
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->retried, std::vector<std::string>{retried.call.id});
  std::vector<std::string> failed{last, dependent};
  EXPECT_EQ(report->failed, failed);
  Call again = get(retried.call.id);
  EXPECT_EQ(again.state, CallState::queued);
  EXPECT_EQ(again.attempt, 1);  // the rescued attempt counts
  EXPECT_EQ(get(last).state, CallState::failed);
  EXPECT_EQ(get(dependent).state, CallState::skipped);
  // b learns it lost both; its late outcomes change nothing.
  auto lost = b->calls_to_stop();
  ASSERT_TRUE(lost.ok()) << lost.error().message;
  EXPECT_EQ(lost->size(), 2u);
  auto late = b->finish({outcome(retried.call.id, 1, CallState::succeeded)});
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->at(0).applied);
  EXPECT_EQ(get(retried.call.id).state, CallState::queued);
  EXPECT_EQ(b->calls_to_stop().value(), std::vector<std::string>{last});
}

TEST_P(PgClusterTest, OnlyOneHostLeadsWhileItsRowIsFresh) {
  auto b = host("b");
  auto c = host("c");
  submit_id();
  ASSERT_EQ(c->claim(k_t0, 1, {})->size(), 1u);
  ASSERT_TRUE(b->maintain(Millis(30'000)).ok());  // b leads
  sql("UPDATE hosts SET heartbeat_at = 0 WHERE name = 'c'");
  EXPECT_TRUE(a().maintain(Millis(30'000))->retried.empty());  // a does not
  auto rescued = b->maintain(Millis(30'000));
  ASSERT_TRUE(rescued.ok()) << rescued.error().message;
  EXPECT_EQ(rescued->retried.size() + rescued->failed.size(), 1u);
  sql("UPDATE cluster_leader SET expires_at = 0");
  EXPECT_TRUE(a().maintain(Millis(30'000)).ok());  // a takes over
}

TEST_P(PgClusterTest, ACancelOnAnotherHostReachesTheRunningHost) {
  auto b = host("b");
  std::string id = submit_id();
  ASSERT_EQ(b->claim(k_t0, 1, {})->size(), 1u);
  EXPECT_TRUE(b->calls_to_stop()->empty());
  std::vector<std::string> terminal;
  EXPECT_EQ(m_store->cancel(id, k_t0, &terminal).value(), CancelResult::running);
  EXPECT_EQ(b->calls_to_stop().value(), std::vector<std::string>{id});
  auto cancelled = b->finish({outcome(id, 1, CallState::cancelled)});
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(cancelled->at(0).applied);
  EXPECT_TRUE(b->calls_to_stop()->empty());
}

TEST_P(PgClusterTest, NotificationsReachOtherHosts) {
  auto b = host("b");
  ASSERT_TRUE(b->wait_for_notification(Millis(0)).ok());  // now listening
  std::string id = submit_id();
  auto work = b->wait_for_notification(Millis(5000));
  ASSERT_TRUE(work.ok()) << work.error().message;
  EXPECT_TRUE(work->any);
  ASSERT_EQ(claim(k_t0, 1).size(), 1u);
  finish(outcome(id, 1, CallState::succeeded));
  std::vector<std::string> seen;
  for (int i = 0; i < 10 && seen.empty(); ++i) {
    auto n = b->wait_for_notification(Millis(500));
    ASSERT_TRUE(n.ok());
    seen = n->terminal_ids;
  }
  EXPECT_EQ(seen, std::vector<std::string>{id});
  EXPECT_EQ(b->terminal_among({id, "nope"}).value(), std::vector<std::string>{id});
}

TEST_P(PgClusterTest, AnotherApplicationsDatabaseIsRefused) {
  std::string why;
  std::string other = PgServer::shared(&why)->create_database(&why);
  auto conn = pg::Connection::open(other);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn->run("CREATE TABLE accounts (id integer)").ok());
  PgOptions opts;
  opts.conninfo = other;
  opts.host = "x";
  auto store = open_postgresql_store(opts);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("not an fnq database"), std::string::npos)
      << store.error().message;
}

TEST_P(PgClusterTest, ANewerSchemaIsRefused) {
  sql("UPDATE fnq_schema SET version = 99");
  PgOptions opts;
  opts.conninfo = m_conninfo;
  opts.host = "x";
  auto store = open_postgresql_store(opts);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("newer than this fnqd supports"), std::string::npos)
      << store.error().message;
}

TEST_P(PgClusterTest, AnUnreachableServerIsUnavailable) {
  PgOptions opts;
  opts.conninfo = "host=" + m_dir.path() + " port=1 user=postgres dbname=x connect_timeout=2";
  opts.host = "x";
  auto store = open_postgresql_store(opts);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::unavailable) << store.error().message;
}

TEST_P(PgClusterTest, ConnectionsLostToAServerRestartAreReestablished) {
  std::string id = submit_id();
  // As a restart does: every connection of the store is cut.
  sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      "current_database() AND pid <> pg_backend_pid()");
  for (int i = 0; i < 6; ++i) {
    auto c = m_store->get_call(id);
    ASSERT_TRUE(c.ok()) << c.error().message;
  }
  sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      "current_database() AND pid <> pg_backend_pid()");
  for (int i = 0; i < 6; ++i) {
    EXPECT_FALSE(submit_id().empty());
  }
}

}  // namespace
}  // namespace fnq::test
#endif
