// PostgreSQL restarted (stopped hard, then started on the same port and
// data dir) under two fnqd while calls are being submitted and are running:
// fnqd answers 503 with a JSON error and /healthz is not 200 while the
// database is away, running calls keep running, and once it is back fnqd
// reconnects by itself and records their outcomes. Every acknowledged (202)
// submit runs, exactly once.
//
// At-least-once would allow one kind of rerun: a call whose host stays
// silent for longer than the lease while the database is up is rescued and
// run again elsewhere. A database outage is not such silence: every host was
// cut off alike, and no host rescues others before it has itself been
// connected for a whole lease again. The outage here outlasts the lease, so
// the test expects no rerun at all.
#ifdef FNQ_HAVE_POSTGRESQL
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "integration/fixture.h"
#include "support/pg_server.h"

namespace fnq::test {
namespace {

constexpr int k_hosts = 2;
constexpr auto k_lease = std::chrono::seconds(3);
const char* const k_token = "restart-test-token-0123456789abcdef";

// Submits calls of `function` through the hosts in turn until stopped,
// remembering what each answer was.
class Submitter {
 public:
  Submitter(std::vector<std::string> urls, std::string function)
      : m_urls(std::move(urls)), m_function(std::move(function)) {}
  ~Submitter() { stop(); }

  void start() {
    m_thread = std::thread([this] { run(); });
  }
  void stop() {
    m_stop = true;
    if (m_thread.joinable()) {
      m_thread.join();
    }
  }

  std::vector<std::string> acknowledged() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_acked;
  }
  std::size_t acknowledged_count() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_acked.size();
  }
  // The bodies of the 503 answers, and of any other unexpected answer.
  std::vector<std::string> unavailable() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_unavailable;
  }
  std::vector<std::string> unexpected() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_unexpected;
  }

 private:
  void run() {
    for (std::size_t n = 0; !m_stop; ++n) {
      httplib::Client c(m_urls[n % m_urls.size()]);
      c.set_read_timeout(std::chrono::seconds(30));
      c.set_bearer_token_auth(k_token);
      auto res = c.Post("/v1/calls", json{{"function", m_function}}.dump(), "application/json");
      note(res ? res->status : -1, res ? res->body : "");
      // Paced so that two hosts keep up: the backlog stays small.
      std::this_thread::sleep_for(std::chrono::milliseconds(120));
    }
  }

  void note(int status, const std::string& body) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (status == 202) {
      m_acked.push_back(json::parse(body, nullptr, false).value("id", ""));
    } else if (status == 503) {
      m_unavailable.push_back(body);
    } else if (status != -1) {  // -1: the connection broke; not acknowledged
      m_unexpected.push_back(std::to_string(status) + " " + body);
    }
  }

  std::vector<std::string> m_urls;
  std::string m_function;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
  std::mutex m_mutex;
  std::vector<std::string> m_acked;
  std::vector<std::string> m_unavailable;
  std::vector<std::string> m_unexpected;
};

class ClusterRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (pg_bin_dir().empty()) {
      GTEST_SKIP() << "no PostgreSQL server binaries for the tests";
    }
    std::string why;
    // A server of this test's own: it is crashed and started again. Its
    // commits are durable, as in production: an acknowledged submit must
    // survive the crash.
    m_server = PgServer::start(&why, /*durable=*/true);
    ASSERT_TRUE(m_server) << why;
    m_conninfo = m_server->create_database(&why);
    ASSERT_FALSE(m_conninfo.empty()) << why;
    write_file(m_dir.file("token"), std::string(k_token) + "\n");
    for (int i = 0; i < k_hosts; ++i) {
      m_hosts.push_back(std::make_unique<FnqdProcess>(
          m_dir.file("state" + std::to_string(i)),
          std::vector<std::string>{"--db", m_conninfo, "--host", "host" + std::to_string(i),
                                   "--lease", "3s", "--token-file", m_dir.file("token"),
                                   "--max-inflight", "4", "--kill-grace", "1s"}));
      ASSERT_TRUE(m_hosts.back()->start());
    }
  }

  void TearDown() override {
    for (auto& h : m_hosts) {
      if (HasFailure()) {
        std::fprintf(stderr, "---- %s log ----\n%s", h->log_path().c_str(), h->log().c_str());
      }
      if (h->pid() > 0) {
        h->stop();
      }
    }
    if (m_server) {
      m_server->stop("immediate");
    }
  }

  std::unique_ptr<httplib::Client> http(int i) {
    auto c = std::make_unique<httplib::Client>(m_hosts[static_cast<std::size_t>(i)]->url());
    c->set_read_timeout(std::chrono::seconds(30));
    c->set_bearer_token_auth(k_token);
    return c;
  }

  int healthz(int i) {
    auto res = http(i)->Get("/healthz");
    return res ? res->status : -1;
  }

  bool every_host_healthy(bool healthy) {
    for (int i = 0; i < k_hosts; ++i) {
      if ((healthz(i) == 200) != healthy) {
        return false;
      }
    }
    return true;
  }

  std::string state_of(const std::string& id) {
    auto res = http(1)->Get("/v1/calls/" + id);
    return res && res->status == 200
               ? json::parse(res->body, nullptr, false).value("state", std::string())
               : "";
  }

  // "ID ATTEMPT" lines the function appends when it starts.
  std::multimap<std::string, int> starts() {
    std::multimap<std::string, int> out;
    std::istringstream in(read_file(m_dir.file("started")));
    std::string id;
    int attempt = 0;
    while (in >> id >> attempt) {
      out.emplace(id, attempt);
    }
    return out;
  }

  std::set<std::string> finished() {
    std::istringstream in(read_file(m_dir.file("done")));
    std::set<std::string> out;
    std::string id;
    while (in >> id) {
      out.insert(id);
    }
    return out;
  }

  std::vector<std::string> urls() {
    std::vector<std::string> out;
    for (auto& h : m_hosts) {
      out.push_back(h->url());
    }
    return out;
  }

  TempDir m_dir;
  std::optional<PgServer> m_server;
  std::string m_conninfo;
  std::vector<std::unique_ptr<FnqdProcess>> m_hosts;
};

TEST_F(ClusterRestartTest, EveryAcknowledgedSubmitRunsOnceAcrossADatabaseRestart) {
  json f = {{"command",
             {"sh", "-c",
              "echo \"$FNQ_CALL_ID $FNQ_ATTEMPT\" >> " + m_dir.file("started") +
                  "; sleep 0.5; echo $FNQ_CALL_ID >> " + m_dir.file("done")}},
            {"max_retries", 2}};
  auto put = http(0)->Put("/v1/functions/work", f.dump(), "application/json");
  ASSERT_TRUE(put);
  ASSERT_LT(put->status, 300) << put->body;

  Submitter submitter(urls(), "work");
  submitter.start();
  ASSERT_TRUE(wait_until([&] { return starts().size() >= 4; }));

  // The database goes away hard, with calls running.
  m_server->stop("immediate", /*keep=*/true);
  auto stopped_at = std::chrono::steady_clock::now();
  std::set<std::string> running_then;
  for (const auto& [id, attempt] : starts()) {
    running_then.insert(id);
  }
  // Writes get 503 with a JSON error that says what is wrong.
  ASSERT_TRUE(
      wait_until([&] { return !submitter.unavailable().empty(); }, std::chrono::seconds(15)));
  json error = json::parse(submitter.unavailable().front(), nullptr, false);
  ASSERT_TRUE(error.is_object()) << submitter.unavailable().front();
  EXPECT_NE(error.value("error", "").find("PostgreSQL"), std::string::npos) << error.dump();
  EXPECT_TRUE(wait_until([&] { return every_host_healthy(false); }, std::chrono::seconds(10)));
  // Calls that were running finish without the database.
  EXPECT_TRUE(wait_until(
      [&] {
        std::set<std::string> done = finished();
        return std::includes(done.begin(), done.end(), running_then.begin(), running_then.end());
      },
      std::chrono::seconds(15)));
  EXPECT_NE(healthz(0), 200);
  // The outage outlasts the lease: no host may take it for another's silence.
  std::this_thread::sleep_until(stopped_at + k_lease + std::chrono::seconds(1));

  std::string why;
  ASSERT_TRUE(m_server->restart(&why)) << why;
  EXPECT_TRUE(wait_until([&] { return every_host_healthy(true); }, std::chrono::seconds(30)));
  std::size_t acked_before = submitter.acknowledged_count();
  EXPECT_TRUE(wait_until([&] { return submitter.acknowledged_count() >= acked_before + 5; },
                         std::chrono::seconds(30)));
  submitter.stop();
  EXPECT_EQ(submitter.unexpected(), std::vector<std::string>());

  // Every acknowledged call ends (its outcome recorded), and ran once.
  std::vector<std::string> acked = submitter.acknowledged();
  EXPECT_TRUE(wait_until(
      [&] {
        for (const std::string& id : acked) {
          if (state_of(id) != "succeeded") {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(120)));
  std::multimap<std::string, int> ran = starts();
  for (const std::string& id : acked) {
    EXPECT_EQ(ran.count(id), 1u) << id;
  }
  for (const auto& [id, attempt] : ran) {
    EXPECT_EQ(attempt, 1) << id;  // nothing was rerun, acknowledged or not
  }
}

}  // namespace
}  // namespace fnq::test
#endif
