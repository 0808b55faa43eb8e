#include "common/client.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fnq {

namespace {

std::optional<std::string> env_var(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    return std::nullopt;
  }
  return std::string(v);
}

// nullopt when the file does not exist or cannot be read.
std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

Result<std::string> find_url(const DiscoveryOptions& opts, const std::string& state_dir) {
  if (opts.url) {
    return *opts.url;
  }
  if (auto url = env_var("FNQ_URL")) {
    return *url;
  }
  std::string path = state_dir + "/fnqd.json";
  auto text = slurp(path);
  if (!text) {
    return make_error(
        ErrorKind::unavailable,
        "cannot find fnqd: " + path + " does not exist (is fnqd running? or set --url)");
  }
  auto j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("url") || !j["url"].is_string()) {
    return make_error(ErrorKind::unavailable, "cannot find fnqd: " + path + " is malformed");
  }
  return j["url"].get<std::string>();
}

Result<std::string> find_token(const DiscoveryOptions& opts, const std::string& state_dir) {
  std::optional<std::string> file = opts.token_file;
  if (!file) {
    file = env_var("FNQ_TOKEN_FILE");
  }
  if (!file) {
    if (auto token = env_var("FNQ_TOKEN")) {
      return trim(*token);
    }
  }
  bool explicit_file = file.has_value();
  std::string path = explicit_file ? *file : state_dir + "/token";
  auto text = slurp(path);
  if (!text) {
    if (explicit_file) {
      return make_error(ErrorKind::unauthorized, "cannot read token file " + path);
    }
    return std::string();  // no token: fine for a daemon run with --auth none
  }
  return trim(*text);
}

}  // namespace

std::string default_state_dir() {
  if (auto dir = env_var("FNQ_STATE_DIR")) {
    return *dir;
  }
  if (auto xdg = env_var("XDG_STATE_HOME")) {
    return *xdg + "/fnq";
  }
  std::string home = env_var("HOME").value_or(".");
  return home + "/.local/state/fnq";
}

std::string client_state_dir(const std::optional<std::string>& flag,
                             const std::string& system_dir) {
  if (flag) {
    return *flag;
  }
  std::string own = default_state_dir();
  if (env_var("FNQ_STATE_DIR") || ::access((own + "/fnqd.json").c_str(), F_OK) == 0) {
    return own;
  }
  if (::access((system_dir + "/fnqd.json").c_str(), R_OK) == 0) {
    return system_dir;
  }
  return own;
}

Result<Endpoint> discover(const DiscoveryOptions& opts) {
  std::string state_dir = client_state_dir(opts.state_dir);
  FNQ_TRY_ASSIGN(auto url, find_url(opts, state_dir));
  FNQ_TRY_ASSIGN(auto token, find_token(opts, state_dir));
  std::string u = url;
  while (!u.empty() && u.back() == '/') {
    u.pop_back();
  }
  FNQ_TRY(http::parse_url(u));
  if (token.find_first_of("\r\n") != std::string::npos) {
    return make_error(ErrorKind::unauthorized, "the token holds a line break");
  }
  return Endpoint{u, token};
}

ApiClient::ApiClient(Endpoint endpoint)
    : m_endpoint(std::move(endpoint)), m_url(http::parse_url(m_endpoint.url)) {
  if (m_url.ok()) {
    m_connection = std::make_unique<http::Connection>(*m_url, std::chrono::seconds(5));
  }
}

ApiClient::~ApiClient() = default;

Result<HttpResponse> ApiClient::send(const std::string& method, const std::string& path,
                                     const std::string& body, const std::string& content_type,
                                     const std::multimap<std::string, std::string>& headers,
                                     std::chrono::milliseconds timeout) {
  if (!m_url.ok()) {
    return m_url.error();
  }
  std::multimap<std::string, std::string> all = headers;
  if (!m_endpoint.token.empty()) {
    all.emplace("Authorization", "Bearer " + m_endpoint.token);
  }
  FNQ_TRY_ASSIGN(auto request, http::format_request(*m_url, method, path, all, body, content_type));
  bool idempotent = method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
  auto response = m_connection->exchange(request, method == "HEAD", idempotent, timeout);
  if (!response.ok()) {
    return make_error(ErrorKind::unavailable, "cannot reach fnqd at " + m_endpoint.url + ": " +
                                                  response.error().message + " (is fnqd running?)");
  }
  return response;
}

Error ApiClient::error_from_response(const HttpResponse& r) {
  std::string message;
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_string()) {
    message = j["error"].get<std::string>();
  } else {
    message = "fnqd answered HTTP " + std::to_string(r.status);
  }
  ErrorKind kind = ErrorKind::internal;
  switch (r.status) {
    case 400: kind = ErrorKind::invalid_input; break;
    case 401: kind = ErrorKind::unauthorized; break;
    case 404: kind = ErrorKind::not_found; break;
    case 405: kind = ErrorKind::invalid_input; break;
    case 409: kind = ErrorKind::conflict; break;
    case 413: kind = ErrorKind::too_large; break;
    case 503: kind = ErrorKind::shutting_down; break;
    case 507: kind = ErrorKind::disk_full; break;
    default: kind = r.status >= 500 ? ErrorKind::io : ErrorKind::internal; break;
  }
  return make_error(kind, message);
}

namespace {
Result<json> to_json_result(Result<HttpResponse> result) {
  FNQ_TRY_ASSIGN(HttpResponse r, std::move(result));
  if (r.status < 200 || r.status >= 300) {
    return ApiClient::error_from_response(r);
  }
  if (r.body.empty()) {
    return json::object();
  }
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    return make_error(ErrorKind::io, "fnqd sent malformed JSON");
  }
  return j;
}
}  // namespace

Result<json> ApiClient::get_json(const std::string& path, std::chrono::milliseconds timeout) {
  return to_json_result(send("GET", path, {}, {}, {}, timeout));
}

Result<json> ApiClient::post_json(const std::string& path, const json& body,
                                  std::chrono::milliseconds timeout) {
  return to_json_result(send("POST", path, body.dump(), "application/json", {}, timeout));
}

Result<json> ApiClient::put_json(const std::string& path, const json& body) {
  return to_json_result(send("PUT", path, body.dump()));
}

Result<json> ApiClient::delete_json(const std::string& path) {
  return to_json_result(send("DELETE", path));
}

}  // namespace fnq
