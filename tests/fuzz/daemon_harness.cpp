#include "tests/fuzz/daemon_harness.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "daemon/api/server.h"
#include "daemon/callbacks.h"
#include "daemon/store/store.h"
#include "daemon/terminal.h"

namespace fnq::fuzz {
namespace {

std::string g_dir;

void remove_dir() {
  for (const char* name :
       {"/fnq.db", "/fnq.db-wal", "/fnq.db-shm", "/fnq.db.lock", "/fnq.db-journal"}) {
    ::unlink((g_dir + name).c_str());
  }
  ::rmdir(g_dir.c_str());
}

[[noreturn]] void give_up(const std::string& why) {
  std::fprintf(stderr, "fuzz harness: %s\n", why.c_str());
  std::abort();
}

// Everything the server refers to; allocated once and kept for the process.
struct Parts {
  DaemonConfig config;
  std::unique_ptr<Store> store;
  Metrics metrics;
  std::unique_ptr<FunctionRegistry> functions;
  CallWatch watch;
  std::unique_ptr<CallbackSender> callbacks;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<ApiContext> ctx;
  std::unique_ptr<ApiServer> server;
  std::thread serving;
};

FuzzDaemon start() {
  char tmpl[] = "/tmp/fnq-fuzz-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    give_up("cannot create a temporary directory");
  }
  g_dir = tmpl;
  std::atexit(remove_dir);
  auto* p = new Parts;  // never freed: the server's threads use it until exit
  p->config.state_dir = g_dir;
  p->config.db_path = g_dir + "/fnq.db";
  p->config.listen_port = 0;
  p->config.auth_token = false;
  p->config.http_threads = 8;
  p->config.read_timeout = Millis(500);
  p->config.write_timeout = Millis(100);
  p->config.sync_full = false;
  SqliteOptions opts;
  opts.path = p->config.db_path;
  opts.synchronous_full = false;
  auto store = open_sqlite_store(opts);
  if (!store) {
    give_up(store.error().message);
  }
  p->store = std::move(*store);
  p->functions = std::make_unique<FunctionRegistry>(*p->store);
  if (!p->functions->load()) {
    give_up("cannot load functions");
  }
  p->callbacks = std::make_unique<CallbackSender>(p->config, *p->store, p->metrics);
  OnTerminal calls_terminal = terminal_notifier(p->watch, *p->callbacks);
  p->scheduler =
      std::make_unique<Scheduler>(p->config, *p->store, *p->functions, p->metrics, calls_terminal);
  p->ctx = std::unique_ptr<ApiContext>(new ApiContext{p->config, *p->store, *p->functions,
                                                      *p->scheduler, p->watch, p->metrics,
                                                      *p->callbacks, calls_terminal, "", "", 0});
  p->server = std::make_unique<ApiServer>(*p->ctx);
  auto port = p->server->bind();
  if (!port) {
    give_up(port.error().message);
  }
  p->ctx->url = "http://127.0.0.1:" + std::to_string(*port);
  p->serving = std::thread([p] { p->server->serve(); });
  p->serving.detach();
  while (!p->server->is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return FuzzDaemon{p->ctx.get(), *port};
}

}  // namespace

FuzzDaemon& fuzz_daemon() {
  static FuzzDaemon daemon = start();
  return daemon;
}

}  // namespace fnq::fuzz
