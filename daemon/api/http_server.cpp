#include "daemon/api/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "common/model.h"
#include "daemon/api/request_head.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "fnq/version.h"

namespace fnq {

namespace {

using Clock = std::chrono::steady_clock;

constexpr Millis k_linger{1'000};

thread_local Exchange* t_exchange = nullptr;

Clock::time_point deadline_after(Millis d) {
  return d.count() > 0 ? Clock::now() + d : Clock::time_point::max();
}

std::string address_text(const sockaddr_storage& addr, int* port) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
    *port = ntohs(a.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    *port = ntohs(a.sin6_port);
  }
  return text;
}

enum class Wait { ready, timeout, stopped, failed };

// Waits for events on sock until the deadline, or until stop_fd is readable.
Wait wait_for(int sock, short events, int stop_fd, Clock::time_point deadline) {
  for (;;) {
    int ms = -1;
    if (deadline != Clock::time_point::max()) {
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
      if (left <= 0) {
        return Wait::timeout;
      }
      ms = static_cast<int>(std::min<long long>(left + 1, 60'000));
    }
    pollfd fds[2] = {{sock, events, 0}, {stop_fd, POLLIN, 0}};
    int n = ::poll(fds, stop_fd >= 0 ? 2 : 1, ms);
    if (n < 0 && errno != EINTR) {
      return Wait::failed;
    }
    if (n > 0 && stop_fd >= 0 && (fds[1].revents & POLLIN)) {
      return Wait::stopped;
    }
    if (n > 0 && fds[0].revents) {
      return Wait::ready;
    }
  }
}

// Why the connection layer ended a request.
enum class CutOff { none, read_timeout, headers_too_large, stopped };

// One client connection as httplib's Stream: buffered reads under the
// request's read deadline, writes under the answer's write deadline.
class Connection final : public httplib::Stream {
 public:
  Connection(int sock, const HttpLimits& limits, int stop_fd)
      : m_sock(sock), m_limits(limits), m_stop_fd(stop_fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      m_peer_ip = address_text(addr, &m_peer_port);
    }
    len = sizeof addr;
    if (::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      m_local_ip = address_text(addr, &m_local_port);
    }
  }

  std::string peer() const { return m_peer_ip + ":" + std::to_string(m_peer_port); }
  CutOff cut_off() const { return m_cut_off; }
  bool write_timed_out() const { return m_write_timed_out; }

  // Waits for the first byte of the next request (or for the client to
  // close): false when idle too long, gone, or the server is stopping.
  bool wait_for_request() {
    if (m_pos < m_len) {
      return true;
    }
    return wait_for(m_sock, POLLIN, m_stop_fd, deadline_after(m_limits.idle_timeout)) ==
           Wait::ready;
  }

  // The read deadline runs from the request's first byte.
  void begin_request() {
    m_read_deadline = deadline_after(m_limits.read_timeout);
    m_header_bytes = 0;
    m_raw_head.clear();
    m_in_headers = true;
    m_cut_off = CutOff::none;
  }
  void end_of_headers() { m_in_headers = false; }
  // The request line and headers as read: httplib reads them a byte at a
  // time, so this is exactly the header block, never part of the body.
  const std::string& raw_head() const { return m_raw_head; }

  bool is_readable() const override {
    return m_pos < m_len || wait_for(m_sock, POLLIN, m_stop_fd, m_read_deadline) == Wait::ready;
  }

  bool is_writable() const override {
    return m_cut_off == CutOff::none &&
           wait_for(m_sock, POLLOUT, -1, deadline_after(m_limits.write_timeout)) == Wait::ready;
  }

  ssize_t read(char* ptr, std::size_t size) override {
    if (m_cut_off != CutOff::none) {
      return -1;
    }
    m_write_deadline.reset();  // an answer's deadline starts after the last read
    if (m_pos == m_len && !fill()) {
      return m_eof ? 0 : -1;
    }
    std::size_t n = std::min(size, m_len - m_pos);
    std::memcpy(ptr, m_buf.data() + m_pos, n);
    m_pos += n;
    if (m_in_headers && (m_header_bytes += n) > m_limits.max_header_bytes) {
      cut(CutOff::headers_too_large);
      return -1;
    }
    if (m_in_headers) {
      m_raw_head.append(ptr, n);
    }
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    if (m_cut_off != CutOff::none) {
      return -1;  // httplib's own answer is replaced by the cut-off answer
    }
    return send_all(ptr, size);
  }
  using httplib::Stream::write;

  // Bypasses the cut-off check: the connection layer's own answer.
  bool write_raw(const std::string& data) {
    return send_all(data.data(), data.size()) == static_cast<ssize_t>(data.size());
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = m_peer_ip;
    port = m_peer_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = m_local_ip;
    port = m_local_port;
  }
  socket_t socket() const override { return m_sock; }

  // Sends our FIN, then reads and drops what the client still sends for a
  // moment: closing with unread input would send a reset, and the client
  // could lose the answer it has not read yet.
  void linger() {
    ::shutdown(m_sock, SHUT_WR);
    auto deadline =
        Clock::now() +
        std::min(k_linger, m_limits.read_timeout.count() > 0 ? m_limits.read_timeout : k_linger);
    char scratch[4096];
    while (wait_for(m_sock, POLLIN, m_stop_fd, deadline) == Wait::ready) {
      if (::recv(m_sock, scratch, sizeof scratch, 0) <= 0) {
        break;
      }
    }
  }

 private:
  void cut(CutOff why) {
    m_cut_off = why;
    if (Exchange* e = current_exchange()) {
      e->cut_off = true;  // httplib's answer is not sent, so not counted
    }
  }

  bool fill() {
    Wait w = wait_for(m_sock, POLLIN, m_stop_fd, m_read_deadline);
    if (w != Wait::ready) {
      if (w == Wait::timeout) {
        cut(CutOff::read_timeout);
      } else if (w == Wait::stopped) {
        cut(CutOff::stopped);  // no answer: the daemon is going away
      }
      return false;
    }
    ssize_t n;
    do {
      n = ::recv(m_sock, m_buf.data(), m_buf.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      m_eof = n == 0;
      return false;
    }
    m_pos = 0;
    m_len = static_cast<std::size_t>(n);
    return true;
  }

  ssize_t send_all(const char* ptr, std::size_t size) {
    if (!m_write_deadline) {
      m_write_deadline = deadline_after(m_limits.write_timeout);
    }
    std::size_t sent = 0;
    while (sent < size) {
      ssize_t n = ::send(m_sock, ptr + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // Not interrupted by shut_down(): an answer being written is finished.
        Wait w = wait_for(m_sock, POLLOUT, -1, *m_write_deadline);
        if (w == Wait::ready) {
          continue;
        }
        m_write_timed_out = w == Wait::timeout;
      }
      return -1;
    }
    return static_cast<ssize_t>(size);
  }

  int m_sock;
  const HttpLimits& m_limits;
  int m_stop_fd;
  std::string m_peer_ip, m_local_ip;
  int m_peer_port = 0, m_local_port = 0;
  std::array<char, 16 * 1024> m_buf{};
  std::size_t m_pos = 0, m_len = 0;
  bool m_eof = false;
  Clock::time_point m_read_deadline = Clock::time_point::max();
  std::optional<Clock::time_point> m_write_deadline;
  std::size_t m_header_bytes = 0;
  std::string m_raw_head;
  bool m_in_headers = false;
  CutOff m_cut_off = CutOff::none;
  bool m_write_timed_out = false;
};

std::string cut_off_answer(int status, const char* reason, const std::string& message) {
  std::string body = json{{"error", message}}.dump() + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\nX-Fnq-Version: " + k_version + "\r\n\r\n" + body;
}

// The connection layer's own answer (408, 431): httplib's was held back.
void answer_cut_off(Connection& conn, const std::string& peer, const HttpLimits& limits,
                    Metrics& metrics) {
  bool timeout = conn.cut_off() == CutOff::read_timeout;
  int status = timeout ? 408 : 431;
  std::string message =
      timeout ? "request not read within " + format_duration(limits.read_timeout) +
                    " (--read-timeout); send it faster"
              : "request line and headers over " + format_size(limits.max_header_bytes);
  conn.write_raw(cut_off_answer(
      status, timeout ? "Request Timeout" : "Request Header Fields Too Large", message));
  log_line("request from " + peer + ": " + std::to_string(status) + " " + message);
  metrics.http_request("limits", status);
  conn.linger();
}

// Gives req the header values as sent; a refused header block is answered
// in pre-routing.
void take_raw_headers(const std::string& raw, httplib::Request& req, Exchange& exchange) {
  RequestHead head = parse_request_head(raw);
  install_headers(head, req);
  if (head.refusal) {
    exchange.refusal_status = head.refusal->status;
    exchange.refusal = head.refusal->message;
  }
}

// Sets t_exchange for the duration of one request.
class ExchangeScope {
 public:
  explicit ExchangeScope(Exchange& e) { t_exchange = &e; }
  ~ExchangeScope() { t_exchange = nullptr; }
  ExchangeScope(const ExchangeScope&) = delete;
  ExchangeScope& operator=(const ExchangeScope&) = delete;
};

}  // namespace

Exchange* current_exchange() { return t_exchange; }

HttpServer::HttpServer(HttpLimits limits, Metrics& metrics)
    : m_limits(limits), m_metrics(metrics), m_stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!m_stop.valid()) {
    throw std::runtime_error("eventfd: " + errno_text(errno));
  }
  auto threads = static_cast<std::size_t>(m_limits.threads);
  new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  set_tcp_nodelay(true);  // else every answer waits ~40ms for a delayed ACK
  // Only advertised in the Keep-Alive header; the loop below enforces them.
  set_keep_alive_max_count(1'000'000);
  set_keep_alive_timeout(std::max<time_t>(1, m_limits.idle_timeout.count() / 1000));
}

HttpServer::~HttpServer() = default;

int HttpServer::max_waiting_requests() const {
  return m_limits.threads - std::min(k_reserved_http_threads, m_limits.threads / 2);
}

bool HttpServer::busy() const { return m_connections.load() >= max_waiting_requests(); }

bool HttpServer::widen_backlog() { return ::listen(svr_sock_, SOMAXCONN) == 0; }

void HttpServer::shut_down() {
  m_stopping = true;
  std::uint64_t one = 1;
  ssize_t n = ::write(m_stop.get(), &one, sizeof one);
  (void)n;
  stop();  // httplib: closes the listening socket, then joins the pool
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  Fd owned(sock);
  ++m_connections;
  Connection conn(sock, m_limits, m_stop.get());
  while (!m_stopping && conn.wait_for_request()) {
    conn.begin_request();
    Exchange exchange;
    exchange.peer = conn.peer();
    // Past the reserve, answers close their connection: idle keep-alive
    // connections must not hold the threads that waiting clients need.
    bool close = busy() || m_stopping;
    bool closed_by_client = false;
    bool ok;
    {
      ExchangeScope scope(exchange);
      ok = process_request(conn, close, closed_by_client, [&](httplib::Request& req) {
        conn.end_of_headers();
        take_raw_headers(conn.raw_head(), req, exchange);
      });
    }
    if (conn.cut_off() == CutOff::stopped) {
      break;
    }
    if (conn.cut_off() != CutOff::none) {
      answer_cut_off(conn, exchange.peer, m_limits, m_metrics);
      break;
    }
    if (conn.write_timed_out()) {
      log_line("answer to " + exchange.peer + " not written within " +
               format_duration(m_limits.write_timeout) + " (--write-timeout); connection closed");
      break;
    }
    if (exchange.close) {
      conn.linger();  // the request's body may be unread
      break;
    }
    if (!ok || close || closed_by_client) {
      break;
    }
  }
  --m_connections;
  ::shutdown(sock, SHUT_RDWR);
  return true;
}

}  // namespace fnq
