#pragma once
// fnqd's settings: flags, a --config file (CLI11's TOML-style format) and
// FNQ_<FLAG> environment variables, in that order of precedence.
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/units.h"

namespace fnq {

inline constexpr int k_default_port = 7850;

struct DaemonConfig {
  std::string state_dir;
  std::string db_path;                // a SQLite file, or a PostgreSQL URI or conninfo
  std::string host_name;              // --host: this fnqd's name in a cluster
  Millis lease{30'000};               // --lease: silence after which a host's calls are rescued
  std::string token_file;             // --token-file: use this token, not STATE_DIR/token
  bool allow_open_state_dir = false;  // start even if every user can read the state dir or token
  std::string listen_host = "127.0.0.1";
  int listen_port = k_default_port;
  bool auth_token = true;  // --auth token|none
  int max_inflight = 1;
  Millis read_timeout{30'000};
  Millis write_timeout{60'000};
  Millis exec_timeout{300'000};
  Millis kill_grace{5'000};
  std::uint64_t max_body = 16u << 20;
  std::uint64_t max_output = 4u << 20;
  Millis retry_backoff{1'000};
  Millis retry_backoff_max{300'000};
  int max_retries = 0;
  Millis retention{7 * 86'400'000LL};
  Millis shutdown_grace{30'000};
  bool sync_full = true;
  int http_threads = 256;
  std::vector<std::string> callback_allow;  // hosts; empty: any
  int callback_attempts = 5;
  Millis callback_backoff{4'000};

  std::string listen_address() const;  // "127.0.0.1:7850"
};

struct ParsedArgs {
  DaemonConfig config;
  bool exit_now = false;  // --help or --version was answered
  int exit_code = 0;
};

// Parses argv (and environment, and the config file). Usage errors come back
// as invalid_input with a message fit for "fnqd: error: ...".
Result<ParsedArgs> parse_daemon_args(int argc, const char* const* argv);

bool is_loopback_host(const std::string& host);

}  // namespace fnq
