#pragma once
// What the HTTP handlers share: the daemon's parts and a few helpers.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>

#include "common/model.h"
#include "common/result.h"
#include "daemon/api/http_server.h"
#include "daemon/api/ui_sessions.h"
#include "daemon/config.h"
#include "daemon/functions.h"
#include "daemon/metrics.h"
#include "daemon/scheduler.h"
#include "daemon/store/store.h"
#include "daemon/terminal.h"
#include "daemon/watch.h"

namespace fnq {

class CallbackSender;

// A route as add_route registered it: a path that some route takes with
// another method than the request's is answered 405 with Allow.
struct KnownRoute {
  std::regex pattern;
  std::string method;
};

struct ApiContext {
  const DaemonConfig& config;
  Store& store;
  FunctionRegistry& functions;
  Scheduler& scheduler;
  CallWatch& watch;
  Metrics& metrics;
  CallbackSender& callbacks;
  OnTerminal calls_terminal;  // every handler that ends calls reports them here
  std::string token;          // empty with --auth none
  std::string url;
  std::int64_t started_at = 0;
  std::atomic<bool> shutting_down{false};
  std::atomic<int> long_polls{0};          // requests waiting for calls now
  int max_long_polls = 1;                  // set by ApiServer from the thread pool
  UiSessions ui_sessions{};                // the dashboard's sign-ins (daemon/api/ui.cpp)
  std::vector<KnownRoute> known_routes{};  // filled by add_route before serving
};

// The methods the routes take for path, as an Allow value ("GET, HEAD,
// PUT"); "" when no route takes it.
std::string allowed_methods(const ApiContext& ctx, const std::string& path);

// A handler returns an error instead of writing one; the router turns it into
// {"error": ...} with the status of its kind, in one place.
using Handler = std::function<Status(ApiContext&, const httplib::Request&, httplib::Response&)>;

int http_status(ErrorKind kind);
void write_json(httplib::Response& res, int status, const json& body);
// {"error": message} with status; the message also goes to the log line.
void write_error(httplib::Response& res, int status, const std::string& message);
// e as an answer, with the status of its kind; returns the message the log
// line gets. An error answered 500 (a bug, a library's exception, an I/O
// failure) says "internal error": its text goes to fnqd's log only.
std::string write_error(httplib::Response& res, const Error& e);
// Closes the connection after this answer (a request body was left unread).
void close_after_answer();
// Gives the request's memory back once it and this answer are freed: for a
// handler that made much of a request (a large batch's calls and answer).
void give_back_memory_after_answer();
// The head's Authorization is "Bearer <the daemon's token>".
bool bearer_in_head(const ApiContext& ctx, const RequestHead& head);
// Counts an answer under route and logs it when it is an error (error: its
// message; request: "POST /path from 127.0.0.1:5123"). post_route does this
// for every answer httplib writes.
void note_answer(ApiContext& ctx, const std::string& route, const std::string& request,
                 const std::string& error, const httplib::Response& res);

// A full id, or a unique prefix of >= 8 characters.
Result<std::string> resolve_call_id(Store& store, const std::string& text);
Result<json> parse_json_body(const httplib::Request& req);
// The same for a body's text (the HTTP loop's requests).
Result<json> parse_json_body(std::string_view text);

// Waits until every id is terminal or the deadline passes, and returns the
// calls as they are then. Served by an HTTP worker, it holds no thread: it
// parks the request (park_request) and returns an error that is never sent,
// and the request runs again from the start when the calls finish or the
// deadline passes. So a handler that calls it must have done nothing before
// that a second run would repeat, or left a note of it (Exchange::park_note).
// Elsewhere it waits on the caller's thread, and refuses to hold it at all
// when too many long polls are waiting so already.
Result<std::vector<Call>> wait_for_calls(ApiContext& ctx, const std::vector<std::string>& ids,
                                         std::chrono::milliseconds timeout);

// The duration in query parameter `name` (?wait=30s); 0 when absent.
Result<Millis> wait_param(const httplib::Request& req, const char* name);
// A list's page size, ?limit=N (k_list_limit_range); fallback when absent.
// Anything but a plain decimal integer in range is an error.
Result<int> limit_param(const httplib::Request& req, int fallback);

// How long a long poll that asks for `asked` may wait: --write-timeout
// bounds it, unless that is 0 (no limit).
Millis long_poll_wait(const ApiContext& ctx, Millis asked);
// A wait with no limit, for wait_for_calls (a year).
inline constexpr Millis k_unlimited_wait{365LL * 24 * 3600 * 1000};

// Route registration (one file per API resource).
void register_call_routes(httplib::Server& server, ApiContext& ctx);
void register_function_routes(httplib::Server& server, ApiContext& ctx);
void register_openfaas_routes(httplib::Server& server, ApiContext& ctx);
// Loop handlers (http_server.h) for POST /async-function/{name} and POST
// /v1/calls: a plain submit is checked on the loop's thread and parked until
// the group commit that stores it; anything else is declined, for httplib's
// route to answer.
bool async_function_on_loop(ApiContext& ctx, const HttpServer& server, const LoopRequest& request,
                            LoopAnswer answer);
bool post_calls_on_loop(ApiContext& ctx, const HttpServer& server, const LoopRequest& request,
                        LoopAnswer answer);
// What both share (loop_submit.cpp). A request the loop may take at all: a
// store that submits without blocking; POST over HTTP/1.1 with the right
// token; no percent-encoding in the target (httplib decodes it); no Expect,
// Accept-Encoding or Content-Encoding; a body within --max-body.
bool loop_may_take(const ApiContext& ctx, const LoopRequest& request);
// Writes a submit's answer once the store has answered: the calls stored,
// or its error (write_error). Returns the error's message, "" for none.
using LoopSubmitted =
    std::function<std::string(httplib::Response& res, Result<std::vector<SubmitResult>> results)>;
// Stores prepared calls in the writer's next group commit, with no thread
// waiting for it, then answers on the loop with what write_answer writes;
// counted under route and logged as "POST path from peer" like any answer.
void submit_on_loop(ApiContext& ctx, const HttpServer& server, const LoopRequest& request,
                    std::vector<NewCall> batch, std::string route, std::string path,
                    LoopAnswer answer, LoopSubmitted write_answer);
void register_system_routes(httplib::Server& server, ApiContext& ctx);
void register_pipeline_routes(httplib::Server& server, ApiContext& ctx);

// Registers a handler for method and pattern; route labels it in metrics.
// The handler's error becomes the JSON answer. POST, PUT, PATCH and DELETE
// read the body first, refusing more than --max-body with 413 even when it
// is chunked.
void add_route(httplib::Server& server, ApiContext& ctx, const std::string& method,
               const std::string& pattern, const std::string& route, Handler handler);

// Builds and submits calls, shared by /v1/calls and the OpenFaaS routes.
struct SubmitRequest {
  NewCall new_call;
  std::optional<Millis> delay;
};
// How building a call may look things up. Lookup::cached_only is for the
// HTTP loop, which must not block: what it cannot know without reading the
// store or waiting (a call named by an ID prefix, a function the registry
// has not cached or another thread holds) is an `unavailable` error, and
// the caller leaves the request to a worker.
enum class Lookup { may_wait, cached_only };
Result<SubmitRequest> submit_request_from_json(ApiContext& ctx, const json& body,
                                               Lookup lookup = Lookup::may_wait);
// Validates the function and callback URL, resolves defaults, submits.
Result<std::vector<SubmitResult>> submit_calls(ApiContext& ctx, std::vector<SubmitRequest> calls);
// The first half of submit_calls: the calls checked, with defaults and ids.
Result<std::vector<NewCall>> prepare_calls(ApiContext& ctx, std::vector<SubmitRequest> calls,
                                           Lookup lookup = Lookup::may_wait);
// The second half of submit_calls without blocking: stores prepared calls
// and calls done with the results once they are durable (on the store's
// thread where it has one), after telling the scheduler and waiters.
void store_calls_then(ApiContext& ctx, std::vector<NewCall> batch, Store::SubmitDone done);
// Tells the scheduler and waiters about calls just stored.
class NewCallReport {
 public:
  void add(const Call& stored);
  void send(ApiContext& ctx);

 private:
  std::vector<std::string> m_terminal;
  std::optional<std::int64_t> m_earliest_due;
};

}  // namespace fnq
