#include "cli/api.h"

namespace fnq::cli {

namespace {

class HttpApi final : public Api {
 public:
  explicit HttpApi(Endpoint endpoint) : m_client(std::move(endpoint)) {}
  std::string url() const override { return m_client.endpoint().url; }
  Result<HttpResponse> send(const std::string& method, const std::string& path,
                            const std::string& body, Millis timeout) override {
    return m_client.send(method, path, body, "application/json", {}, timeout);
  }

 private:
  ApiClient m_client;
};

Result<HttpResponse> exchange(Api& api, const ApiRequest& request) {
  std::string body = request.body
                         ? request.body->dump(-1, ' ', false, json::error_handler_t::replace)
                         : std::string();
  FNQ_TRY_ASSIGN(auto response, api.send(request.method, request.path, body, request.timeout));
  if (response.status < 200 || response.status >= 300) {
    return ApiClient::error_from_response(response);
  }
  return response;
}

}  // namespace

std::unique_ptr<Api> make_http_api(Endpoint endpoint) {
  return std::make_unique<HttpApi>(std::move(endpoint));
}

ApiFactory http_api_factory() {
  return [](const GlobalOptions& global) -> Result<std::unique_ptr<Api>> {
    FNQ_TRY_ASSIGN(auto endpoint,
                   discover(DiscoveryOptions{global.url, global.token_file, global.state_dir}));
    return make_http_api(std::move(endpoint));
  };
}

Result<JsonReply> request_json(Api& api, const ApiRequest& request) {
  FNQ_TRY_ASSIGN(auto response, exchange(api, request));
  JsonReply reply;
  reply.status = response.status;
  if (response.body.empty()) {
    reply.body = json::object();
    return reply;
  }
  reply.body = json::parse(response.body, nullptr, false);
  if (reply.body.is_discarded()) {
    return make_error(ErrorKind::io, "fnqd sent malformed JSON");
  }
  return reply;
}

Result<std::string> request_raw(Api& api, const ApiRequest& request) {
  FNQ_TRY_ASSIGN(auto response, exchange(api, request));
  return std::move(response.body);
}

}  // namespace fnq::cli
