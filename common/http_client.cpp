#include "common/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fnq/version.h"

namespace fnq {

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strcasecmp(k.c_str(), name.c_str()) == 0) {
      return v;
    }
  }
  return {};
}

namespace http {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Digits only, no sign, no overflow.
bool parse_decimal(std::string_view s, std::size_t* out) {
  if (s.empty() || s.size() > 18) {
    return false;
  }
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  *out = v;
  return true;
}

bool parse_hex(std::string_view s, std::size_t* out) {
  if (s.empty() || s.size() > 15) {
    return false;
  }
  std::size_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = v * 16 + static_cast<std::size_t>(d);
  }
  *out = v;
  return true;
}

bool has_control(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

Error unreachable(std::string why) { return make_error(ErrorKind::unavailable, std::move(why)); }

std::string errno_reason(int err) {
  if (err == ECONNREFUSED) {
    return "connection refused";
  }
  std::string text = std::strerror(err);
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
  std::string_view s = text;
  auto bad = [&text](const std::string& why) {
    return make_error(ErrorKind::invalid_input, "bad fnqd URL '" + text + "': " + why);
  };
  if (s.size() >= 8 && iequals(s.substr(0, 8), "https://")) {
    return bad("fnq speaks plain HTTP to fnqd; to reach a remote daemon, tunnel its port "
               "(ssh -L 7850:127.0.0.1:7850 host) and use http://127.0.0.1:7850");
  }
  if (s.size() >= 7 && iequals(s.substr(0, 7), "http://")) {
    s.remove_prefix(7);
  } else if (s.find("://") != std::string_view::npos) {
    return bad("only http:// URLs are supported");
  }
  Url url;
  auto slash = s.find('/');
  std::string_view authority = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = s.substr(slash);
    while (!path.empty() && path.back() == '/') {
      path.remove_suffix(1);
    }
    if (path.find_first_of("?# ") != std::string_view::npos || has_control(path)) {
      return bad("the path may not hold a query, a fragment or spaces");
    }
    url.base_path = std::string(path);
  }
  if (authority.find('@') != std::string_view::npos) {
    return bad("credentials in the URL are not supported; use --token-file");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return bad("unclosed '[' in the host");
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return bad("expected ':' after ']'");
      }
      port = rest.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
  }
  if (url.host.empty()) {
    return bad("no host");
  }
  if (url.host.find_first_of(" \t\r\n") != std::string::npos) {
    return bad("spaces in the host");
  }
  std::size_t number = 80;
  if (!port.empty() && (!parse_decimal(port, &number) || number == 0 || number > 65535)) {
    return bad("the port must be a number from 1 to 65535");
  }
  url.port = std::to_string(number);
  url.authority = std::string(authority);
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

// --- ResponseParser ---

ResponseParser::Progress ResponseParser::fail(std::string why) {
  m_phase = Phase::bad;
  m_keep_alive = false;
  m_error = std::move(why);
  return Progress::bad;
}

void ResponseParser::take_body(std::size_t n) {
  m_response.body.append(m_buf, 0, n);
  m_buf.erase(0, n);
}

bool ResponseParser::take_remaining() {
  std::size_t n = std::min(m_remaining, m_buf.size());
  take_body(n);
  m_remaining -= n;
  return m_remaining == 0;
}

bool ResponseParser::parse_head(std::string_view head) {
  auto eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" || status_line[8] != ' ') {
    fail("not an HTTP response");
    return false;
  }
  std::string_view version = status_line.substr(5, 3);
  std::size_t code = 0;
  if (!parse_decimal(status_line.substr(9, 3), &code) || code < 100 || code > 999 ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    fail("bad status line");
    return false;
  }
  m_response = HttpResponse{};
  m_response.status = static_cast<int>(code);
  m_keep_alive = version == "1.1";
  bool chunked = false;
  bool has_length = false;
  std::size_t length = 0;
  std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) {
      end = head.size();
    }
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      fail("malformed header line");
      return false;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      std::size_t n = 0;
      if (!parse_decimal(value, &n) || (has_length && n != length)) {
        fail("bad Content-Length");
        return false;
      }
      has_length = true;
      length = n;
    } else if (iequals(name, "Transfer-Encoding")) {
      auto last = value.rfind(',');
      chunked = iequals(trim(last == std::string_view::npos ? value : value.substr(last + 1)),
                        "chunked");
    } else if (iequals(name, "Connection")) {
      if (iequals(value, "close")) {
        m_keep_alive = false;
      } else if (iequals(value, "keep-alive")) {
        m_keep_alive = version == "1.1" || version == "1.0";
      }
    }
    m_response.headers.emplace(std::string(name), std::string(value));
  }
  if (code < 200) {
    m_phase = Phase::head;  // 100 Continue and friends: the real answer follows
  } else if (m_head_request || code == 204 || code == 304) {
    m_phase = Phase::done;
  } else if (chunked) {
    m_phase = Phase::chunk_size;
  } else if (has_length) {
    m_remaining = length;
    m_phase = length == 0 ? Phase::done : Phase::length;
  } else {
    m_keep_alive = false;
    m_phase = Phase::until_close;
  }
  return true;
}

ResponseParser::Progress ResponseParser::feed(std::string_view data) {
  if (m_phase == Phase::done || m_phase == Phase::bad) {
    if (!data.empty()) {
      m_keep_alive = false;  // bytes after the answer: do not reuse this connection
    }
    return m_phase == Phase::done ? Progress::done : Progress::bad;
  }
  m_started = m_started || !data.empty();
  m_buf.append(data);
  return advance();
}

ResponseParser::Progress ResponseParser::advance() {
  for (;;) {
    switch (m_phase) {
      case Phase::head: {
        auto end = m_buf.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (m_buf.size() > k_max_head_bytes) {
            return fail("response headers over " + std::to_string(k_max_head_bytes) + " bytes");
          }
          return Progress::more;
        }
        if (end > k_max_head_bytes) {
          return fail("response headers over " + std::to_string(k_max_head_bytes) + " bytes");
        }
        if (!parse_head(std::string_view(m_buf).substr(0, end))) {
          return Progress::bad;
        }
        m_buf.erase(0, end + 4);
        break;
      }
      case Phase::length:
        if (!take_remaining()) {
          return Progress::more;
        }
        m_phase = Phase::done;
        break;
      case Phase::chunk_size: {
        auto eol = m_buf.find("\r\n");
        if (eol == std::string::npos) {
          return m_buf.size() > 1024 ? fail("chunk size line too long") : Progress::more;
        }
        std::string_view line = std::string_view(m_buf).substr(0, eol);
        line = trim(line.substr(0, line.find(';')));  // chunk extensions are ignored
        std::size_t size = 0;
        if (!parse_hex(line, &size)) {
          return fail("bad chunk size");
        }
        m_buf.erase(0, eol + 2);
        m_remaining = size;
        m_phase = size == 0 ? Phase::trailers : Phase::chunk_data;
        break;
      }
      case Phase::chunk_data:
        if (!take_remaining()) {
          return Progress::more;
        }
        m_phase = Phase::chunk_end;
        break;
      case Phase::chunk_end:
        if (m_buf.size() < 2) {
          return Progress::more;
        }
        if (m_buf.compare(0, 2, "\r\n") != 0) {
          return fail("chunk not followed by CRLF");
        }
        m_buf.erase(0, 2);
        m_phase = Phase::chunk_size;
        break;
      case Phase::trailers: {
        auto eol = m_buf.find("\r\n");
        if (eol == std::string::npos) {
          return m_buf.size() > k_max_head_bytes ? fail("trailers too long") : Progress::more;
        }
        m_buf.erase(0, eol + 2);
        if (eol == 0) {
          m_phase = Phase::done;
        }
        break;
      }
      case Phase::until_close:
        take_body(m_buf.size());
        return Progress::more;
      case Phase::done:
        if (!m_buf.empty()) {
          m_keep_alive = false;
        }
        return Progress::done;
      case Phase::bad:
        return Progress::bad;
    }
  }
}

ResponseParser::Progress ResponseParser::end_of_stream() {
  m_keep_alive = false;
  switch (m_phase) {
    case Phase::until_close:
      m_phase = Phase::done;
      return Progress::done;
    case Phase::done:
      return Progress::done;
    case Phase::bad:
      return Progress::bad;
    default:
      return fail(m_started ? "fnqd closed the connection in the middle of an answer"
                            : "fnqd closed the connection without answering");
  }
}

// --- Connection ---

Connection::Connection(Url url, milliseconds connect_timeout)
    : m_url(std::move(url)), m_connect_timeout(connect_timeout) {}

Connection::~Connection() { close(); }

void Connection::close() {
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

Status Connection::open() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;  // not AI_ADDRCONFIG: a host with only loopback would find nothing
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(m_url.host.c_str(), m_url.port.c_str(), &hints, &found);
  if (rc != 0) {
    return unreachable("cannot resolve " + m_url.host + ": " + ::gai_strerror(rc));
  }
  std::string why = "no address for " + m_url.host;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      why = errno_reason(errno);
      continue;
    }
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        err = ETIMEDOUT;
        if (wait_ready(fd, POLLOUT, m_connect_timeout)) {
          socklen_t len = sizeof err;
          if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
          }
        }
      }
    }
    if (err == 0) {
      int one = 1;
      // Else each request waits ~40 ms for a delayed ACK.
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      m_fd = fd;
      ::freeaddrinfo(found);
      return {};
    }
    why = err == ETIMEDOUT ? "connection timed out" : errno_reason(err);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return unreachable(why);
}

Status Connection::send_all(const std::string& data, milliseconds timeout) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(m_fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(m_fd, POLLOUT, timeout)) {
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
    ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
    ResponseParser::Progress p;
    if (n > 0) {
      p = parser.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    } else if (n == 0) {
      p = parser.end_of_stream();
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_ready(m_fd, POLLIN, timeout)) {
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
  pollfd p{m_fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

Result<HttpResponse> Connection::exchange(const std::string& request, bool head_request,
                                          bool idempotent, milliseconds io_timeout) {
  if (m_fd >= 0 && closed_by_peer()) {
    close();
  }
  for (int attempt = 0;; ++attempt) {
    bool reused = m_fd >= 0;
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
