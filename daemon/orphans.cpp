#include "daemon/orphans.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "daemon/exec/escapes.h"

namespace fnq {

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
    if (wanted.count(process_call_id(pid)) == 0) {
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
