// Crash under load, in the manner of Jepsen: client threads submit calls over
// HTTP while fnqd is killed with SIGKILL at random moments and restarted on
// the same state directory. Then a checker reads the store and the log the
// calls wrote, and verifies that nothing acknowledged was lost and that only
// calls running at a kill ran twice.
//
// FNQ_SOAK_ROUNDS (default 3) sets the number of kills; scripts/soak.sh runs
// it long. The figures of a run are printed on one line ("crash-load: ...").
#include <fcntl.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "integration/semantics.h"

namespace fnq::test {
namespace {

using CrashLoadTest = SemanticsTest;

constexpr int k_clients = 4;
constexpr int k_max_inflight = 8;
// Enough for a call to be interrupted by every kill of a long soak.
constexpr int k_retries = 1000;

int soak_rounds() {
  const char* v = std::getenv("FNQ_SOAK_ROUNDS");
  int n = v != nullptr ? std::atoi(v) : 0;
  return n > 0 ? n : 3;
}

// Where fnqd listens now; clients re-read it after every failure.
class Target {
 public:
  void set(std::string url) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_url = std::move(url);
  }
  std::string get() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_url;
  }

 private:
  mutable std::mutex m_mutex;
  std::string m_url;
};

struct Acked {
  std::mutex mutex;
  std::vector<std::string> ids;
  std::atomic<int> attempts{0};  // submits sent, acknowledged or not
};

// Submits calls until `stop`, one at a time, recording each 202's ID.
void client_loop(const Target& target, const std::string& token, const std::atomic<bool>& stop,
                 Acked& acked) {
  while (!stop) {
    httplib::Client client(target.get());
    client.set_bearer_token_auth(token);
    client.set_connection_timeout(std::chrono::seconds(2));
    client.set_read_timeout(std::chrono::seconds(10));
    while (!stop) {
      ++acked.attempts;
      auto res =
          client.Post("/v1/calls", R"({"function": "append", "input": ""})", "application/json");
      if (!res) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        break;  // fnqd is down: reconnect to wherever it comes back
      }
      if (res->status == 202) {
        auto id = json::parse(res->body, nullptr, false);
        if (!id.is_discarded() && id.contains("id")) {
          std::lock_guard<std::mutex> lock(acked.mutex);
          acked.ids.push_back(id["id"]);
        }
      }
    }
  }
}

struct StoredCall {
  std::string state;
  int attempt = 0;
};

// Every call in the store, read page by page.
std::map<std::string, StoredCall> all_calls(httplib::Client& client) {
  std::map<std::string, StoredCall> out;
  std::string before;
  for (;;) {
    auto res = client.Get("/v1/calls?limit=1000" + (before.empty() ? "" : "&before=" + before));
    if (!res || res->status != 200) {
      ADD_FAILURE() << "GET /v1/calls failed";
      return out;
    }
    json page = json::parse(res->body);
    for (const auto& c : page["calls"]) {
      out[c["id"]] = StoredCall{c["state"], c["attempt"]};
    }
    if (!page["next_before"].is_string()) {
      return out;
    }
    before = page["next_before"];
  }
}

// (call ID, attempt) per line of the log the function appends to.
std::map<std::string, std::vector<int>> runs_in_log(const std::string& text) {
  std::map<std::string, std::vector<int>> runs;
  std::istringstream in(text);
  std::string id;
  int attempt = 0;
  while (in >> id >> attempt) {
    runs[id].push_back(attempt);
  }
  return runs;
}

TEST_F(CrashLoadTest, NothingAcknowledgedIsLostAcrossKills) {
  const int rounds = soak_rounds();
  start_daemon({"--max-inflight", std::to_string(k_max_inflight)});
  const std::string log = work_file("runs.log");
  // `>>` opens with O_APPEND: each line is one write, whole.
  add_script("append", "echo \"$FNQ_CALL_ID $FNQ_ATTEMPT\" >> runs.log",
             {"--retries", std::to_string(k_retries)});

  Target target;
  target.set(m_daemon->url());
  const std::string token = m_daemon->token();
  std::atomic<bool> stop{false};
  Acked acked;
  std::vector<std::thread> clients;
  for (int i = 0; i < k_clients; ++i) {
    clients.emplace_back([&] { client_loop(target, token, stop, acked); });
  }

  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(200, 1200);
  for (int round = 0; round < rounds; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    m_daemon->kill_hard();
    auto next = std::make_unique<FnqdProcess>(state_dir(), m_daemon_args);
    m_daemon = std::move(next);
    ASSERT_TRUE(m_daemon->start()) << "restart " << round + 1;
    target.set(m_daemon->url());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
  stop = true;
  for (auto& c : clients) {
    c.join();
  }

  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(acked.mutex);
    ids = acked.ids;
  }
  ASSERT_FALSE(ids.empty());
  auto client = http();
  std::map<std::string, StoredCall> calls;
  ASSERT_TRUE(wait_until(
      [&] {
        calls = all_calls(*client);
        return std::all_of(calls.begin(), calls.end(),
                           [](const auto& c) { return c.second.state == "succeeded"; });
      },
      std::chrono::seconds(120)))
      << "calls still not succeeded";
  ASSERT_EQ(m_daemon->stop(), 0);
  auto runs = runs_in_log(read_file(log));

  // Every acknowledged call exists, succeeded, and its last attempt ran.
  std::set<std::string> acked_ids(ids.begin(), ids.end());
  EXPECT_EQ(acked_ids.size(), ids.size()) << "an ID was acknowledged twice";
  for (const auto& id : acked_ids) {
    auto it = calls.find(id);
    ASSERT_NE(it, calls.end()) << "acknowledged call " << id << " was lost";
    auto run = runs.find(id);
    ASSERT_NE(run, runs.end()) << "acknowledged call " << id << " never ran";
    const std::vector<int>& attempts = run->second;
    EXPECT_NE(std::find(attempts.begin(), attempts.end(), it->second.attempt), attempts.end())
        << "call " << id << " succeeded at attempt " << it->second.attempt
        << " but that attempt is not in the log";
  }
  // Any call (acknowledged or not) ran each attempt at most once, never an
  // attempt beyond its last, and ran again only after an interruption.
  int extra_attempts = 0;
  std::size_t lines = 0;
  for (const auto& [id, attempts] : runs) {
    lines += attempts.size();
    auto it = calls.find(id);
    ASSERT_NE(it, calls.end()) << "the log has a run of " << id << ", which is not in the store";
    std::set<int> distinct(attempts.begin(), attempts.end());
    EXPECT_EQ(distinct.size(), attempts.size()) << "an attempt of " << id << " ran twice";
    EXPECT_LE(*distinct.rbegin(), it->second.attempt) << id;
  }
  for (const auto& [id, call] : calls) {
    extra_attempts += call.attempt - 1;
  }
  // A kill interrupts at most --max-inflight running calls, each costing one
  // attempt; nothing else fails this function.
  EXPECT_LE(extra_attempts, rounds * k_max_inflight);
  std::cout << "crash-load: " << rounds << " kills, " << acked.attempts << " submits tried, "
            << acked_ids.size() << " acknowledged, " << calls.size() << " calls stored, " << lines
            << " runs logged, " << extra_attempts << " attempts repeated after a kill, 0 lost"
            << std::endl;
}

}  // namespace
}  // namespace fnq::test
