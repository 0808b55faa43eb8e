#include "daemon/exec/escapes.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace fnq {
namespace {

using Clock = std::chrono::steady_clock;
// Bounds one sweep: a process being killed or exiting settles in microseconds;
// one that respawns itself as fast as it is killed is given up on.
constexpr std::chrono::milliseconds k_sweep_limit{1000};
// How long an unreadable environment is taken for an exit in progress.
constexpr std::chrono::milliseconds k_settle_limit{50};
constexpr std::chrono::microseconds k_round_pause{500};

// Through rdbuf(): GCC 12 sees a "potential null pointer dereference" in
// istreambuf_iterator's inlined streambuf calls at -O3.
std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  if (in) {
    out << in.rdbuf();
  }
  return out.str();
}

// The children of every thread of pid (/proc/<pid>/task/<tid>/children).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(task_dir.c_str());
  if (dir == nullptr) {
    return out;
  }
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') {
      continue;
    }
    std::istringstream list(read_all(task_dir + "/" + e->d_name + "/children"));
    pid_t child = 0;
    while (list >> child) {
      out.push_back(child);
    }
  }
  closedir(dir);
  return out;
}

// The state letter of /proc/<pid>/stat ('Z' for a zombie), or 0 if gone.
char state_of(pid_t pid) {
  std::string stat = read_all("/proc/" + std::to_string(pid) + "/stat");
  std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '\0' : stat[paren + 2];
}

struct Sweep {
  int killed = 0;
  bool unsettled = false;  // a live process whose environment could not be read
};

void kill_process(pid_t pid) {
  pid_t group = getpgid(pid);
  // Never our own group: the process left it, or it was never ours.
  if (group > 1 && group != getpgrp()) {
    kill(-group, SIGKILL);
  }
  kill(pid, SIGKILL);
}

// Walks the tree under pid: a process that is exiting may still hold
// children that are about to be reparented to us, so every node is visited.
void sweep_tree(pid_t pid, const std::string& call_id, Sweep& sweep, int depth) {
  char state = state_of(pid);
  if (state == '\0' || state == 'Z' || state == 'X') {
    return;
  }
  std::string id = process_call_id(pid);
  if (id == call_id) {
    kill_process(pid);
    ++sweep.killed;
  } else if (id.empty() &&
             access(("/proc/" + std::to_string(pid) + "/environ").c_str(), R_OK) == 0) {
    sweep.unsettled = true;  // exiting, or an environment without FNQ_CALL_ID
  }
  if (depth < 64) {
    for (pid_t child : children_of(pid)) {
      sweep_tree(child, call_id, sweep, depth + 1);
    }
  }
}

// The main thread's children: the processes this process adopted.
std::vector<pid_t> adopted() {
  std::string self = std::to_string(getpid());
  std::istringstream list(read_all("/proc/" + self + "/task/" + self + "/children"));
  std::vector<pid_t> out;
  pid_t child = 0;
  while (list >> child) {
    out.push_back(child);
  }
  return out;
}

// Reaps the adopted processes that have exited.
void reap_adopted() {
  for (pid_t child : adopted()) {
    if (state_of(child) == 'Z') {
      waitpid(child, nullptr, WNOHANG);
    }
  }
}

}  // namespace

std::string process_call_id(pid_t pid) {
  std::string env = read_all("/proc/" + std::to_string(pid) + "/environ");
  const std::string key = "FNQ_CALL_ID=";
  std::size_t pos = 0;
  while (pos < env.size()) {
    std::size_t end = env.find('\0', pos);
    if (end == std::string::npos) {
      end = env.size();
    }
    if (env.compare(pos, key.size(), key) == 0) {
      return env.substr(pos + key.size(), end - pos - key.size());
    }
    pos = end + 1;
  }
  return {};
}

bool is_child_subreaper() {
  int flag = 0;
  return prctl(PR_GET_CHILD_SUBREAPER, &flag) == 0 && flag != 0;
}

int kill_escaped_processes(const std::string& call_id) {
  if (call_id.empty() || !is_child_subreaper()) {
    return 0;
  }
  auto start = Clock::now();
  int killed = 0;
  for (;;) {
    Sweep sweep;
    for (pid_t child : adopted()) {
      sweep_tree(child, call_id, sweep, 0);
    }
    reap_adopted();
    killed += sweep.killed;
    auto spent = Clock::now() - start;
    bool again =
        sweep.killed > 0 ? spent < k_sweep_limit : sweep.unsettled && spent < k_settle_limit;
    if (!again) {
      return killed;
    }
    // What was killed is exiting; its children reach us once it has.
    std::this_thread::sleep_for(k_round_pause);
  }
}

}  // namespace fnq
