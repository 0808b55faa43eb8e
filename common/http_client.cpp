#include "common/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/fd.h"
#include "common/url.h"
#include "fnq/version.h"

namespace fnq {

namespace http {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool has_control(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

Error unreachable(std::string why) { return make_error(ErrorKind::unavailable, std::move(why)); }

std::string errno_reason(int err) {
  if (err == ECONNREFUSED) {
    return "connection refused";
  }
  std::string text = errno_text(err);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Waits until fd is ready for events; false on timeout.
bool wait_ready(int fd, short events, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left < 0) {
      return false;
    }
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, 3'600'000)));
    if (n > 0) {
      return true;  // readable, writable, or an error the next call reports
    }
    if (n == 0 && Clock::now() >= deadline) {
      return false;
    }
    if (n < 0 && errno != EINTR) {
      return true;  // let the next recv/send report it
    }
  }
}

}  // namespace

Result<Url> parse_url(const std::string& text) {
  auto bad = [&text](const std::string& why) {
    return make_error(ErrorKind::invalid_input, "bad fnqd URL '" + text + "': " + why);
  };
  auto parsed = fnq::parse_url(text, "http");
  if (!parsed) {
    return bad(parsed.error().message);
  }
  if (parsed->scheme != "http") {
    return bad(
        "fnq speaks plain HTTP to fnqd; to reach a remote daemon, tunnel its port "
        "(ssh -L 7850:127.0.0.1:7850 host) and use http://127.0.0.1:7850");
  }
  std::string_view path = parsed->target;
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  if (path.find_first_of("?# ") != std::string_view::npos) {
    return bad("the path may not hold a query, a fragment or spaces");
  }
  Url url;
  url.host = std::move(parsed->host);
  url.port = std::move(parsed->port);
  url.authority = std::move(parsed->authority);
  url.base_path = std::string(path);
  return url;
}

Result<std::string> format_request(const Url& url, const std::string& method,
                                   const std::string& path,
                                   const std::multimap<std::string, std::string>& headers,
                                   const std::string& body, const std::string& content_type) {
  if (path.empty() || path.front() != '/' || path.find_first_of(" \r\n") != std::string::npos) {
    return make_error(ErrorKind::internal, "bad request path '" + path + "'");
  }
  std::string out;
  out.reserve(256 + body.size());
  out.append(method).append(" ").append(url.base_path).append(path).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(url.authority).append("\r\n");
  out.append("User-Agent: fnq/").append(k_version).append("\r\n");
  for (const auto& [name, value] : headers) {
    if (name.empty() || has_control(name) || name.find(':') != std::string::npos ||
        has_control(value)) {
      return make_error(ErrorKind::invalid_input,
                        "header '" + name + "' holds a line break or is malformed");
    }
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (has_control(content_type)) {
      return make_error(ErrorKind::invalid_input, "the content type holds a line break");
    }
    out.append("Content-Type: ").append(content_type).append("\r\n");
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

Connection::Connection(Url url, milliseconds connect_timeout)
    : m_url(std::move(url)), m_connect_timeout(connect_timeout) {}

Connection::~Connection() { close(); }

void Connection::close() { m_fd.reset(); }

Status Connection::open() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags =
      AI_NUMERICSERV;  // not AI_ADDRCONFIG: a host with only loopback would find nothing
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(m_url.host.c_str(), m_url.port.c_str(), &hints, &found);
  if (rc != 0) {
    return unreachable("cannot resolve " + m_url.host + ": " + ::gai_strerror(rc));
  }
  std::string why = "no address for " + m_url.host;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!fd.valid()) {
      why = errno_reason(errno);
      continue;
    }
    int err = 0;
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        err = ETIMEDOUT;
        if (wait_ready(fd.get(), POLLOUT, m_connect_timeout)) {
          socklen_t len = sizeof err;
          if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
          }
        }
      }
    }
    if (err == 0) {
      int one = 1;
      // Else each request waits ~40 ms for a delayed ACK.
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      m_fd = std::move(fd);
      ::freeaddrinfo(found);
      return {};
    }
    why = err == ETIMEDOUT ? "connection timed out" : errno_reason(err);
  }
  ::freeaddrinfo(found);
  return unreachable(why);
}

Status Connection::send_all(const std::string& data, milliseconds timeout) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(m_fd.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(m_fd.get(), POLLOUT, timeout)) {
        return make_error(ErrorKind::timeout, "timed out sending the request");
      }
    } else {
      return unreachable(errno_reason(errno));
    }
  }
  return {};
}

Status Connection::receive(ResponseParser& parser, milliseconds timeout) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(m_fd.get(), buf, sizeof buf, 0);
    ResponseParser::Progress p;
    if (n > 0) {
      p = parser.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    } else if (n == 0) {
      p = parser.end_of_stream();
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_ready(m_fd.get(), POLLIN, timeout)) {
        return make_error(ErrorKind::timeout, "timed out waiting for an answer");
      }
      continue;
    } else {
      return unreachable(errno_reason(errno));
    }
    if (p == ResponseParser::Progress::done) {
      return {};
    }
    if (p == ResponseParser::Progress::bad) {
      return unreachable(parser.error());
    }
  }
}

bool Connection::closed_by_peer() const {
  // An idle kept-alive connection has nothing to read; readable means the
  // server closed it (or sent something unasked), so it cannot be used.
  pollfd p{m_fd.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

Result<HttpResponse> Connection::exchange(const std::string& request, bool head_request,
                                          bool idempotent, milliseconds io_timeout) {
  if (m_fd.valid() && closed_by_peer()) {
    close();
  }
  for (int attempt = 0;; ++attempt) {
    bool reused = m_fd.valid();
    if (!reused) {
      FNQ_TRY(open());
    }
    ResponseParser parser(head_request);
    Status outcome = send_all(request, io_timeout);
    if (outcome.ok()) {
      outcome = receive(parser, io_timeout);
    }
    if (outcome.ok()) {
      if (!parser.keep_alive()) {
        close();
      }
      return std::move(parser.response());
    }
    close();
    // A kept-alive connection closed by the server just as the request
    // went out. The server may have read and acted on it all the same, so
    // only a request that may be repeated is sent again.
    bool again = idempotent && reused && attempt == 0 && !parser.started() &&
                 outcome.error().kind != ErrorKind::timeout;
    if (!again) {
      return outcome.error();
    }
  }
}

}  // namespace http
}  // namespace fnq
