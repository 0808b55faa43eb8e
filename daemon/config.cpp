#include "daemon/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <thread>

#include "common/client.h"
#include "fnq/version.h"

namespace fnq {

std::string DaemonConfig::listen_address() const {
  return listen_host + ":" + std::to_string(listen_port);
}

bool is_loopback_host(const std::string& host) {
  // Literal addresses only (and "localhost"): a name like 127.example.com
  // could resolve anywhere.
  std::string h = host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return h == "localhost";
}

namespace {

struct RawArgs {
  std::string state_dir, db, listen, auth = "token";
  std::string read_timeout = "30s", write_timeout = "60s", exec_timeout = "5m", kill_grace = "5s";
  std::string max_body = "16MiB", max_output = "4MiB";
  std::string retry_backoff = "1s", retry_backoff_max = "5m", retention = "7d";
  std::string shutdown_grace = "30s", sync = "full", callback_backoff = "4s";
  std::string host, lease = "30s", token_file;
};

// The machine's hostname and a short hash of the state dir: stable across
// restarts, distinct for two fnqd on one machine.
std::string default_host_name(const std::string& state_dir) {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || !name[0]) {
    std::snprintf(name, sizeof(name), "fnqd");
  }
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char ch : state_dir) {
    hash = (hash ^ ch) * 16777619u;
  }
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "-%06x", hash & 0xffffffu);
  return name + std::string(suffix);
}

// Adds a string option that also reads FNQ_<NAME> from the environment.
CLI::Option* add(CLI::App& app, const std::string& flag, std::string& target,
                 const std::string& help) {
  std::string env = "FNQ_" + flag.substr(2);
  for (auto& c : env) {
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return app.add_option(flag, target, help)->envname(env)->capture_default_str();
}

Status set_duration(const std::string& flag, const std::string& text, Millis* out) {
  auto d = parse_duration(text);
  if (!d) {
    return make_error(ErrorKind::invalid_input, flag + ": " + d.error().message);
  }
  *out = *d;
  return {};
}

Status set_size(const std::string& flag, const std::string& text, std::uint64_t* out) {
  auto s = parse_size(text);
  if (!s) {
    return make_error(ErrorKind::invalid_input, flag + ": " + s.error().message);
  }
  *out = *s;
  return {};
}

Status check_range(const std::string& flag, int value, IntRange range) {
  if (!range.contains(value)) {
    return make_error(ErrorKind::invalid_input, flag + ": " + std::to_string(value) +
                                                    " is out of range (expected " +
                                                    range_text(range) + ")");
  }
  return {};
}

Status parse_listen(const std::string& text, DaemonConfig* c) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return make_error(ErrorKind::invalid_input, "--listen: expected HOST:PORT, got '" + text + "'");
  }
  c->listen_host = text.substr(0, colon);
  if (c->listen_host.size() > 2 && c->listen_host.front() == '[') {
    c->listen_host = c->listen_host.substr(1, c->listen_host.size() - 2);
  }
  try {
    std::size_t used = 0;
    int port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port < 0 || port > 65535) {
      throw std::out_of_range("port");
    }
    c->listen_port = port;
  } catch (const std::exception&) {
    return make_error(ErrorKind::invalid_input, "--listen: invalid port in '" + text + "'");
  }
  return {};
}

Status finish_config(const RawArgs& raw, DaemonConfig* c) {
  c->state_dir = raw.state_dir.empty() ? default_state_dir() : raw.state_dir;
  c->db_path = raw.db.empty() ? c->state_dir + "/fnq.db" : raw.db;
  if (!raw.listen.empty()) {
    FNQ_TRY(parse_listen(raw.listen, c));
  }
  if (raw.auth != "token" && raw.auth != "none") {
    return make_error(ErrorKind::invalid_input, "--auth: expected token or none");
  }
  c->auth_token = raw.auth == "token";
  if (!c->auth_token && !is_loopback_host(c->listen_host)) {
    return make_error(ErrorKind::invalid_input,
                      "--auth none is refused on the non-loopback address " + c->listen_host +
                          " (anyone who can reach it could run functions; use --auth token, or "
                          "listen on 127.0.0.1)");
  }
  if (raw.sync != "full" && raw.sync != "normal") {
    return make_error(ErrorKind::invalid_input, "--sync: expected full or normal");
  }
  c->sync_full = raw.sync == "full";
  FNQ_TRY(set_duration("--read-timeout", raw.read_timeout, &c->read_timeout));
  FNQ_TRY(set_duration("--write-timeout", raw.write_timeout, &c->write_timeout));
  FNQ_TRY(set_duration("--exec-timeout", raw.exec_timeout, &c->exec_timeout));
  FNQ_TRY(set_duration("--kill-grace", raw.kill_grace, &c->kill_grace));
  FNQ_TRY(set_duration("--retry-backoff", raw.retry_backoff, &c->retry_backoff));
  FNQ_TRY(set_duration("--retry-backoff-max", raw.retry_backoff_max, &c->retry_backoff_max));
  FNQ_TRY(set_duration("--retention", raw.retention, &c->retention));
  FNQ_TRY(set_duration("--shutdown-grace", raw.shutdown_grace, &c->shutdown_grace));
  FNQ_TRY(set_duration("--callback-backoff", raw.callback_backoff, &c->callback_backoff));
  FNQ_TRY(set_duration("--lease", raw.lease, &c->lease));
  if (c->lease < Millis(1000)) {
    return make_error(ErrorKind::invalid_input, "--lease: must be at least 1s");
  }
  c->host_name = raw.host.empty() ? default_host_name(c->state_dir) : raw.host;
  c->token_file = raw.token_file;
  FNQ_TRY(set_size("--max-body", raw.max_body, &c->max_body));
  FNQ_TRY(set_size("--max-output", raw.max_output, &c->max_output));
  FNQ_TRY(check_range("--max-inflight", c->max_inflight, k_max_inflight_range));
  FNQ_TRY(check_range("--http-threads", c->http_threads, k_http_threads_range));
  FNQ_TRY(check_range("--max-retries", c->max_retries, k_max_retries_range));
  FNQ_TRY(check_range("--callback-attempts", c->callback_attempts, k_callback_attempts_range));
  return {};
}

}  // namespace

Result<ParsedArgs> parse_daemon_args(int argc, const char* const* argv) {
  ParsedArgs out;
  DaemonConfig& c = out.config;
  c.max_inflight = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  RawArgs raw;
  CLI::App app{
      "fnqd: the fnq daemon. Keeps queued function calls in SQLite, runs them as local\n"
      "processes, and serves the HTTP API that fnq and curl talk to.",
      "fnqd"};
  app.set_config("--config", "", "read settings from a TOML-style FILE (key = value)")
      ->type_name("FILE");
  // A misspelt setting must not be silently ignored.
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.set_version_flag("--version", std::string("fnqd ") + k_version);
  app.footer(
      "Example:\n  fnqd --state-dir /var/lib/fnq --listen 127.0.0.1:7850 --max-inflight 4\n"
      "Every flag but --config can also be set as FNQ_<FLAG> (FNQ_MAX_INFLIGHT=4). See fnqd(8).");
  add(app, "--state-dir", raw.state_dir, "directory for fnq.db, token and fnqd.json (created 0700)")
      ->type_name("DIR");
  app.add_flag("--allow-open-state-dir", c.allow_open_state_dir,
               "start even if every user may read the state dir or token (group access is allowed)")
      ->envname("FNQ_ALLOW_OPEN_STATE_DIR");
  add(app, "--db", raw.db,
      "the SQLite database (default STATE_DIR/fnq.db), or a postgresql:// URI or libpq conninfo "
      "for a queue shared by several fnqd")
      ->type_name("PATH|URI");
  add(app, "--listen", raw.listen,
      "HOST:PORT to listen on (default 127.0.0.1:7850; port 0 picks one)")
      ->type_name("HOST:PORT");
  add(app, "--auth", raw.auth, "token|none: require the bearer token (none only on loopback)")
      ->type_name("MODE");
  app.add_option("--max-inflight", c.max_inflight, "calls running at once (default: CPUs)")
      ->envname("FNQ_MAX_INFLIGHT")
      ->capture_default_str();
  add(app, "--read-timeout", raw.read_timeout,
      "longest time to read one HTTP request, headers and body, from its first byte (0: none)")
      ->type_name("D");
  add(app, "--write-timeout", raw.write_timeout,
      "longest time to write one response, and the longest a long poll or /function/\n"
      "waits before answering (0: no limit)")
      ->type_name("D");
  add(app, "--exec-timeout", raw.exec_timeout, "default hard limit of one attempt (0: none)")
      ->type_name("D");
  add(app, "--kill-grace", raw.kill_grace, "time between SIGTERM and SIGKILL")->type_name("D");
  add(app, "--max-body", raw.max_body, "largest request body, chunked or not (larger: 413)")
      ->type_name("SIZE");
  add(app, "--max-output", raw.max_output, "default cap of stored stdout per call")
      ->type_name("SIZE");
  add(app, "--retry-backoff", raw.retry_backoff, "default first retry delay (doubles each attempt)")
      ->type_name("D");
  add(app, "--retry-backoff-max", raw.retry_backoff_max, "cap of one retry delay")->type_name("D");
  app.add_option("--max-retries", c.max_retries, "default retries of a failed attempt")
      ->envname("FNQ_MAX_RETRIES")
      ->capture_default_str();
  add(app, "--retention", raw.retention, "age at which finished calls are pruned")->type_name("D");
  add(app, "--shutdown-grace", raw.shutdown_grace, "how long running calls may finish on SIGTERM")
      ->type_name("D");
  add(app, "--sync", raw.sync, "full|normal: SQLite durability of acknowledged writes")
      ->type_name("MODE");
  app.add_option(
         "--http-threads", c.http_threads,
         "HTTP worker threads running handlers (waiting requests and plain submits hold none)")
      ->envname("FNQ_HTTP_THREADS")
      ->capture_default_str();
  app.add_option("--callback-allow", c.callback_allow,
                 "hosts callbacks may be sent to (repeatable; default: any)")
      ->envname("FNQ_CALLBACK_ALLOW")
      ->delimiter(',');
  app.add_option("--callback-attempts", c.callback_attempts, "deliveries tried per callback")
      ->envname("FNQ_CALLBACK_ATTEMPTS")
      ->capture_default_str();
  add(app, "--callback-backoff", raw.callback_backoff, "first callback retry delay (doubles)")
      ->type_name("D");
  add(app, "--host", raw.host,
      "this fnqd's name in a PostgreSQL cluster (default: hostname plus a hash of the state dir)")
      ->type_name("NAME");
  add(app, "--lease", raw.lease,
      "PostgreSQL: how long a host may be silent before its running calls are rescued")
      ->type_name("D");
  add(app, "--token-file", raw.token_file,
      "use the token in FILE instead of generating STATE_DIR/token (one token for a cluster)")
      ->type_name("FILE");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out.exit_now = true;
    out.exit_code = app.exit(e);
    return out;
  } catch (const CLI::CallForVersion& e) {
    out.exit_now = true;
    out.exit_code = app.exit(e);
    return out;
  } catch (const CLI::ParseError& e) {
    return make_error(ErrorKind::invalid_input, e.what());
  }
  FNQ_TRY(finish_config(raw, &c));
  return out;
}

}  // namespace fnq
