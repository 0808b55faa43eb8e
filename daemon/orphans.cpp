#include "daemon/orphans.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>

namespace fnq {

namespace {

// The value of FNQ_CALL_ID in /proc/PID/environ, or "" if absent or unreadable.
std::string call_id_of(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/environ", std::ios::binary);
  std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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

}  // namespace

int kill_orphaned_processes(const std::vector<std::string>& call_ids) {
  if (call_ids.empty()) {
    return 0;
  }
  std::set<std::string> wanted(call_ids.begin(), call_ids.end());
  std::set<pid_t> groups;
  int found = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    return 0;
  }
  while (dirent* e = readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 1 || pid == getpid()) {
      continue;
    }
    if (wanted.count(call_id_of(e->d_name)) == 0) {
      continue;
    }
    ++found;
    pid_t group = getpgid(pid);
    // Never our own group: a call's processes always had a group of their own.
    if (group > 1 && group != getpgrp()) {
      groups.insert(group);
    } else {
      kill(pid, SIGKILL);
    }
  }
  closedir(proc);
  for (pid_t group : groups) {
    kill(-group, SIGKILL);
  }
  return found;
}

}  // namespace fnq
