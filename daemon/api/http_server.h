#pragma once
// The connection layer under httplib's parser and router: one event-loop
// thread owns every client socket, and no thread waits for a client.
// - The loop (epoll, non-blocking sockets) accepts, reads until a request is
//   whole (http_framing.h: head, then body by Content-Length or chunks) and
//   hands it to a worker pool. Idle, half-sent and byte-a-second clients cost
//   their buffered bytes, never a thread.
// - A worker runs httplib's parser and router on the request's bytes (an
//   in-memory Stream, so handlers and routes are httplib's as before) and
//   writes the answer without blocking; what the socket does not take at
//   once, the loop writes. Requests pipelined on one connection are served
//   in order, one at a time.
// - Enforced here: a total deadline for reading one request (408), for
//   writing one answer, a keep-alive idle time, a cap on header bytes (431),
//   header values exactly as sent and refusal of ambiguous framing
//   (request_head.h), closing with a short lingering read after an answer
//   whose request's body was left unread, and at most max_connections open
//   connections (the least recently active one not being served is closed
//   to make room).
// See docs/internals.md, "HTTP limits".
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <httplib.h>

#include "common/units.h"
#include "daemon/api/request_head.h"
#include "daemon/exec/fd.h"

namespace fnq {

class Metrics;
class HttpLoop;

// Worker threads kept free of long polls, so that submits and reads find one
// at once (half the pool when it is smaller than 32).
inline constexpr int k_reserved_http_threads = 16;

struct HttpLimits {
  Millis read_timeout{30'000};   // first byte to last byte of a request; 0: none
  Millis write_timeout{60'000};  // first byte to last byte of an answer; 0: none
  Millis idle_timeout{5'000};    // keep-alive: wait for the next request
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_body = 16u << 20;  // a chunked body past it is not waited for
  int threads = 256;                 // workers running handlers
  int max_connections = 10'000;      // lowered to fit RLIMIT_NOFILE
  // True when a request is answered without reading its body (a wrong
  // token): its body is then not waited for.
  std::function<bool(const RequestHead&)> answered_without_body;
};

// What a client is told of a bug (a library's exception, a broken
// invariant); the details go to fnqd's log only.
inline constexpr const char* k_internal_error = "internal error";

// What the handlers of one request may learn or decide about its exchange.
// Reached through current_exchange() on the thread serving the request.
struct Exchange {
  std::string peer;                 // "127.0.0.1:51234"
  std::string route = "unmatched";  // metrics label, set when a route matches
  bool routed = false;              // a handler wrote the answer
  std::string error;                // message of an error answer, for the log
  bool close = false;               // close the connection after this answer
  // The handler made much of the request (a large batch): the worker gives
  // the memory back (malloc_trim) once the request and its answer are freed.
  bool give_back_memory = false;
  bool cut_off = false;  // the connection layer answers (408, 431)
  // Set before routing when the header block is refused (bad framing, a line
  // without a colon): pre-routing answers it and closes the connection.
  int refusal_status = 0;
  std::string refusal;
  // Parking (see park_request), set up by the worker: the request may park
  // when wake is set; resumed_deadline is the deadline it was parked with,
  // when it is served again after parking.
  std::function<void()> wake;
  std::optional<std::chrono::steady_clock::time_point> resumed_deadline;
  std::string resumed_note;  // the park_note it was parked with
  // What the handler did that a second run must not do again, for that run
  // to read in resumed_note ("" none): a sync invocation's call ID.
  std::string park_note;
  // Set by park_request.
  bool parked = false;
  std::chrono::steady_clock::time_point park_deadline{};
  std::shared_ptr<void> park_hold;
};

// The exchange served on this thread, or nullptr outside one.
Exchange* current_exchange();

// A long poll that holds no thread. A handler that would wait for
// something arranges for the exchange's wake() to be called when it happens
// (hold: what keeps that arranged; released once the request runs again),
// then parks the request and returns: its answer is dropped, the worker is
// free, and the request is served again from the start once wake() is
// called or at deadline, with the exchange's resumed_deadline set. The
// handler must therefore have done nothing that a second run would repeat,
// or have left a note of it in the exchange's park_note, which that run
// finds in resumed_note.
// False, with nothing done, when this request cannot park (no worker set it
// up): the caller waits on its own thread instead.
bool park_request(std::chrono::steady_clock::time_point deadline, std::shared_ptr<void> hold);
// The wake function parking would use, or nullptr when the request cannot park.
const std::function<void()>* park_wake();

// A whole request, offered to the loop handler before any worker sees it.
struct LoopRequest {
  const RequestHead& head;
  std::string_view body;  // as sent: the Content-Length bytes after the head
  std::string peer;       // "127.0.0.1:51234"
  bool close = false;     // the answer must close the connection
};
// Gives the loop a request's answer and whether to close the connection
// after it. Called once, from any thread. The loop's thread runs
// make_bytes (which returns the answer's bytes, as format_answer makes
// them) and writes them: the thread that calls this, the store's writer
// answering a whole group commit, is spared that work.
using LoopAnswer = std::function<void(std::function<std::string()> make_bytes, bool close)>;
// Answers a request on the loop's thread, without a worker or httplib, or
// declines it (false) having done nothing, and a worker serves it as any
// other. When it takes the request (true), it calls answer exactly once,
// later or at once. It must not block: it may hand its work to a thread
// that answers many requests at a time (the store's writer).
using LoopHandler = std::function<bool(const LoopRequest&, LoopAnswer answer)>;

class HttpServer : public httplib::Server {
 public:
  HttpServer(HttpLimits limits, Metrics& metrics);
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // httplib 0.11 listens with a backlog of 5: a burst of clients (200 long
  // polls connecting at once) would see SYNs dropped and retried after 1s,
  // 3s, 7s. Call after binding; Linux takes a new backlog from a second listen().
  bool widen_backlog();
  // Serves on the bound socket until shut_down(): runs the event loop on
  // this thread and the workers on their own. Returns once every connection
  // is closed.
  bool listen_after_bind();
  bool is_running() const { return m_running.load(); }
  // Ends idle and half-read connections and stops accepting; requests being
  // served are answered and their answers written first.
  void shut_down();
  // Open client connections.
  int connections() const { return m_connections.load(); }
  // Requests that may wait (long polls) at once: the workers minus the reserve.
  int max_waiting_requests() const;
  const HttpLimits& limits() const { return m_limits; }

  // Set before listening.
  void set_loop_handler(LoopHandler handler) { m_loop_handler = std::move(handler); }
  // An answer's bytes as httplib writes them: the status line, res's
  // headers in httplib's order with its Content-Length, Content-Type and
  // Keep-Alive (or Connection: close), and the body.
  std::string format_answer(httplib::Response& res, bool close) const;

  // For the loop's workers: runs httplib on one request's bytes. close_in:
  // answer with Connection: close.
  // wake and resumed_deadline: see park_request (no wake: it cannot park).
  struct Served {
    std::string answer;             // its bytes ("" when httplib wrote none)
    bool close = false;             // close the connection after it
    bool give_back_memory = false;  // Exchange::give_back_memory
    bool parked = false;            // no answer: serve it again later (park_request)
    std::chrono::steady_clock::time_point park_deadline{};
    std::shared_ptr<void> park_hold;
    std::string park_note;
  };
  struct Parking {
    std::function<void()> wake;
    std::optional<std::chrono::steady_clock::time_point> resumed_deadline;
    std::string resumed_note;
  };
  Served serve_request(const std::string& bytes, const RequestHead& head,
                       const std::string& peer_ip, int peer_port, const std::string& local_ip,
                       int local_port, bool close_in, Parking parking = {});

 private:
  HttpLimits m_limits;
  Metrics& m_metrics;
  Fd m_stop;  // eventfd: readable once shut_down() is called
  std::atomic<bool> m_stopping{false};
  std::atomic<bool> m_running{false};
  std::atomic<int> m_connections{0};
  std::unique_ptr<HttpLoop> m_loop;
  LoopHandler m_loop_handler;
  friend class HttpLoop;
};

}  // namespace fnq
