#pragma once
// Shared by the exec_*_test.cpp files: an Executor whose results tests wait
// for (with a generous deadline, never a sleep), and checks that a call's
// processes are gone.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/exec/executor.h"
#include "support/temp_dir.h"

namespace fnq::test {

using namespace std::chrono_literals;

// Generous: these machines are slow, more so under sanitizers.
constexpr std::chrono::milliseconds k_wait = 30s;

class ResultCollector {
 public:
  Executor::OnDone callback() {
    return [this](ExecResult result) {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_results.emplace(result.call_id, std::move(result));
      m_changed.notify_all();
    };
  }

  std::optional<ExecResult> wait(const std::string& call_id,
                                 std::chrono::milliseconds timeout = k_wait) {
    std::unique_lock<std::mutex> lock(m_mutex);
    if (!m_changed.wait_for(lock, timeout, [&] { return m_results.count(call_id) > 0; })) {
      return std::nullopt;
    }
    auto it = m_results.find(call_id);
    ExecResult result = std::move(it->second);
    m_results.erase(it);
    return result;
  }

  std::size_t count() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_results.size();
  }

 private:
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::multimap<std::string, ExecResult> m_results;
};

inline ExecRequest make_request(const std::string& call_id, std::vector<std::string> argv,
                                std::string input = "") {
  ExecRequest r;
  r.call_id = call_id;
  r.attempt = 1;
  r.argv = std::move(argv);
  r.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  r.input = std::move(input);
  return r;
}

inline ExecRequest shell(const std::string& call_id, const std::string& script) {
  return make_request(call_id, {"/bin/sh", "-c", script});
}

// Polls until `predicate` holds; the condition is made true by someone else.
template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = k_wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// The pid a command wrote ("echo $$ > file"), once the whole line is there.
inline pid_t wait_for_pid_file(const std::string& path) {
  pid_t pid = 0;
  eventually([&] {
    std::string text = read_file(path);
    if (text.empty() || text.back() != '\n') {
      return false;
    }
    pid = static_cast<pid_t>(std::stol(text));
    return true;
  });
  return pid;
}

// True once no process of group `pgid` exists. The test process is a child
// subreaper (see ExecFixture), so group members orphaned by the leader's
// death come to it and are reaped here; otherwise they would stay zombies
// under this machine's init, which does not reap.
inline bool group_gone(pid_t pgid) {
  return eventually([&] {
    siginfo_t info{};
    while (::waitid(P_PGID, static_cast<id_t>(pgid), &info, WEXITED | WNOHANG) == 0 &&
           info.si_pid != 0) {
      info = {};
    }
    return ::kill(-pgid, 0) != 0 && errno == ESRCH;
  });
}

// Reaps what it can; true once this process has no child left at all.
inline bool no_children_left() {
  for (;;) {
    pid_t pid = ::waitpid(-1, nullptr, WNOHANG);
    if (pid <= 0) {
      return pid < 0 && errno == ECHILD;
    }
  }
}

class ExecFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

  // Every test also checks that nothing it started outlives it: as a
  // subreaper, this process inherits whatever its calls left behind.
  void TearDown() override {
    m_executor.reset();
    EXPECT_TRUE(eventually(no_children_left)) << "a process started by this test is still alive";
  }

  // Starts `request` and waits for its result.
  ExecResult run(ExecRequest request) {
    std::string call_id = request.call_id;
    m_executor->start(std::move(request));
    return wait(call_id);
  }

  ExecResult wait(const std::string& call_id) {
    auto result = m_results.wait(call_id);
    if (!result) {
      ADD_FAILURE() << "no result for " << call_id << " within " << k_wait.count() << "ms";
      ExecResult missing;
      missing.error = "<no result>";
      return missing;
    }
    return *result;
  }

  TempDir m_dir;
  ResultCollector m_results;  // outlives the executor, which calls into it
  std::unique_ptr<Executor> m_executor = std::make_unique<EventLoopExecutor>(m_results.callback());
};

}  // namespace fnq::test
