// Three fnqd on one PostgreSQL database, each with its own state dir and
// port, sharing one token: calls submitted anywhere run once, somewhere;
// concurrency, idempotency, waits and cancels hold across hosts; a host
// killed with calls running has them rescued by the others.
#ifdef FNQ_HAVE_POSTGRESQL
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "integration/api_support.h"
#include "integration/fixture.h"
#include "support/pg_server.h"

namespace fnq::test {
namespace {

constexpr int k_hosts = 3;

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
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
    write_file(m_dir.file("token"), "cluster-test-token-0123456789abcdef\n");
    for (int i = 0; i < k_hosts; ++i) {
      ASSERT_TRUE(start_host(i));
    }
  }

  void TearDown() override {
    for (auto& h : m_hosts) {
      if (h && HasFailure()) {
        std::fprintf(stderr, "---- %s log ----\n%s", h->log_path().c_str(), h->log().c_str());
      }
      if (h && h->pid() > 0) {
        h->stop();
      }
    }
  }

  bool start_host(int i) {
    if (static_cast<int>(m_hosts.size()) <= i) {
      m_hosts.resize(static_cast<std::size_t>(i) + 1);
    }
    m_hosts[static_cast<std::size_t>(i)] = std::make_unique<FnqdProcess>(
        m_dir.file("state" + std::to_string(i)),
        std::vector<std::string>{"--db", m_conninfo, "--host", "host" + std::to_string(i),
                                 "--lease", "3s", "--token-file", m_dir.file("token"),
                                 "--max-inflight", "4", "--kill-grace", "1s"});
    return m_hosts[static_cast<std::size_t>(i)]->start();
  }

  FnqdProcess& host(int i) { return *m_hosts[static_cast<std::size_t>(i)]; }

  std::unique_ptr<httplib::Client> http(int i) {
    auto c = std::make_unique<httplib::Client>(host(i).url());
    c->set_tcp_nodelay(true);
    c->set_read_timeout(std::chrono::seconds(60));
    c->set_bearer_token_auth("cluster-test-token-0123456789abcdef");
    return c;
  }

  void put_function(const std::string& name, const std::vector<std::string>& command,
                    json extra = json::object()) {
    extra["command"] = command;
    auto res = http(0)->Put("/v1/functions/" + name, extra.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_LT(res->status, 300) << res->body;
  }

  std::string submit(int i, const std::string& function, json extra = json::object()) {
    extra["function"] = function;
    auto res = http(i)->Post("/v1/calls", extra.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) {
      return "";
    }
    EXPECT_TRUE(res->status == 202 || res->status == 200) << res->body;
    return json::parse(res->body, nullptr, false).value("id", "");
  }

  json call(int i, const std::string& id) {
    auto res = http(i)->Get("/v1/calls/" + id);
    json j = res && res->status == 200 ? json::parse(res->body, nullptr, false) : json();
    return j.is_object() ? j : json::object();
  }

  // Asked through host `through`.
  bool all_in_state(const std::vector<std::string>& ids, const std::string& state,
                    std::chrono::milliseconds deadline, int through = 0) {
    return wait_until(
        [&] {
          for (const auto& id : ids) {
            if (call(through, id).value("state", "") != state) {
              return false;
            }
          }
          return true;
        },
        deadline);
  }

  // Lines of a file the functions append to.
  std::vector<std::string> lines(const std::string& name) {
    std::istringstream in(read_file(m_dir.file(name)));
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      out.push_back(line);
    }
    return out;
  }

  // The host (index) whose fnqd is the parent process `ppid`, or -1.
  int host_of_pid(int ppid) {
    for (int i = 0; i < k_hosts; ++i) {
      if (m_hosts[static_cast<std::size_t>(i)] && host(i).pid() == ppid) {
        return i;
      }
    }
    return -1;
  }

  TempDir m_dir;
  std::string m_conninfo;
  std::vector<std::unique_ptr<FnqdProcess>> m_hosts;
};

TEST_F(ClusterTest, CallsSubmittedThroughEveryHostRunOnceEachAndEveryHostRunsSome) {
  put_function("record", {"sh", "-c", "echo \"$FNQ_CALL_ID $PPID\" >> " + m_dir.file("ran")});
  constexpr int k_calls = 2000;
  std::vector<std::string> ids;
  for (int n = 0; n < k_calls; ++n) {
    ids.push_back(submit(n % k_hosts, "record"));
    ASSERT_FALSE(ids.back().empty());
  }
  ASSERT_TRUE(wait_until([&] { return static_cast<int>(lines("ran").size()) >= k_calls; },
                         std::chrono::seconds(240)));
  EXPECT_TRUE(all_in_state(ids, "succeeded", std::chrono::seconds(60)));
  std::map<std::string, int> runs;
  std::set<int> hosts;
  for (const std::string& line : lines("ran")) {
    std::istringstream in(line);
    std::string id;
    int ppid = 0;
    in >> id >> ppid;
    ++runs[id];
    hosts.insert(host_of_pid(ppid));
  }
  EXPECT_EQ(static_cast<int>(runs.size()), k_calls);
  for (const std::string& id : ids) {
    EXPECT_EQ(runs[id], 1) << id;
  }
  EXPECT_EQ(hosts, (std::set<int>{0, 1, 2}));
}

TEST_F(ClusterTest, ConcurrencyOneNeverRunsTwiceAtOnceAcrossHosts) {
  std::string lock = m_dir.file("lock");
  put_function("single",
               {"sh", "-c",
                "mkdir " + lock + " || echo overlap >> " + m_dir.file("bad") +
                    "; sleep 0.05; rmdir " + lock},
               json{{"concurrency", 1}});
  std::vector<std::string> ids;
  for (int n = 0; n < 30; ++n) {
    ids.push_back(submit(n % k_hosts, "single"));
  }
  EXPECT_TRUE(all_in_state(ids, "succeeded", std::chrono::seconds(120)));
  EXPECT_EQ(read_file(m_dir.file("bad")), "");
}

TEST_F(ClusterTest, OneIdempotencyKeyMakesOneCallWhicheverHostsGetIt) {
  put_function("keyed", {"true"});
  std::vector<std::string> ids(20);
  std::vector<std::thread> threads;
  for (int n = 0; n < 20; ++n) {
    threads.emplace_back([&, n] {
      ids[static_cast<std::size_t>(n)] = submit(n % k_hosts, "keyed", json{{"key", "once"}});
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
}

TEST_F(ClusterTest, AWaitOnOneHostIsWokenByAFinishOnAnother) {
  std::string go = m_dir.file("go");
  // It says which host runs it, waits to be let go, and says when it ended
  // (wall clock, nanoseconds).
  put_function("gated", {"sh", "-c",
                         "echo $PPID > " + m_dir.file("ppid") + "; while [ ! -f " + go +
                             " ]; do sleep 0.02; done; date +%s%N > " + m_dir.file("ended")});
  std::string id = submit(0, "gated");
  ASSERT_TRUE(wait_until([&] {
    std::string ppid = read_file(m_dir.file("ppid"));
    return !ppid.empty() && ppid.back() == '\n';
  }));
  int runner = host_of_pid(std::stoi(read_file(m_dir.file("ppid"))));
  ASSERT_GE(runner, 0);
  // Through a host that is not running it: only the other host's finish can wake it.
  int through = (runner + 1) % k_hosts;
  ASSERT_NE(host(through).pid(), host(runner).pid());
  std::atomic<bool> answered{false};
  std::chrono::system_clock::time_point answered_at;
  std::string state;
  std::thread waiter([&] {
    auto res = http(through)->Get("/v1/calls/" + id + "?wait=30s");
    answered_at = std::chrono::system_clock::now();
    state = res ? json::parse(res->body, nullptr, false).value("state", "") : "";
    answered = true;
  });
  // The wait has begun, and does not answer before the call ends.
  ASSERT_TRUE(wait_until([&] {
    auto res = http(through)->Get("/metrics");
    return res && res->body.find("\nfnq_waiters 1\n") != std::string::npos;
  }));
  EXPECT_FALSE(answered.load());
  write_file(go, "");
  waiter.join();
  EXPECT_EQ(state, "succeeded");
  std::string ended = read_file(m_dir.file("ended"));
  ASSERT_FALSE(ended.empty());
  std::chrono::system_clock::time_point ended_at{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(std::stoll(ended)))};
  // Woken within a second of the call's process ending on the other host.
  EXPECT_LT(answered_at - ended_at, std::chrono::seconds(1));
  EXPECT_GT(answered_at - ended_at, std::chrono::milliseconds(-100));
}

TEST_F(ClusterTest, ACancelThroughOneHostStopsTheCallRunningOnAnother) {
  std::string marker = "fnq-cluster-cancel-" + std::to_string(::getpid());
  // The marker is in sh's command line, so the process can be found.
  put_function("long",
               {"sh", "-c", "echo $PPID > " + m_dir.file("ppid") + "; sleep 60; : " + marker});
  std::string id = submit(0, "long");
  ASSERT_TRUE(wait_until([&] { return !read_file(m_dir.file("ppid")).empty(); }));
  int runner = host_of_pid(std::stoi(read_file(m_dir.file("ppid"))));
  ASSERT_GE(runner, 0);
  ASSERT_FALSE(live_processes_matching(marker).empty());
  int other = (runner + 1) % k_hosts;
  auto res = http(other)->Post("/v1/calls/" + id + "/cancel", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_LT(res->status, 300) << res->body;
  EXPECT_TRUE(
      wait_until([&] { return live_processes_matching(marker).empty(); }, std::chrono::seconds(3)));
  EXPECT_TRUE(wait_until([&] { return call(other, id).value("state", "") == "cancelled"; },
                         std::chrono::seconds(5)));
}

TEST_F(ClusterTest, CallsOfAKilledHostAreRescuedAndRunToCompletion) {
  put_function("slow",
               {"sh", "-c",
                "echo \"$FNQ_CALL_ID $PPID\" >> " + m_dir.file("started") +
                    "; sleep 1; echo $FNQ_CALL_ID >> " + m_dir.file("done")},
               json{{"max_retries", 2}});
  std::vector<std::string> ids;
  for (int n = 0; n < 12; ++n) {
    ids.push_back(submit(n % k_hosts, "slow"));
  }
  // Wait until host 0 runs some, then kill it.
  ASSERT_TRUE(wait_until([&] {
    for (const std::string& line : lines("started")) {
      std::istringstream in(line);
      std::string id;
      int ppid = 0;
      in >> id >> ppid;
      if (host_of_pid(ppid) == 0) {
        return true;
      }
    }
    return false;
  }));
  auto killed_at = std::chrono::steady_clock::now();
  host(0).kill_hard();
  // Lease 3s, checked every second: well within 15s.
  EXPECT_TRUE(all_in_state(ids, "succeeded", std::chrono::seconds(30), 1));
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, std::chrono::seconds(30));
  std::set<std::string> done;
  for (const std::string& line : lines("done")) {
    done.insert(line);
  }
  EXPECT_EQ(done.size(), ids.size());
}

TEST_F(ClusterTest, APausedHostsLateResultIsIgnoredAndItsProcessKilled) {
  std::string marker = "fnq-cluster-pause-" + std::to_string(::getpid());
  // The first attempt hangs; the rescuer's attempt finishes at once.
  put_function("paused",
               {"sh", "-c",
                "echo \"$FNQ_ATTEMPT $PPID\" >> " + m_dir.file("started") +
                    "; if [ \"$FNQ_ATTEMPT\" = 1 ]; then sleep 60; fi; echo \"$PPID\" >> " +
                    m_dir.file("done") + "; : " + marker},
               json{{"max_retries", 2}});
  std::string id = submit(0, "paused");
  ASSERT_TRUE(wait_until([&] { return lines("started").size() == 1; }));
  int ppid = 0;
  std::istringstream(lines("started")[0].substr(2)) >> ppid;
  int stale = host_of_pid(ppid);
  ASSERT_GE(stale, 0);
  ASSERT_EQ(::kill(host(stale).pid(), SIGSTOP), 0);
  // Past the lease (3s) another host reruns it to the end.
  bool rescued =
      wait_until([&] { return call((stale + 1) % k_hosts, id).value("state", "") == "succeeded"; },
                 std::chrono::seconds(30));
  ASSERT_EQ(::kill(host(stale).pid(), SIGCONT), 0);
  ASSERT_TRUE(rescued);
  json done = call((stale + 1) % k_hosts, id);
  EXPECT_EQ(done.value("attempt", 0), 2);
  // The stale host kills its attempt's process group, and its result changes nothing.
  EXPECT_TRUE(
      wait_until([&] { return live_processes_matching(marker).empty(); }, std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  json after = call(stale, id);
  EXPECT_EQ(after.value("state", ""), "succeeded");
  EXPECT_EQ(after.value("attempt", 0), 2);
  EXPECT_EQ(lines("done").size(), 1u);
}

// On PostgreSQL too, the HTTP loop takes plain submits (the store writes
// them on its own threads, in shared transactions): pipelined on one
// connection to each host, each is answered in order, stored once and run.
TEST_F(ClusterTest, SubmitsTakenByEachHostsLoopAreAnsweredInOrderAndRun) {
  put_function("quick", {"cat"});
  const std::string auth = "Authorization: Bearer cluster-test-token-0123456789abcdef\r\n";
  auto post = [&](const std::string& target, const std::string& body) {
    return "POST " + target + " HTTP/1.1\r\nHost: fnq\r\n" + auth +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  std::map<std::string, std::string> inputs;  // id -> input
  for (int i = 0; i < k_hosts; ++i) {
    RawHttp raw(host(i).url());
    std::string all;
    std::vector<std::string> sent;
    for (int n = 0; n < 10; ++n) {
      std::string input = "host" + std::to_string(i) + "-" + std::to_string(n);
      all += n % 2 ? post("/async-function/quick", input)
                   : post("/v1/calls", json{{"function", "quick"}, {"input", input}}.dump());
      sent.push_back(input);
    }
    ASSERT_TRUE(raw.send(all));
    for (const std::string& input : sent) {
      auto res = raw.read_response();
      ASSERT_TRUE(res) << input;
      ASSERT_EQ(res->status, 202) << input << ": " << res->body;
      std::string id = res->header("X-Call-Id");
      ASSERT_FALSE(id.empty()) << input;
      inputs[id] = input;
    }
    // The loop took them: each it could check without waiting (a function
    // whose cached definition another thread holds at that moment, as the
    // scheduler does while it starts calls, is left to a worker and
    // answered the same).
    auto metrics = http(i)->Get("/metrics");
    ASSERT_TRUE(metrics);
    std::smatch taken;
    ASSERT_TRUE(std::regex_search(metrics->body, taken,
                                  std::regex("\nfnq_http_loop_answers_total ([0-9]+)\n")))
        << metrics->body;
    EXPECT_GE(std::stoi(taken[1]), 1) << metrics->body;
    EXPECT_LE(std::stoi(taken[1]), 10) << metrics->body;
  }
  ASSERT_EQ(inputs.size(), static_cast<std::size_t>(k_hosts * 10));
  std::vector<std::string> ids;
  for (const auto& [id, input] : inputs) {
    ids.push_back(id);
  }
  ASSERT_TRUE(all_in_state(ids, "succeeded", std::chrono::seconds(30)));
  for (const auto& [id, input] : inputs) {
    auto out = http(static_cast<int>(ids.size() % k_hosts))->Get("/v1/calls/" + id + "/output");
    ASSERT_TRUE(out);
    EXPECT_EQ(out->body, input) << id;  // each answer names its own request's call
  }
}

TEST_F(ClusterTest, EachHostsMetricsNameTheHostAndPassPromtool) {
  put_function("quick", {"true"});
  std::vector<std::string> ids;
  for (int n = 0; n < 6; ++n) {
    ids.push_back(submit(n % k_hosts, "quick"));
  }
  ASSERT_TRUE(all_in_state(ids, "succeeded", std::chrono::seconds(30)));
  bool promtool = run_program({"sh", "-c", "command -v promtool"}).exit_code == 0;
  for (int i = 0; i < k_hosts; ++i) {
    auto res = http(i)->Get("/metrics");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    const std::string& text = res->body;
    std::string info = "\nfnq_host_info{host=\"host" + std::to_string(i) + "\"} 1\n";
    EXPECT_NE(text.find(info), std::string::npos) << text;
    EXPECT_EQ(text.find("fnq_host_info{", text.find(info) + info.size()), std::string::npos)
        << text;
    // Stored calls are the cluster's: every host counts all six.
    EXPECT_NE(text.find("fnq_calls{function=\"quick\",state=\"succeeded\"} 6\n"), std::string::npos)
        << text;
    if (promtool) {
      RunResult check = run_program({"promtool", "check", "metrics"}, text);
      EXPECT_EQ(check.exit_code, 0) << check.out << check.err << "\n" << text;
      EXPECT_EQ(check.out + check.err, "") << "promtool has remarks";
    }
  }
}

}  // namespace
}  // namespace fnq::test
#endif
