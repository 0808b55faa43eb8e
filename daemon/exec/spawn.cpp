#include "daemon/exec/spawn.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace fnq {
namespace {

constexpr const char* k_default_path = "/usr/local/bin:/usr/bin:/bin";
constexpr unsigned k_close_range_cloexec = 1u << 2;  // CLOSE_RANGE_CLOEXEC

// Where the child failed; sent to the parent with errno.
enum class ChildStage : int { setup = 1, workdir = 2, exec = 3 };
struct ChildReport {
  int stage = 0;
  int err = 0;
};

// Everything the child needs, built before vfork: the child shares the
// daemon's memory and must not allocate or take locks.
struct ChildPlan {
  std::vector<std::string> candidates;
  std::vector<const char*> candidate_ptrs;
  std::vector<const char*> argv;  // null-terminated
  std::vector<const char*> envp;  // null-terminated
  const char* workdir = nullptr;
  int stdio[3] = {-1, -1, -1};  // all >= 3, see move_above_stdio
  int report_fd = -1;
  pid_t parent_pid = 0;
};

[[noreturn]] void fail_child(const ChildPlan& plan, ChildStage stage, int err) {
  ChildReport report{static_cast<int>(stage), err};
  // Smaller than PIPE_BUF, so written whole or not at all.
  [[maybe_unused]] ssize_t n = ::write(plan.report_fd, &report, sizeof report);
  _exit(stage == ChildStage::workdir || err == EACCES ? 126 : 127);
}

// Runs in the vfork child: async-signal-safe calls only, never returns.
[[noreturn]] void run_child(const ChildPlan& plan) {
  // Own process group, so a timeout can kill the whole tree.
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != plan.parent_pid) {
    _exit(127);  // the daemon died before the line above took effect
  }
  // Signals are still blocked (inherited from the executor thread), so no
  // handler can run here before its disposition is reset. The daemon ignores
  // SIGPIPE; its commands must not.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      ::sigaction(sig, &default_action, nullptr);  // EINVAL for glibc's internal signals
    }
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  for (int target = 0; target < 3; ++target) {
    if (::dup2(plan.stdio[target], target) < 0) {
      fail_child(plan, ChildStage::setup, errno);
    }
  }
  // Descriptors a library opened without O_CLOEXEC must not leak either.
  // Failure (kernel < 5.11) leaves only those.
  ::syscall(SYS_close_range, 3u, ~0u, k_close_range_cloexec);
  if (plan.workdir != nullptr && ::chdir(plan.workdir) != 0) {
    fail_child(plan, ChildStage::workdir, errno);
  }
  // Like execvp: go on past directories that do not have it.
  int err = ENOENT;
  bool denied = false;
  for (const char* path : plan.candidate_ptrs) {
    ::execve(path, const_cast<char* const*>(plan.argv.data()),
             const_cast<char* const*>(plan.envp.data()));
    err = errno;
    if (err == EACCES) {
      denied = true;
    } else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV &&
               err != ETIMEDOUT) {
      fail_child(plan, ChildStage::exec, err);
    }
  }
  fail_child(plan, ChildStage::exec, denied ? EACCES : err);
}

// Kept out of line so the vfork child runs on a minimal frame of its own
// and never returns into a frame the parent still needs.
__attribute__((noinline)) pid_t vfork_child(const ChildPlan& plan) {
  pid_t pid = ::vfork();
  if (pid == 0) {
    run_child(plan);
  }
  return pid;
}

ChildPlan make_plan(const ExecRequest& request, const std::optional<std::string>& first) {
  ChildPlan plan;
  if (first) {
    plan.candidates.push_back(*first);  // then the search, should it have gone
  }
  for (auto& c : exec_candidates(request.argv[0], request.env)) {
    if (!first || c != *first) {
      plan.candidates.push_back(std::move(c));
    }
  }
  for (const auto& c : plan.candidates) {
    plan.candidate_ptrs.push_back(c.c_str());
  }
  for (const auto& a : request.argv) {
    plan.argv.push_back(a.c_str());
  }
  plan.argv.push_back(nullptr);
  for (const auto& e : request.env) {
    plan.envp.push_back(e.c_str());
  }
  plan.envp.push_back(nullptr);
  if (!request.workdir.empty()) {
    plan.workdir = request.workdir.c_str();
  }
  plan.parent_pid = ::getpid();
  return plan;
}

// The child either execs (closing its copy of the report pipe) or writes a
// report and exits; vfork has returned only after one of those, so this
// read does not wait for long. (A process forked meanwhile by another
// daemon thread can hold a copy of the write end until it execs.)
std::optional<ChildReport> read_report(const Fd& fd) {
  ChildReport report;
  for (;;) {
    ssize_t n = ::read(fd.get(), &report, sizeof report);
    if (n == static_cast<ssize_t>(sizeof report)) {
      return report;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return std::nullopt;
  }
}

SpawnFailure child_failure(const ExecRequest& request, const ChildReport& report) {
  const auto stage = static_cast<ChildStage>(report.stage);
  const std::string reason = errno_text(report.err);
  if (stage == ChildStage::workdir) {
    return {126, "cannot enter workdir '" + request.workdir + "': " + reason};
  }
  int code = report.err == EACCES ? 126 : 127;
  if (stage == ChildStage::setup) {
    return {code, "cannot start '" + request.argv[0] + "': " + reason};
  }
  return {code, "cannot execute '" + request.argv[0] + "': " + reason};
}

struct Pipes {
  Pipe in, out, err, report;
};

Result<Pipes> make_pipes() {
  Pipes p;
  for (Pipe* pipe : {&p.in, &p.out, &p.err, &p.report}) {
    FNQ_TRY_ASSIGN(*pipe, Pipe::create());
  }
  for (Fd* child_end : {&p.in.read, &p.out.write, &p.err.write}) {
    FNQ_TRY(move_above_stdio(*child_end));
  }
  for (Fd* parent_end : {&p.in.write, &p.out.read, &p.err.read}) {
    FNQ_TRY(set_nonblocking(*parent_end));
  }
  return p;
}

// The directories a command without a '/' is looked for in: env's PATH,
// else the default.
std::string search_path(const std::vector<std::string>& env) {
  for (const auto& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) {
      return entry.substr(5);
    }
  }
  return k_default_path;
}

// A name execve takes as it is, without a PATH search.
bool is_path(const std::string& argv0) {
  return argv0.empty() || argv0.find('/') != std::string::npos;
}

std::string path_key(const std::string& argv0, const std::vector<std::string>& env) {
  return argv0 + '\0' + search_path(env);
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::string> ExecPaths::find(const std::string& argv0,
                                           const std::vector<std::string>& env,
                                           Clock::time_point now) {
  if (is_path(argv0)) {
    return std::nullopt;  // execve takes it as it is
  }
  std::string key = path_key(argv0, env);
  auto it = m_found.find(key);
  if (it != m_found.end() && now - it->second.at < k_ttl) {
    return it->second.path;
  }
  for (const auto& candidate : exec_candidates(argv0, env)) {
    if (candidate.front() != '/') {
      break;  // a directory relative to the call's workdir: the child searches
    }
    if (is_executable_file(candidate)) {
      if (m_found.size() >= k_max_entries && it == m_found.end()) {
        m_found.clear();
      }
      m_found[key] = Found{candidate, now};
      return candidate;
    }
  }
  if (it != m_found.end()) {
    m_found.erase(it);
  }
  return std::nullopt;
}

void ExecPaths::forget(const std::string& argv0, const std::vector<std::string>& env) {
  m_found.erase(path_key(argv0, env));
}

std::vector<std::string> exec_candidates(const std::string& argv0,
                                         const std::vector<std::string>& env) {
  if (is_path(argv0)) {
    return {argv0};
  }
  const std::string path = search_path(env);
  std::vector<std::string> out;
  std::size_t begin = 0;
  for (;;) {
    std::size_t end = path.find(':', begin);
    std::string dir = path.substr(begin, end == std::string::npos ? end : end - begin);
    out.push_back((dir.empty() ? std::string(".") : dir) + "/" + argv0);
    if (end == std::string::npos) {
      return out;
    }
    begin = end + 1;
  }
}

std::variant<Spawned, SpawnFailure> spawn_attempt(const ExecRequest& request, ExecPaths* paths) {
  if (request.argv.empty()) {
    return SpawnFailure{std::nullopt, "empty command"};
  }
  const std::string& name = request.argv[0];
  auto pipes = make_pipes();
  if (!pipes) {
    return SpawnFailure{std::nullopt, "cannot start '" + name + "': " + pipes.error().message};
  }
  std::optional<std::string> first;
  if (paths != nullptr) {
    first = paths->find(name, request.env, ExecPaths::Clock::now());
  }
  ChildPlan plan = make_plan(request, first);
  plan.stdio[0] = pipes->in.read.get();
  plan.stdio[1] = pipes->out.write.get();
  plan.stdio[2] = pipes->err.write.get();
  plan.report_fd = pipes->report.write.get();

  pid_t pid = vfork_child(plan);
  int vfork_errno = errno;
  pipes->in.read.reset();
  pipes->out.write.reset();
  pipes->err.write.reset();
  pipes->report.write.reset();
  if (pid < 0) {
    return SpawnFailure{std::nullopt, "cannot start '" + name + "': " + errno_text(vfork_errno)};
  }
  if (auto report = read_report(pipes->report.read)) {
    ChildProcess(pid, Fd()).kill_and_reap();  // it has exited; reap it
    if (paths != nullptr) {
      paths->forget(name, request.env);
    }
    return child_failure(request, *report);
  }
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));  // always O_CLOEXEC
  if (!pidfd.valid()) {
    int pidfd_errno = errno;
    ChildProcess(pid, Fd()).kill_and_reap();
    return SpawnFailure{std::nullopt, "cannot watch '" + name + "': " + errno_text(pidfd_errno)};
  }
  return Spawned{ChildProcess(pid, std::move(pidfd)), std::move(pipes->in.write),
                 std::move(pipes->out.read), std::move(pipes->err.read)};
}

}  // namespace fnq
