#pragma once
// Finding the daemon and talking to it over HTTP.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/http_client.h"
#include "common/model.h"
#include "common/result.h"

namespace fnq {

// $FNQ_STATE_DIR, else $XDG_STATE_HOME/fnq, else ~/.local/state/fnq.
std::string default_state_dir();

// The state directory of fnqd run as a system service (fnqd.service of the
// Debian package), shared with the members of its group.
inline constexpr const char* k_system_state_dir = "/var/lib/fnq";

// The state directory fnq reads: `flag` (--state-dir), else $FNQ_STATE_DIR;
// else the user's own (default_state_dir()) if fnqd.json is there; else
// system_dir if its fnqd.json is readable (by a member of the service's
// group); else the user's own, for the error message.
std::string client_state_dir(const std::optional<std::string>& flag,
                             const std::string& system_dir = k_system_state_dir);

struct DiscoveryOptions {
  std::optional<std::string> url;         // --url
  std::optional<std::string> token_file;  // --token-file
  std::optional<std::string> state_dir;   // --state-dir
};

struct Endpoint {
  std::string url;    // http://127.0.0.1:7850
  std::string token;  // empty: send no Authorization header
};

// STATE_DIR is client_state_dir(opts.state_dir).
// URL: --url, $FNQ_URL, else STATE_DIR/fnqd.json. Token: --token-file,
// $FNQ_TOKEN_FILE, $FNQ_TOKEN, else STATE_DIR/token (absent file: no token).
// Errors: unavailable (no URL found), unauthorized (an unreadable token
// file), invalid_input (a URL that http::parse_url refuses).
Result<Endpoint> discover(const DiscoveryOptions& opts);

class ApiClient {
 public:
  explicit ApiClient(Endpoint endpoint);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  const Endpoint& endpoint() const { return m_endpoint; }

  // A raw exchange; fails only when the daemon cannot be reached (or a
  // header holds a line break).
  Result<HttpResponse> send(const std::string& method, const std::string& path,
                            const std::string& body = {},
                            const std::string& content_type = "application/json",
                            const std::multimap<std::string, std::string>& headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // JSON exchanges: a non-2xx answer becomes an Error whose kind follows the
  // status (400 invalid_input, 401 unauthorized, 404 not_found, 409 conflict,
  // 413 too_large, 503 shutting_down, 507 disk_full) and whose message is
  // the daemon's {"error": ...}.
  Result<json> get_json(const std::string& path,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));
  Result<json> post_json(const std::string& path, const json& body,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));
  Result<json> put_json(const std::string& path, const json& body);
  Result<json> delete_json(const std::string& path);

  // Maps a non-2xx response to an Error as above.
  static Error error_from_response(const HttpResponse& r);

 private:
  Endpoint m_endpoint;
  Result<http::Url> m_url;
  std::unique_ptr<http::Connection> m_connection;
};

}  // namespace fnq
