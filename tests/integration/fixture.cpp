#include "integration/fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace fnq::test {

namespace {

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    vars[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) {
    if (v.empty()) {
      vars.erase(k);
    } else {
      vars[k] = v;
    }
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : vars) {
    out.push_back(k + "=" + v);
  }
  return out;
}

}  // namespace

RunResult run_program(const std::vector<std::string>& argv_in, const std::string& input,
                      const std::map<std::string, std::string>& env, std::chrono::seconds timeout) {
  int in[2], out[2], err[2];
  EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> envs = environment_with(env);
  auto cargv = c_strings(argv);
  auto cenv = c_strings(envs);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  RunResult r;
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << argv[0] << ": " << std::strerror(rc);
    close(in[1]);
    close(out[0]);
    close(err[0]);
    return r;
  }
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  if (input.empty()) {
    close(in[1]);
    in[1] = -1;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int open_fds = 2;
  while (open_fds > 0 || in[1] >= 0) {
    pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) {
      ADD_FAILURE() << argv[0] << " did not finish within " << timeout.count() << "s";
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 3, left) < 0 && errno != EINTR) {
      break;
    }
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n > 0) {
          (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          close(fds[i].fd);
          (i == 0 ? out[0] : err[0]) = -1;
          --open_fds;
        }
      }
    }
    if (in[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in[1], input.data() + written, input.size() - written);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
      }
      if (written == input.size() || (n < 0 && errno == EPIPE)) {
        close(in[1]);
        in[1] = -1;
      }
    }
  }
  for (int fd : {in[1], out[0], err[0]}) {
    if (fd >= 0) {
      close(fd);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

std::vector<int> live_processes_matching(const std::string& marker) {
  std::vector<int> pids;
  DIR* d = opendir("/proc");
  if (!d) {
    return pids;
  }
  while (dirent* e = readdir(d)) {
    int pid = atoi(e->d_name);
    if (pid <= 0 || pid == getpid()) {
      continue;
    }
    std::string base = std::string("/proc/") + e->d_name;
    std::string cmdline = read_file(base + "/cmdline");
    for (auto& c : cmdline) {
      c = c == '\0' ? ' ' : c;
    }
    std::string stat = read_file(base + "/stat");
    auto paren = stat.rfind(')');
    bool zombie = paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
    if (!zombie && cmdline.find(marker) != std::string::npos) {
      pids.push_back(pid);
    }
  }
  closedir(d);
  return pids;
}

FnqdProcess::FnqdProcess(std::string state_dir, std::vector<std::string> extra_args)
    : m_state_dir(std::move(state_dir)),
      m_args(std::move(extra_args)),
      m_log(m_state_dir + ".log") {}

FnqdProcess::~FnqdProcess() {
  if (m_pid > 0) {
    kill_hard();
  }
}

bool FnqdProcess::start() {
  std::vector<std::string> argv = {FNQD_BIN, "--state-dir", m_state_dir, "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), m_args.begin(), m_args.end());
  std::string info = m_state_dir + "/fnqd.json";
  unlink(info.c_str());
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, m_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  auto cargv = c_strings(argv);
  pid_t pid;
  int rc = posix_spawn(&pid, FNQD_BIN, &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start fnqd: " << std::strerror(rc);
    return false;
  }
  m_pid = pid;
  bool up = wait_until(
      [&] {
        auto j = json::parse(read_file(info), nullptr, false);
        if (!j.is_discarded() && j.contains("url")) {
          m_url = j["url"];
          return true;
        }
        int status;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
          m_pid = -1;
          return true;
        }
        return false;
      },
      std::chrono::seconds(60));
  if (!up || m_pid < 0) {
    ADD_FAILURE() << "fnqd did not come up; its log:\n" << log();
    return false;
  }
  return true;
}

int FnqdProcess::stop(std::chrono::seconds timeout) {
  if (m_pid <= 0) {
    return -1;
  }
  kill(m_pid, SIGTERM);
  int status = 0;
  bool gone = wait_until([&] { return waitpid(m_pid, &status, WNOHANG) == m_pid; }, timeout);
  if (!gone) {
    ADD_FAILURE() << "fnqd did not exit after SIGTERM";
    kill_hard();
    return -1;
  }
  m_pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void FnqdProcess::kill_hard() {
  kill(m_pid, SIGKILL);
  waitpid(m_pid, nullptr, 0);
  m_pid = -1;
}

std::string FnqdProcess::token() const {
  std::string t = read_file(m_state_dir + "/token");
  while (!t.empty() && t.back() == '\n') {
    t.pop_back();
  }
  return t;
}

std::string FnqdProcess::log() const { return read_file(m_log); }

void FnqTest::SetUp() { start_daemon(); }

void FnqTest::TearDown() {
  if (HasFailure() && m_daemon) {
    std::fprintf(stderr, "---- fnqd log ----\n%s------------------\n", m_daemon->log().c_str());
  }
  if (m_daemon) {
    m_daemon->stop();
  }
}

void FnqTest::start_daemon(std::vector<std::string> extra_args) {
  if (m_daemon) {
    m_daemon->stop();
  }
  m_daemon_args = std::move(extra_args);
  m_daemon = std::make_unique<FnqdProcess>(state_dir(), m_daemon_args);
  ASSERT_TRUE(m_daemon->start());
}

RunResult FnqTest::fnq(const std::vector<std::string>& args, const std::string& input,
                       std::map<std::string, std::string> env) {
  std::vector<std::string> argv = {FNQ_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  env.emplace("FNQ_STATE_DIR", state_dir());
  for (const char* var : {"FNQ_URL", "FNQ_TOKEN", "FNQ_TOKEN_FILE", "NO_COLOR"}) {
    env.emplace(var, "");
  }
  return run_program(argv, input, env);
}

std::string FnqTest::fnq_ok(const std::vector<std::string>& args, const std::string& input) {
  RunResult r = fnq(args, input);
  std::string cmd;
  for (const auto& a : args) {
    cmd += " " + a;
  }
  EXPECT_EQ(r.exit_code, 0) << "fnq" << cmd << "\nstderr: " << r.err;
  std::string out = r.out;
  if (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

void FnqTest::add_function(const std::string& name, const std::vector<std::string>& command,
                           const std::vector<std::string>& options) {
  std::vector<std::string> args = {"fn", "add", name};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  fnq_ok(args);
}

json FnqTest::call_json(const std::string& id) {
  auto res = http()->Get("/v1/calls/" + id);
  if (!res || res->status != 200) {
    ADD_FAILURE() << "GET /v1/calls/" << id << " failed";
    return json::object();
  }
  return json::parse(res->body);
}

std::string FnqTest::state_of(const std::string& id) {
  json j = call_json(id);
  return j.value("state", "");
}

bool FnqTest::wait_for_state(const std::string& id, const std::string& state,
                             std::chrono::milliseconds deadline) {
  return wait_until([&] { return state_of(id) == state; }, deadline);
}

std::unique_ptr<httplib::Client> FnqTest::http(bool with_token) {
  auto c = std::make_unique<httplib::Client>(m_daemon->url());
  c->set_tcp_nodelay(true);
  c->set_read_timeout(std::chrono::seconds(120));
  if (with_token) {
    c->set_bearer_token_auth(m_daemon->token().c_str());
  }
  return c;
}

}  // namespace fnq::test
