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

#include "common/fd.h"
#include "common/http_response.h"
#include "common/result.h"

namespace fnq {

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
  Fd m_fd;
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
