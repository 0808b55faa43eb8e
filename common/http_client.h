#pragma once
// The HTTP/1.1 client that fnq talks to fnqd with: plain TCP, keep-alive,
// Content-Length, chunked and close-delimited bodies. It depends on nothing
// but libc, so `fnq` starts in about a millisecond; the daemon's callbacks
// use cpp-httplib instead.
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fnq {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // names as sent
  std::string header(const std::string& name) const;  // case-insensitive, "" if absent
};

namespace http {

struct Url {
  std::string host;       // "127.0.0.1", "::1", "fnq.example.org"
  std::string port;       // "7850"
  std::string authority;  // for the Host header: "127.0.0.1:7850", "[::1]:7850"
  std::string base_path;  // "" or "/fnq" (a daemon behind a proxy's path)
};

// "http://host[:port][/path]" or "host[:port]"; https is refused, since fnqd
// speaks plain HTTP.
Result<Url> parse_url(const std::string& url);

// Reads one response from bytes as they arrive.
class ResponseParser {
 public:
  enum class Progress { more, done, bad };

  // A HEAD request's response has no body whatever its headers say.
  explicit ResponseParser(bool head_request = false) : m_head_request(head_request) {}

  Progress feed(std::string_view data);
  // The peer closed the connection: completes a close-delimited body.
  Progress end_of_stream();

  bool started() const { return m_started; }
  bool keep_alive() const { return m_keep_alive; }
  const std::string& error() const { return m_error; }
  HttpResponse& response() { return m_response; }

  static constexpr std::size_t k_max_head_bytes = 64 * 1024;

 private:
  enum class Phase { head, length, chunk_size, chunk_data, chunk_end, trailers, until_close, done, bad };

  Progress advance();
  bool parse_head(std::string_view head);
  Progress fail(std::string why);
  void take_body(std::size_t n);
  // Moves up to m_remaining buffered bytes into the body; true once all came.
  bool take_remaining();

  bool m_head_request;
  bool m_started = false;
  bool m_keep_alive = true;
  Phase m_phase = Phase::head;
  std::string m_buf;
  std::size_t m_remaining = 0;
  std::string m_error;
  HttpResponse m_response;
};

// One keep-alive connection to one server, opened on first use and again
// when the server has closed it.
class Connection {
 public:
  Connection(Url url, std::chrono::milliseconds connect_timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one request (head and body, as built by format_request) and reads
  // the response; io_timeout bounds each wait for the socket. A kept-alive
  // connection that the server has closed is replaced before sending; one
  // that it closes as the request goes out, without answering, is replaced
  // and the request sent again only if it is idempotent (the server may
  // have acted on it). Errors carry a short reason ("connection refused"):
  // ErrorKind::timeout when io_timeout passed, else ErrorKind::unavailable.
  Result<HttpResponse> exchange(const std::string& request, bool head_request, bool idempotent,
                                std::chrono::milliseconds io_timeout);

  const Url& url() const { return m_url; }

 private:
  Status open();
  bool closed_by_peer() const;
  void close();
  Status send_all(const std::string& data, std::chrono::milliseconds timeout);
  Status receive(ResponseParser& parser, std::chrono::milliseconds timeout);

  Url m_url;
  std::chrono::milliseconds m_connect_timeout;
  int m_fd = -1;
};

// "METHOD base_path+path HTTP/1.1" with Host, the given headers, and, when
// there is a body or the method is POST or PUT, Content-Type and
// Content-Length; then the body. Header names and values holding CR, LF or
// NUL are refused.
Result<std::string> format_request(const Url& url, const std::string& method,
                                   const std::string& path,
                                   const std::multimap<std::string, std::string>& headers,
                                   const std::string& body,
                                   const std::string& content_type = "application/json");

}  // namespace http
}  // namespace fnq
