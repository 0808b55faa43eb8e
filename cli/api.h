#pragma once
// The daemon as the commands see it: one raw exchange behind an interface
// (so tests can fake the daemon), and JSON helpers on top of it.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/client.h"
#include "common/model.h"
#include "common/result.h"
#include "common/units.h"

namespace fnq::cli {

inline constexpr Millis k_request_timeout = std::chrono::seconds(60);

class Api {
 public:
  virtual ~Api() = default;
  virtual std::string url() const = 0;
  // Fails only when the daemon cannot be reached; any HTTP status is a reply.
  virtual Result<HttpResponse> send(const std::string& method, const std::string& path,
                                    const std::string& body, Millis timeout) = 0;
};

// The real daemon, over fnq::ApiClient.
std::unique_ptr<Api> make_http_api(Endpoint endpoint);

struct GlobalOptions {
  std::optional<std::string> url;         // --url
  std::optional<std::string> token_file;  // --token-file
  std::optional<std::string> state_dir;   // --state-dir
  bool json = false;                      // --json
};

using ApiFactory = std::function<Result<std::unique_ptr<Api>>(const GlobalOptions&)>;
// Discovers the daemon (SPEC §5) and connects over HTTP.
ApiFactory http_api_factory();

struct ApiRequest {
  std::string method = "GET";
  std::string path;
  std::optional<json> body;  // sent as JSON when set
  Millis timeout = k_request_timeout;
};

struct JsonReply {
  int status = 0;
  json body;
};

// A 2xx answer parsed as JSON; any other status becomes an Error as in
// ApiClient::error_from_response.
Result<JsonReply> request_json(Api& api, const ApiRequest& request);
// A 2xx answer's raw bytes.
Result<std::string> request_raw(Api& api, const ApiRequest& request);

}  // namespace fnq::cli
