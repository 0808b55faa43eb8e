#pragma once
// Starts one attempt's command: vfork + our own child code (glibc's
// posix_spawn cannot set PR_SET_PDEATHSIG), stdin/stdout/stderr on pipes.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "daemon/exec/child_process.h"
#include "daemon/exec/executor.h"
#include "daemon/exec/fd.h"

namespace fnq {

// The daemon's side of a started attempt. The pipe ends are non-blocking.
struct Spawned {
  ChildProcess process;
  Fd stdin_write;
  Fd stdout_read;
  Fd stderr_read;
};

// Why an attempt's command never ran; it becomes the attempt's result.
struct SpawnFailure {
  std::optional<int> exit_code;  // 127 / 126, as a shell reports it, once a child existed
  std::string error;             // "cannot execute 'x': No such file or directory"
};

// Must run on the executor thread, with every signal blocked: the child
// shares the daemon's memory until it execs, so no daemon signal handler
// may run in it. PR_SET_PDEATHSIG ties the child to the calling thread.
std::variant<Spawned, SpawnFailure> spawn_attempt(const ExecRequest& request);

// The paths execve tries for argv0, in order: argv0 itself if it contains a
// '/', else argv0 in each directory of the PATH found in env (default
// "/usr/local/bin:/usr/bin:/bin"); an empty PATH entry is the working dir.
std::vector<std::string> exec_candidates(const std::string& argv0,
                                         const std::vector<std::string>& env);

}  // namespace fnq
