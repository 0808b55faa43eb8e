#pragma once
// Integration fixture: starts the real fnqd on 127.0.0.1:0 with a temp state
// dir, waits for fnqd.json, and runs the real fnq binary. The daemon's log is
// printed when a test fails.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

namespace fnq::test {

using json = nlohmann::json;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion, feeding stdin and capturing both outputs.
RunResult run_program(const std::vector<std::string>& argv, const std::string& input = {},
                      const std::map<std::string, std::string>& env = {},
                      std::chrono::seconds timeout = std::chrono::seconds(120));

// Polls cond until it holds or the deadline passes.
bool wait_until(const std::function<bool()>& cond,
                std::chrono::milliseconds deadline = std::chrono::seconds(30));

// Processes (not zombies) whose command line contains marker.
std::vector<int> live_processes_matching(const std::string& marker);

class FnqdProcess {
 public:
  FnqdProcess(std::string state_dir, std::vector<std::string> extra_args);
  ~FnqdProcess();
  // Starts fnqd and waits for fnqd.json; false (with a test failure) if it did not come up.
  bool start();
  // SIGTERM and wait; returns the exit status (or -1).
  int stop(std::chrono::seconds timeout = std::chrono::seconds(60));
  void kill_hard();  // SIGKILL, then reap
  int pid() const { return m_pid; }
  const std::string& url() const { return m_url; }
  std::string token() const;
  std::string log() const;
  const std::string& log_path() const { return m_log; }

 private:
  std::string m_state_dir;
  std::vector<std::string> m_args;
  std::string m_log;
  int m_pid = -1;
  std::string m_url;
};

class FnqTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Restart with other flags (call before anything else, or after stop()).
  void start_daemon(std::vector<std::string> extra_args = {});

  RunResult fnq(const std::vector<std::string>& args, const std::string& input = {},
                std::map<std::string, std::string> env = {});
  // fnq with the given args must exit 0; returns stdout with a trailing newline removed.
  std::string fnq_ok(const std::vector<std::string>& args, const std::string& input = {});
  void add_function(const std::string& name, const std::vector<std::string>& command,
                    const std::vector<std::string>& options = {});
  json call_json(const std::string& id);
  std::string state_of(const std::string& id);
  bool wait_for_state(const std::string& id, const std::string& state,
                      std::chrono::milliseconds deadline = std::chrono::seconds(30));

  std::unique_ptr<httplib::Client> http(bool with_token = true);

  std::string state_dir() const { return m_dir.path() + "/state"; }
  std::string file(const std::string& name) const { return m_dir.file(name); }

  TempDir m_dir;
  std::unique_ptr<FnqdProcess> m_daemon;
  std::vector<std::string> m_daemon_args;
};

}  // namespace fnq::test
