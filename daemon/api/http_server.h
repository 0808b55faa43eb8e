#pragma once
// The connection layer under httplib's parser and router. fnqd serves each
// connection itself (httplib 0.11 lets a subclass replace
// process_and_close_socket and hand its own Stream to process_request), so it
// can enforce what httplib cannot:
// - a total deadline for reading one request, headers and body together
//   (httplib's read timeout is per recv(), so a client sending one byte a
//   second would hold a thread forever);
// - a total deadline for writing one answer;
// - a cap on header bytes;
// - header values exactly as sent, and refusal of ambiguous framing
//   (request_head.h): httplib's parser percent-decodes values;
// - closing the connection after an answer when the request's body was left
//   unread (413 before the body, unknown route), with a short lingering
//   close so the client still reads the answer instead of a reset;
// - no idle keep-alive once the thread pool is nearly full.
// See docs/internals.md, "HTTP limits".
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>

#include <httplib.h>

#include "common/units.h"
#include "daemon/exec/fd.h"

namespace fnq {

class Metrics;

// Threads kept free of long polls and idle keep-alive connections, so that
// submits and reads find one at once (half the pool when it is smaller than 32).
inline constexpr int k_reserved_http_threads = 16;

struct HttpLimits {
  Millis read_timeout{30'000};   // first byte to last byte of a request; 0: none
  Millis write_timeout{60'000};  // first byte to last byte of an answer; 0: none
  Millis idle_timeout{5'000};    // keep-alive: wait for the next request
  std::size_t max_header_bytes = 64 * 1024;
  int threads = 256;
};

// What the handlers of one request may learn or decide about its exchange.
// Reached through current_exchange() on the thread serving the request.
struct Exchange {
  std::string peer;                 // "127.0.0.1:51234"
  std::string route = "unmatched";  // metrics label, set when a route matches
  bool routed = false;              // a handler wrote the answer
  std::string error;                // message of an error answer, for the log
  bool close = false;               // close the connection after this answer
  bool cut_off = false;             // the connection layer answers (408, 431)
  // Set before routing when the header block is refused (bad framing, a line
  // without a colon): pre-routing answers it and closes the connection.
  int refusal_status = 0;
  std::string refusal;
};

// The exchange served on this thread, or nullptr outside one.
Exchange* current_exchange();

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
  // Ends idle and half-read connections and stops accepting; answers being
  // written are finished first. listen_after_bind() returns once every
  // connection is closed.
  void shut_down();
  // Connections being served by a pool thread now.
  int connections() const { return m_connections.load(); }
  // Requests that may wait (long polls) at once: the pool minus the reserve;
  // also the number of connections past which answers close their connection.
  int max_waiting_requests() const;

 private:
  // Called by httplib on a pool thread for each accepted connection.
  bool process_and_close_socket(socket_t sock) override;
  bool busy() const;

  HttpLimits m_limits;
  Metrics& m_metrics;
  Fd m_stop;  // eventfd: readable once shut_down() is called
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_connections{0};
};

}  // namespace fnq
