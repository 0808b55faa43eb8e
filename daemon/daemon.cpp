#include "daemon/daemon.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "common/timeutil.h"
#include "daemon/api/server.h"
#include "daemon/callbacks.h"
#include "daemon/cluster.h"
#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/state_dir.h"
#include "daemon/terminal.h"
#include "fnq/version.h"

namespace fnq {

namespace {

constexpr int k_exit_usage = 64;
constexpr int k_exit_failure = 1;

int fail(const std::string& message, int code = k_exit_failure) {
  std::fprintf(stderr, "fnqd: error: %s\n", message.c_str());
  return code;
}

// Signals are taken synchronously with sigwait in the main thread; every
// thread started later inherits this mask, so none runs a handler.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client hanging up is an error return, not a death
  return set;
}

std::string connect_host(const std::string& host) {
  if (host == "0.0.0.0" || host.empty()) {
    return "127.0.0.1";
  }
  if (host == "::" || host.find(':') != std::string::npos) {
    return "[" + (host == "::" ? std::string("::1") : host) + "]";
  }
  return host;
}

int serve(const DaemonConfig& config, const sigset_t& signals) {
  // Held (locked) until serve() returns.
  auto state = open_state_dir(config.state_dir, config.auth_token && config.token_file.empty(),
                              config.allow_open_state_dir);
  if (!state) {
    return fail(state.error().message);
  }
  for (const std::string& warning : state->warnings) {
    log_line("warning: " + warning);
  }
  std::string token = state->token;
  if (config.auth_token && !config.token_file.empty()) {
    auto t = use_token_file(config.token_file, config.state_dir);
    if (!t) {
      return fail(t.error().message);
    }
    token = *t;
  }
  auto opened = open_store(config);
  if (!opened) {
    return fail(opened.error().message);
  }
  auto& store = opened->store;
  Metrics metrics(opened->cluster ? config.host_name : "");
  FunctionRegistry functions(*store);
  if (auto s = functions.load(); !s) {
    return fail("cannot load functions: " + s.error().message);
  }
  CallWatch watch;
  CallbackSender callbacks(config, *store, metrics);
  OnTerminal calls_terminal = terminal_notifier(watch, callbacks);
  Scheduler scheduler(config, *store, functions, metrics, calls_terminal);
  ApiContext ctx{config,    *store,         functions, scheduler, watch,   metrics,
                 callbacks, calls_terminal, token,     "",        now_ms()};
  ApiServer server(ctx);
  auto port = server.bind();
  if (!port) {
    return fail(port.error().message);
  }
  ctx.url = "http://" + connect_host(config.listen_host) + ":" + std::to_string(*port);
  if (auto s = scheduler.start(); !s) {
    return fail("cannot recover calls: " + s.error().message);
  }
  callbacks.start();
  std::unique_ptr<ClusterAgent> cluster;
  if (opened->cluster) {
    cluster = std::make_unique<ClusterAgent>(*opened->cluster, scheduler, watch, functions,
                                             calls_terminal, config.lease);
    cluster->start();
  }
  std::atomic<bool> serving_ended{false};
  std::thread http([&] {
    server.serve();
    serving_ended = true;
  });
  // fnqd.json says "ready", and a stop signal may follow at once: httplib's
  // stop() does nothing until its accept loop runs, so wait for that.
  while (!server.is_running() && !serving_ended) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string info_path = config.state_dir + "/fnqd.json";
  json info = {{"url", ctx.url}, {"pid", static_cast<int>(::getpid())}, {"version", k_version}};
  if (auto s = write_file_atomic(info_path, info.dump() + "\n", shared_file_mode(config.state_dir));
      !s) {
    std::string advice = s.error().kind == ErrorKind::disk_full
                             ? " (free some space on its filesystem and restart fnqd; until then, "
                               "clients need --url " +
                                   ctx.url + ")"
                             : "";
    log_line("cannot write " + info_path + ": " + s.error().message + advice);
  }
  log_line("fnqd " + std::string(k_version) + " listening on " + ctx.url + " (pid " +
           std::to_string(::getpid()) + ", database " + opened->description + ", max-inflight " +
           std::to_string(config.max_inflight) + ")");
  int sig = 0;
  sigwait(&signals, &sig);
  log_line(std::string("received ") +
           (sig == SIGINT   ? "SIGINT"
            : sig == SIGHUP ? "SIGHUP"
                            : "SIGTERM") +
           "; no longer accepting calls");
  ctx.shutting_down = true;
  scheduler.drain(config.shutdown_grace);
  if (cluster) {
    cluster->stop();  // after the drain: heartbeats go on while calls finish
  }
  watch.shutdown();
  server.stop();
  http.join();
  callbacks.stop();
  if (auto s = store->close(); !s) {
    log_line(s.error().message);
  }
  ::unlink(info_path.c_str());
  log_line("stopped");
  return 0;
}

}  // namespace

int run_daemon(int argc, char** argv) {
  sigset_t signals = block_stop_signals();
  auto parsed = parse_daemon_args(argc, argv);
  if (!parsed) {
    return fail(parsed.error().message + " (see fnqd --help)", k_exit_usage);
  }
  if (parsed->exit_now) {
    return parsed->exit_code;
  }
  return serve(parsed->config, signals);
}

}  // namespace fnq
