#include "daemon/api/server.h"

#include <netdb.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "common/fd.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "common/timeutil.h"
#include "daemon/api/http_server.h"
#include "daemon/api/json_guard.h"
#include "daemon/api/request_head.h"
#include "daemon/api/ui.h"
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

void write_error(httplib::Response& res, int status, const std::string& message) {
  write_json(res, status, json{{"error", message}});
  if (Exchange* e = current_exchange()) {
    e->error = message;
  }
}

std::string write_error(httplib::Response& res, const Error& e) {
  if (http_status(e.kind) != 500 || e.message == k_internal_error) {
    write_error(res, http_status(e.kind), e.message);
    return e.message;
  }
  write_error(res, 500, k_internal_error);
  std::string logged = std::string(k_internal_error) + ": " + e.message;
  if (Exchange* x = current_exchange()) {
    x->error = logged;
  }
  return logged;
}

void close_after_answer() {
  if (Exchange* e = current_exchange()) {
    e->close = true;
  }
}

void give_back_memory_after_answer() {
  if (Exchange* e = current_exchange()) {
    e->give_back_memory = true;
  }
}

namespace {

// The scheme's name is case-insensitive (RFC 9110 section 11.1); the token is not.
bool bearer_matches(const ApiContext& ctx, const std::string& auth) {
  const std::string prefix = "Bearer ";
  return auth.size() > prefix.size() &&
         strncasecmp(auth.c_str(), prefix.c_str(), prefix.size()) == 0 &&
         constant_time_equal(auth.substr(prefix.size()), ctx.token);
}

bool is_body_method(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool is_chunked(const httplib::Request& req) {
  return strcasestr(req.get_header_value("Transfer-Encoding").c_str(), "chunked") != nullptr;
}

std::uint64_t content_length(const httplib::Request& req) {
  return std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
}

bool has_body(const httplib::Request& req) { return is_chunked(req) || content_length(req) > 0; }

void set_route(const std::string& route) {
  if (Exchange* e = current_exchange()) {
    e->route = route;
    e->routed = true;
  }
}

bool has_bearer_token(ApiContext& ctx, const httplib::Request& req) {
  return bearer_matches(ctx, req.get_header_value("Authorization"));
}

// The bearer token, else the dashboard's session cookie (with its CSRF
// value on state-changing requests). Checked here, before any handler runs,
// so the cookie is never seen by what stores or logs request headers.
// Returns the refusal's status, or 0.
int refuse_unauthorized(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (ctx.token.empty() || is_ui_path(req.path) || has_bearer_token(ctx, req)) {
    return 0;
  }
  UiAuth ui = req.has_header("Authorization") ? UiAuth::absent : check_ui_session(ctx, req);
  switch (ui) {
    case UiAuth::signed_in: return 0;
    case UiAuth::no_csrf:
      write_error(res, 403,
                  std::string("missing or wrong CSRF value (send the session's ") + k_csrf_header +
                      " header; reload the dashboard)");
      return 403;
    case UiAuth::unknown:
      write_error(res, 401, "unknown or expired dashboard session (sign in again)");
      return 401;
    case UiAuth::absent: break;
  }
  write_error(res, 401,
              req.has_header("Authorization")
                  ? "wrong bearer token"
                  : "missing bearer token (send Authorization: Bearer <token>)");
  return 401;
}

// The head of a request carries a live dashboard session cookie.
bool has_ui_session(ApiContext& ctx, const RequestHead& head) {
  httplib::Request req;
  req.headers = head.headers;
  std::string id = cookie_value(req, k_ui_cookie);
  return !id.empty() && ctx.ui_sessions.find(id, now_ms()).has_value();
}

// The dashboard's sign-in takes the token in a small body; a client that
// has not signed in may not make fnqd hold a larger one.
constexpr std::int64_t k_max_unauthenticated_body = 4096;

// A request refused for its token is answered before its body: the
// connection layer does not wait for the body, so a client without a token
// or a session makes fnqd hold at most its head. pre_route decides the rest
// once the request is whole.
bool refused_for_token(ApiContext& ctx, const RequestHead& head) {
  if (ctx.token.empty()) {
    return false;
  }
  if (head.headers.count("Authorization")) {
    return !bearer_in_head(ctx, head);
  }
  if (has_ui_session(ctx, head)) {
    return false;
  }
  if (is_ui_path(head.target.substr(0, head.target.find('?')))) {
    auto length = head.headers.find("Content-Length");
    bool small = length == head.headers.end() ||
                 (length->second.size() <= 6 &&
                  std::stoll("0" + length->second) <= k_max_unauthenticated_body);
    return head.headers.count("Transfer-Encoding") > 0 || !small;
  }
  return true;
}

// Runs after the headers, before any of the body is read.
httplib::Server::HandlerResponse pre_route(ApiContext& ctx, const httplib::Request& req,
                                           httplib::Response& res) {
  using R = httplib::Server::HandlerResponse;
  if (Exchange* e = current_exchange(); e && e->refusal_status) {
    set_route("limits");
    write_error(res, e->refusal_status, e->refusal);
    close_after_answer();  // the body's extent is unknown: nothing after it is trusted
    return R::Handled;
  }
  // httplib reads bodies only for these methods; any other body would be
  // taken for the next request.
  if (!is_body_method(req.method) && has_body(req)) {
    close_after_answer();
  }
  if (req.path == "/healthz") {
    return R::Unhandled;
  }
  if (refuse_unauthorized(ctx, req, res) != 0) {
    set_route("auth");
    if (has_body(req)) {
      close_after_answer();
    }
    return R::Handled;
  }
  // Refuse a declared oversized body before reading any of it.
  if (req.has_header("Content-Length") && content_length(req) > ctx.config.max_body) {
    set_route("limits");
    write_error(res, 413,
                "request body of " + std::to_string(content_length(req)) +
                    " bytes is over the limit of " + format_size(ctx.config.max_body) +
                    " (--max-body)");
    close_after_answer();
    return R::Handled;
  }
  return R::Unhandled;
}

// Every answer passes here: the version header, the request count, and one
// log line per error.
void post_route(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  res.set_header("X-Fnq-Version", k_version);
  Exchange* e = current_exchange();
  if (!e || e->cut_off || e->parked) {
    return;  // the connection layer answers, logs and counts (408, 431); parked: no answer
  }
  note_answer(ctx, e->route, req.method + " " + req.path + " from " + e->peer, e->error, res);
  if (e->close) {
    res.set_header("Connection", "close");
    res.headers.erase("Keep-Alive");
  }
}

// Statuses httplib sets itself (404 no route, 400 unparsable request, 414)
// get the JSON shape too.
// No route for the method: 405 with the methods the path takes, if any.
bool answered_not_allowed(const ApiContext& ctx, const httplib::Request& req,
                          httplib::Response& res) {
  std::string allow = allowed_methods(ctx, req.path);
  if (allow.empty()) {
    return false;
  }
  write_error(res, 405,
              "method " + req.method + " not allowed on " + req.path + " (allowed: " + allow + ")");
  res.set_header("Allow", allow);
  return true;
}

httplib::Server::HandlerResponse httplib_error(const ApiContext& ctx, const httplib::Request& req,
                                               httplib::Response& res) {
  Exchange* e = current_exchange();
  if (!e || e->routed) {
    return httplib::Server::HandlerResponse::Unhandled;  // a handler's own answer
  }
  if (res.status == 404 && answered_not_allowed(ctx, req, res)) {
    return httplib::Server::HandlerResponse::Handled;
  }
  if (res.status != 404) {
    close_after_answer();  // the rest of the request cannot be trusted
  }
  std::string message = res.status == 404   ? "no such route: " + req.method + " " + req.path
                        : res.status == 400 ? "malformed HTTP request"
                                            : "HTTP " + std::to_string(res.status);
  write_error(res, res.status, message);
  return httplib::Server::HandlerResponse::Handled;
}

// Reads the body through httplib's content reader, so that the limit holds
// for chunked bodies too (httplib 0.11 caps only a declared Content-Length).
Status read_body(ApiContext& ctx, const httplib::Request& req,
                 const httplib::ContentReader& reader) {
  if (!has_body(req)) {
    return {};  // without a length, httplib's reader would wait for EOF
  }
  std::string body;
  bool too_large = false;
  bool ok = reader([&](const char* data, std::size_t n) {
    if (body.size() + n > ctx.config.max_body) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_large || !ok) {
    close_after_answer();  // the rest of the body is still on the wire
    return make_error(too_large ? ErrorKind::too_large : ErrorKind::invalid_input,
                      too_large ? "request body is over the limit of " +
                                      format_size(ctx.config.max_body) + " (--max-body)"
                                : std::string("request body ended early or is malformed"));
  }
  // httplib owns the Request as a non-const object and fills req.body itself
  // on routes without a content reader; this does the same.
  const_cast<httplib::Request&>(req).body = std::move(body);
  return {};
}

void run_handler(ApiContext& ctx, const std::string& route, const Handler& handler,
                 const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader* reader) {
  set_route(route);
  Status status;
  try {
    if (reader) {
      status = read_body(ctx, req, *reader);
    }
    if (status) {
      status = handler(ctx, req, res);
    }
  } catch (const std::exception& e) {
    // A bug: the log gets the library's text, the client only that it happened.
    log_line(req.method + " " + req.path + ": unexpected exception: " + e.what());
    status = make_error(ErrorKind::internal, k_internal_error);
  }
  if (!status) {
    write_error(res, status.error());
  }
}

// POST, PUT, PATCH or DELETE to no route: answered without reading the body.
void add_unmatched_body_routes(httplib::Server& s, const ApiContext& ctx) {
  auto not_found = [&ctx](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader&) {
    set_route("unmatched");
    if (!answered_not_allowed(ctx, req, res)) {
      write_error(res, 404, "no such route: " + req.method + " " + req.path);
    }
    close_after_answer();
  };
  s.Post(".*", not_found);
  s.Put(".*", not_found);
  s.Patch(".*", not_found);
  s.Delete(".*", not_found);
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
  Fd fd(socket(list->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.valid()) {
    int yes = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd.get(), list->ai_addr, list->ai_addrlen) != 0) {
      why = errno_text(errno);
    }
  }
  freeaddrinfo(list);
  for (auto& c : why) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return why;
}

}  // namespace

bool bearer_in_head(const ApiContext& ctx, const RequestHead& head) {
  return bearer_matches(ctx, header_value(head.headers, "Authorization"));
}

void note_answer(ApiContext& ctx, const std::string& route, const std::string& request,
                 const std::string& error, const httplib::Response& res) {
  ctx.metrics.http_request(route, res.status);
  if (!error.empty()) {
    log_line(request + ": " + std::to_string(res.status) + " " + error);
  }
}

std::string allowed_methods(const ApiContext& ctx, const std::string& path) {
  std::set<std::string> methods;
  for (const auto& known : ctx.known_routes) {
    if (std::regex_match(path, known.pattern)) {
      methods.insert(known.method);
      if (known.method == "GET") {
        methods.insert("HEAD");  // httplib answers HEAD with a GET route
      }
    }
  }
  std::string allow;
  for (const auto& m : methods) {
    allow += (allow.empty() ? "" : ", ") + m;
  }
  return allow;
}

void add_route(httplib::Server& s, ApiContext& ctx, const std::string& method,
               const std::string& pattern, const std::string& route, Handler handler) {
  ctx.known_routes.push_back(KnownRoute{std::regex(pattern), method});
  auto plain = [&ctx, route, handler](const httplib::Request& req, httplib::Response& res) {
    run_handler(ctx, route, handler, req, res, nullptr);
  };
  auto with_body = [&ctx, route, handler](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& reader) {
    run_handler(ctx, route, handler, req, res, &reader);
  };
  if (method == "GET") {
    s.Get(pattern, plain);
  } else if (method == "OPTIONS") {
    s.Options(pattern, plain);
  } else if (method == "POST") {
    s.Post(pattern, with_body);
  } else if (method == "PUT") {
    s.Put(pattern, with_body);
  } else if (method == "PATCH") {
    s.Patch(pattern, with_body);
  } else if (method == "DELETE") {
    s.Delete(pattern, with_body);
  } else {
    throw std::logic_error("add_route: unsupported method " + method);
  }
}

Result<json> parse_json_body(const httplib::Request& req) { return parse_json_body(req.body); }

Result<json> parse_json_body(std::string_view text) {
  if (auto refused = check_json_shape(text)) {
    return make_error(ErrorKind::invalid_input, *refused);
  }
  return parse_json_text(text, "JSON body");
}

Result<std::string> resolve_call_id(Store& store, const std::string& text) {
  if (is_call_id(text)) {
    return text;
  }
  if (!is_call_id_prefix(text)) {
    return make_error(ErrorKind::not_found,
                      "unknown call '" + text + "' (an id or a unique prefix of 8+ characters)");
  }
  FNQ_TRY_ASSIGN(auto ids, store.find_ids(text, 6));
  if (ids.empty()) {
    return make_error(ErrorKind::not_found, "unknown call '" + text + "'");
  }
  if (ids.size() > 1) {
    std::string list;
    for (std::size_t i = 0; i < ids.size() && i < 5; ++i) {
      list += (i ? ", " : "") + ids[i];
    }
    if (ids.size() > 5) {
      list += ", ...";
    }
    return make_error(ErrorKind::conflict,
                      "ambiguous call id prefix '" + text + "' matches " + list);
  }
  return ids.front();
}

Millis long_poll_wait(const ApiContext& ctx, Millis asked) {
  Millis limit = ctx.config.write_timeout;
  return limit.count() > 0 ? std::min(asked, limit) : asked;
}

namespace {

std::uint64_t count_unfinished(const std::vector<Call>& calls) {
  return static_cast<std::uint64_t>(std::count_if(
      calls.begin(), calls.end(), [](const Call& c) { return !is_terminal(c.state); }));
}

bool all_terminal(const std::vector<Call>& calls) { return count_unfinished(calls) == 0; }

}  // namespace

Result<std::vector<Call>> wait_for_calls(ApiContext& ctx, const std::vector<std::string>& ids,
                                         std::chrono::milliseconds timeout) {
  using Steady = std::chrono::steady_clock;
  const std::function<void()>* wake = park_wake();
  if (wake != nullptr) {
    // Served again after parking: the deadline it was parked with holds.
    Exchange* e = current_exchange();
    auto deadline = e->resumed_deadline ? *e->resumed_deadline : Steady::now() + timeout;
    if (timeout.count() <= 0 || Steady::now() >= deadline || ctx.shutting_down) {
      return ctx.store.get_calls(ids);
    }
    // Subscribe before reading, so a call finishing in between is not missed.
    auto sub = std::make_shared<CallWatch::Subscription>(ctx.watch, ids);
    std::uint64_t reports_before = sub->reports();
    auto calls = ctx.store.get_calls(ids);
    if (!calls || all_terminal(*calls) || ctx.shutting_down) {
      return calls;
    }
    // Woken once every unfinished call was reported (not at each one:
    // awaiting n calls that finish one by one then reads O(n) rows).
    sub->wake_after(reports_before + count_unfinished(*calls), *wake);
    park_request(deadline, std::move(sub));
    return make_error(ErrorKind::timeout, "parked");  // never sent
  }
  if (timeout.count() <= 0) {
    return ctx.store.get_calls(ids);
  }
  // Past the cap, answer at once with the current state (clients ask again),
  // so that submits and reads always find a free HTTP thread.
  if (ctx.long_polls.fetch_add(1) >= ctx.max_long_polls) {
    --ctx.long_polls;
    return ctx.store.get_calls(ids);
  }
  struct Release {
    std::atomic<int>& n;
    ~Release() { --n; }
  } release{ctx.long_polls};
  // Subscribe before reading, so a call finishing in between is not missed.
  CallWatch::Subscription sub(ctx.watch, ids);
  auto deadline = Steady::now() + timeout;
  for (;;) {
    std::uint64_t reports_before = sub.reports();
    auto calls = ctx.store.get_calls(ids);
    if (!calls || all_terminal(*calls) || ctx.shutting_down) {
      return calls;
    }
    // Every unfinished call is reported once it finishes, so read again
    // only when there have been as many reports as unfinished calls:
    // awaiting n calls that finish one by one then reads O(n) rows, not
    // O(n^2) (2,000 calls: 4 million rows read, most of a core).
    std::uint64_t unfinished = count_unfinished(*calls);
    while (sub.reports() - reports_before < unfinished) {
      if (!sub.wait_until(deadline) || ctx.shutting_down) {
        return ctx.store.get_calls(ids);
      }
    }
  }
}

ApiServer::ApiServer(ApiContext& ctx) : m_ctx(ctx) {
  HttpLimits limits;
  limits.read_timeout = ctx.config.read_timeout;
  limits.write_timeout = ctx.config.write_timeout;
  limits.threads = ctx.config.http_threads;
  limits.max_body = ctx.config.max_body;
  limits.answered_without_body = [&ctx](const RequestHead& head) {
    return refused_for_token(ctx, head);
  };
  m_server = std::make_unique<HttpServer>(limits, ctx.metrics);
  ctx.max_long_polls = m_server->max_waiting_requests();
  auto& s = *m_server;
  // httplib's default adds SO_REUSEPORT, which would let a second fnqd share
  // the port silently; a taken port must be an error.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_payload_max_length(ctx.config.max_body);  // a backstop: pre_route answers first
  s.set_pre_routing_handler([&ctx](const httplib::Request& req, httplib::Response& res) {
    return pre_route(ctx, req, res);
  });
  s.set_post_routing_handler(
      [&ctx](const httplib::Request& req, httplib::Response& res) { post_route(ctx, req, res); });
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        return httplib_error(ctx, req, res);
      }));
  s.set_loop_handler([&ctx, &s](const LoopRequest& request, LoopAnswer answer) {
    // Each declines at once a target that is not its own.
    return async_function_on_loop(ctx, s, request, answer) ||
           post_calls_on_loop(ctx, s, request, std::move(answer));
  });
  register_system_routes(s, ctx);
  register_call_routes(s, ctx);
  register_function_routes(s, ctx);
  register_openfaas_routes(s, ctx);
  register_pipeline_routes(s, ctx);
  register_stats_routes(s, ctx);
  register_ui_routes(s, ctx);
  add_unmatched_body_routes(s, ctx);
}

ApiServer::~ApiServer() = default;

Result<int> ApiServer::bind() {
  const auto& host = m_ctx.config.listen_host;
  int port = m_ctx.config.listen_port;
  int bound = port == 0 ? m_server->bind_to_any_port(host)
                        : (m_server->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    std::string why = bind_failure_reason(host, port);
    return make_error(ErrorKind::io,
                      "cannot listen on " + m_ctx.config.listen_address() + ": " + why);
  }
  if (!m_server->widen_backlog()) {
    log_line("cannot widen the listen backlog: " + errno_text(errno));
  }
  return bound;
}

void ApiServer::serve() { m_server->listen_after_bind(); }

bool ApiServer::is_running() const { return m_server->is_running(); }

void ApiServer::stop() { m_server->shut_down(); }

}  // namespace fnq
