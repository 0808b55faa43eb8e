#include "daemon/api/server.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/ids.h"
#include "daemon/log.h"
#include "fnq/version.h"

namespace fnq {

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_input: return 400;
    case ErrorKind::unauthorized: return 401;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::too_large: return 413;
    case ErrorKind::shutting_down: return 503;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::disk_full: return 507;
    case ErrorKind::timeout: return 504;
    case ErrorKind::io: return 500;
    case ErrorKind::internal: return 500;
  }
  return 500;
}

void write_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                  "application/json");
}

namespace {

void write_error(httplib::Response& res, int status, const std::string& message) {
  write_json(res, status, json{{"error", message}});
}

// Takes time that depends only on the expected token's length.
bool constant_time_equal(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

httplib::Server::HandlerResponse pre_route(ApiContext& ctx, const httplib::Request& req,
                                           httplib::Response& res) {
  if (req.path == "/healthz") {
    return httplib::Server::HandlerResponse::Unhandled;
  }
  if (!ctx.token.empty()) {
    std::string auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    bool ok = auth.size() > prefix.size() && auth.compare(0, prefix.size(), prefix) == 0 &&
              constant_time_equal(auth.substr(prefix.size()), ctx.token);
    if (!ok) {
      write_error(res, 401,
                  auth.empty() ? "missing bearer token (send Authorization: Bearer <token>)"
                               : "wrong bearer token");
      ctx.metrics.http_request("auth", 401);
      return httplib::Server::HandlerResponse::Handled;
    }
  }
  // Refuse an oversized body before reading it.
  if (req.has_header("Content-Length")) {
    auto len = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
    if (len > ctx.config.max_body) {
      write_error(res, 413,
                  "request body of " + std::to_string(len) + " bytes is over the limit of " +
                      format_size(ctx.config.max_body) + " (--max-body)");
      res.set_header("Connection", "close");
      ctx.metrics.http_request("limits", 413);
      return httplib::Server::HandlerResponse::Handled;
    }
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

// httplib does not say why a bind failed; try it once more to learn errno.
std::string bind_failure_reason(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list) != 0 || !list) {
    return "cannot resolve host '" + host + "'";
  }
  std::string why = "cannot bind";
  int fd = socket(list->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, list->ai_addr, list->ai_addrlen) != 0) {
      why = std::strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(list);
  for (auto& c : why) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return why;
}

}  // namespace

Result<json> parse_json_body(const httplib::Request& req) {
  try {
    return json::parse(req.body);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    auto pos = what.find("parse error");
    return make_error(ErrorKind::invalid_input,
                      "malformed JSON body: " + (pos == std::string::npos ? what : what.substr(pos)));
  }
}

Result<std::string> resolve_call_id(Store& store, const std::string& text) {
  if (is_call_id(text)) {
    return text;
  }
  if (!is_call_id_prefix(text)) {
    return make_error(ErrorKind::not_found,
                      "unknown call '" + text + "' (an id or a unique prefix of 8+ characters)");
  }
  auto ids = store.find_ids(text, 6);
  if (!ids) {
    return ids.error();
  }
  if (ids->empty()) {
    return make_error(ErrorKind::not_found, "unknown call '" + text + "'");
  }
  if (ids->size() > 1) {
    std::string list;
    for (std::size_t i = 0; i < ids->size() && i < 5; ++i) {
      list += (i ? ", " : "") + (*ids)[i];
    }
    if (ids->size() > 5) {
      list += ", ...";
    }
    return make_error(ErrorKind::conflict,
                      "ambiguous call id prefix '" + text + "' matches " + list);
  }
  return ids->front();
}

Result<std::vector<Call>> wait_for_calls(ApiContext& ctx, const std::vector<std::string>& ids,
                                         std::chrono::milliseconds timeout) {
  auto all_terminal = [](const std::vector<Call>& calls) {
    for (const auto& c : calls) {
      if (!is_terminal(c.state)) {
        return false;
      }
    }
    return true;
  };
  // Keep threads for submits and reads: past this many long polls, answer
  // at once with the current state (clients poll again).
  int limit = std::max(1, ctx.config.http_threads - 16);
  if (timeout.count() <= 0 || ctx.long_polls.load() >= limit) {
    return ctx.store.get_calls(ids);
  }
  ++ctx.long_polls;
  struct Release {
    std::atomic<int>& n;
    ~Release() { --n; }
  } release{ctx.long_polls};
  // Subscribe before reading, so a call finishing in between is not missed.
  CallWatch::Subscription sub(ctx.watch, ids);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto calls = ctx.store.get_calls(ids);
    if (!calls || all_terminal(*calls) || ctx.shutting_down) {
      return calls;
    }
    if (!sub.wait_until(deadline)) {
      return ctx.store.get_calls(ids);
    }
  }
}

httplib::Server::Handler guarded(ApiContext& ctx, std::string route, Handler handler) {
  return [&ctx, route = std::move(route), handler = std::move(handler)](
             const httplib::Request& req, httplib::Response& res) {
    Status status;
    try {
      status = handler(ctx, req, res);
    } catch (const std::exception& e) {
      status = make_error(ErrorKind::internal, std::string("internal error: ") + e.what());
    }
    if (!status) {
      int code = http_status(status.error().kind);
      write_error(res, code, status.error().message);
      if (code >= 500) {
        log_line(req.method + " " + req.path + ": " + std::to_string(code) + " " +
                 status.error().message);
      }
    }
    ctx.metrics.http_request(route, res.status);
  };
}

ApiServer::ApiServer(ApiContext& ctx) : m_ctx(ctx), m_server(std::make_unique<httplib::Server>()) {
  auto& s = *m_server;
  int threads = ctx.config.http_threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_tcp_nodelay(true);  // else every answer waits ~40ms for a delayed ACK
  // httplib's default adds SO_REUSEPORT, which would let a second fnqd share
  // the port silently; a taken port must be an error.
  s.set_socket_options([](httplib::socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_keep_alive_max_count(100000);
  s.set_keep_alive_timeout(5);
  auto rt = ctx.config.read_timeout;
  s.set_read_timeout(rt.count() / 1000, (rt.count() % 1000) * 1000);
  auto wt = ctx.config.write_timeout;
  s.set_write_timeout(wt.count() / 1000, (wt.count() % 1000) * 1000);
  s.set_payload_max_length(ctx.config.max_body);
  s.set_pre_routing_handler(
      [&ctx](const httplib::Request& req, httplib::Response& res) { return pre_route(ctx, req, res); });
  s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Fnq-Version", k_version);
  });
  // Statuses httplib sets itself (404 no route, 413, 400) get the JSON shape too.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    std::string message = res.status == 404   ? "no such route: " + req.method + " " + req.path
                          : res.status == 413 ? "request body is over the limit (--max-body)"
                                              : "HTTP " + std::to_string(res.status);
    write_error(res, res.status, message);
    return httplib::Server::HandlerResponse::Handled;
  }));
  register_system_routes(s, ctx);
  register_call_routes(s, ctx);
  register_function_routes(s, ctx);
  register_openfaas_routes(s, ctx);
}

ApiServer::~ApiServer() = default;

Result<int> ApiServer::bind() {
  const auto& host = m_ctx.config.listen_host;
  int port = m_ctx.config.listen_port;
  int bound = port == 0 ? m_server->bind_to_any_port(host) : (m_server->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    std::string why = bind_failure_reason(host, port);
    return make_error(ErrorKind::io, "cannot listen on " + m_ctx.config.listen_address() + ": " + why);
  }
  return bound;
}

void ApiServer::serve() { m_server->listen_after_bind(); }

void ApiServer::stop() { m_server->stop(); }

}  // namespace fnq
