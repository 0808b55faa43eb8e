#pragma once
// Starts one attempt's command: vfork + our own child code (glibc's
// posix_spawn cannot set PR_SET_PDEATHSIG), stdin/stdout/stderr on pipes.
#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
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

// Where each command was found in its PATH, as a shell's hash table keeps
// it: a spawn then makes one execve, not one per PATH directory before the
// command's. An entry is trusted for k_ttl, and dropped at once when an exec
// fails, so a command installed, moved or removed is found again within
// seconds. Only absolute paths are kept (a relative PATH entry depends on
// the call's workdir). One thread uses it: the executor's.
class ExecPaths {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds k_ttl{10};
  static constexpr std::size_t k_max_entries = 1024;

  // The path to try first for argv0 under env's PATH: remembered, else
  // looked up now (the first candidate that is an executable regular file).
  std::optional<std::string> find(const std::string& argv0, const std::vector<std::string>& env,
                                  Clock::time_point now);
  // An exec of argv0 failed: look it up again next time.
  void forget(const std::string& argv0, const std::vector<std::string>& env);
  std::size_t size() const { return m_found.size(); }

 private:
  struct Found {
    std::string path;
    Clock::time_point at;
  };
  std::unordered_map<std::string, Found> m_found;  // by argv0 + '\0' + PATH
};

// Must run on the executor thread, with every signal blocked: the child
// shares the daemon's memory until it execs, so no daemon signal handler
// may run in it. PR_SET_PDEATHSIG ties the child to the calling thread.
// With `paths`, the command's remembered path is tried first.
std::variant<Spawned, SpawnFailure> spawn_attempt(const ExecRequest& request,
                                                  ExecPaths* paths = nullptr);

// The paths execve tries for argv0, in order: argv0 itself if it contains a
// '/', else argv0 in each directory of the PATH found in env (default
// "/usr/local/bin:/usr/bin:/bin"); an empty PATH entry is the working dir.
std::vector<std::string> exec_candidates(const std::string& argv0,
                                         const std::vector<std::string>& env);

}  // namespace fnq
