#include "cli/context.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace fnq::cli {

Terminal Terminal::detect() {
  Terminal t;
  t.stdin_tty = isatty(STDIN_FILENO) == 1;
  t.stdout_tty = isatty(STDOUT_FILENO) == 1;
  t.stderr_tty = isatty(STDERR_FILENO) == 1;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  t.color = t.stdout_tty && (no_color == nullptr || *no_color == '\0') &&
            !(term != nullptr && std::strcmp(term, "dumb") == 0);
  return t;
}

Context::Context(std::istream& in, std::ostream& out, std::ostream& err, Terminal terminal,
                 ApiFactory api_factory)
    : m_in(in),
      m_out(out),
      m_err(err),
      m_terminal(terminal),
      m_api_factory(std::move(api_factory)) {}

Result<Api*> Context::connect() {
  if (!m_api) {
    FNQ_TRY_ASSIGN(auto api, m_api_factory(m_global));
    m_api = std::move(api);
  }
  return m_api.get();
}

Checked<Api*> Context::api() {
  auto api = connect();
  if (!api.ok()) {
    return discovery_failure(api.error());
  }
  return *api;
}

Checked<JsonReply> Context::fetch_json(const ApiRequest& request, const std::string& what,
                                       Subject subject) {
  auto api_ptr = api();
  if (!api_ptr.ok()) {
    return api_ptr.failure();
  }
  auto reply = request_json(**api_ptr, request);
  if (!reply.ok()) {
    return api_failure(reply.error(), what, subject);
  }
  return std::move(*reply);
}

Checked<std::string> Context::fetch_raw(const ApiRequest& request, const std::string& what,
                                        Subject subject) {
  auto api_ptr = api();
  if (!api_ptr.ok()) {
    return api_ptr.failure();
  }
  auto body = request_raw(**api_ptr, request);
  if (!body.ok()) {
    return api_failure(body.error(), what, subject);
  }
  return std::move(*body);
}

}  // namespace fnq::cli
