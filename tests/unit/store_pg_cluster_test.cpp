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
#include "daemon/store/pg/pg_pool.h"

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
  // A lease that a has beaten through (see AHostRescuesNothingUntilItHasBeatenForALease).
  auto report = a().maintain(Millis(1));
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->retried, std::vector<std::string>{retried.call.id});
  std::vector<std::string> failed{last, dependent};
  EXPECT_EQ(report->failed, failed);
  Call again = get(retried.call.id);
  EXPECT_EQ(again.state, CallState::queued);
  EXPECT_EQ(again.attempt, 1);           // the rescued attempt counts
  ASSERT_EQ(again.attempts.size(), 1u);  // and is kept in its history
  EXPECT_EQ(again.attempts[0].state, CallState::failed);
  EXPECT_EQ(again.attempts[0].error,
            std::optional<std::string>("host b stopped responding while running"));
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
  EXPECT_TRUE(a().maintain(Millis(1))->retried.empty());  // a does not
  auto rescued = b->maintain(Millis(1));
  ASSERT_TRUE(rescued.ok()) << rescued.error().message;
  EXPECT_EQ(rescued->retried.size() + rescued->failed.size(), 1u);
  sql("UPDATE cluster_leader SET expires_at = 0");
  EXPECT_TRUE(a().maintain(Millis(30'000)).ok());  // a takes over
}

// After a database outage longer than the lease, every heartbeat is old:
// the first host back must not take the others' calls for that silence.
TEST_P(PgClusterTest, AHostRescuesNothingUntilItHasBeatenForALease) {
  auto b = host("b");
  submit_id();
  ASSERT_EQ(b->claim(k_t0, 1, {})->size(), 1u);
  sql("UPDATE hosts SET heartbeat_at = 0 WHERE name = 'b'");
  auto fresh = host("fresh");  // leads: no other host has taken the row
  auto first = fresh->maintain(Millis(30'000));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->retried.empty() && first->failed.empty());
  auto second = fresh->maintain(Millis(30'000));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->retried.empty() && second->failed.empty());  // beaten for less than the lease
  // Beaten for longer than a lease of 1 ms (all three passes may take less).
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto later = fresh->maintain(Millis(1));
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(later->failed.size(), 1u);  // no retries left
}

// A claim whose COMMIT took effect while its connection broke: the call
// runs here as far as the database knows, but this host never started it.
TEST_P(PgClusterTest, ACallClaimedHereButNeverStartedIsQueuedAgain) {
  std::string started = submit_id();
  std::string lost = submit_id();
  ASSERT_EQ(claim(k_t0, 1).size(), 1u);  // started: this host knows it
  sql("UPDATE calls SET state = 'running', attempt = 1, started_at = 1, host = '" +
      std::string(k_test_host) + "' WHERE id = '" + lost + "'");
  auto report = a().maintain(Millis(30'000));
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->retried, std::vector<std::string>{lost});
  Call again = get(lost);
  EXPECT_EQ(again.state, CallState::queued);
  EXPECT_EQ(again.attempt, 0);  // it never ran
  EXPECT_EQ(get(started).state, CallState::running);
  EXPECT_TRUE(a().maintain(Millis(30'000))->retried.empty());
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

TEST_P(PgClusterTest, ConnectionAttemptsBackOffWhileTheServerIsAway) {
  auto now = std::chrono::steady_clock::time_point() + std::chrono::hours(1);
  pg::Pool pool("host=" + m_dir.path() + " port=1 user=postgres dbname=x connect_timeout=2", 2,
                [&] { return now; });
  auto tried = pool.acquire();
  ASSERT_FALSE(tried.ok());
  EXPECT_EQ(tried.error().kind, ErrorKind::unavailable);
  EXPECT_NE(tried.error().message.find("cannot connect to PostgreSQL"), std::string::npos);
  // No new attempt until the backoff has passed; the answer says why, and when.
  auto waiting = pool.acquire();
  ASSERT_FALSE(waiting.ok());
  EXPECT_EQ(waiting.error().kind, ErrorKind::unavailable);
  EXPECT_NE(waiting.error().message.find("cannot connect to PostgreSQL"), std::string::npos);
  EXPECT_NE(waiting.error().message.find("trying again in 50 ms"), std::string::npos)
      << waiting.error().message;
  now += std::chrono::milliseconds(50);
  ASSERT_FALSE(pool.acquire().ok());  // tried, failed: the wait doubles
  EXPECT_NE(pool.acquire().error().message.find("trying again in 100 ms"), std::string::npos);
  for (int i = 0; i < 8; ++i) {
    now += pg::Pool::k_max_backoff;
    ASSERT_FALSE(pool.acquire().ok());
  }
  EXPECT_NE(pool.acquire().error().message.find("trying again in 1000 ms"), std::string::npos);
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
