#include "daemon/api/http_server.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "daemon/api/http_loop.h"
#include "daemon/log.h"

namespace fnq {

namespace {

thread_local Exchange* t_exchange = nullptr;

constexpr std::string_view k_continue = "HTTP/1.1 100 Continue";

// One request's bytes as httplib's Stream; the answer is collected in out.
class MemoryStream final : public httplib::Stream {
 public:
  MemoryStream(const std::string& in, std::string& out, const std::string& peer_ip, int peer_port,
               const std::string& local_ip, int local_port)
      : m_in(in),
        m_out(out),
        m_peer_ip(peer_ip),
        m_local_ip(local_ip),
        m_peer_port(peer_port),
        m_local_port(local_port) {}

  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }

  // The end of the request's bytes is the end of the stream: a body that is
  // cut short there fails httplib's reader (400, or 413 past the limit).
  ssize_t read(char* ptr, std::size_t size) override {
    std::size_t n = std::min(size, m_in.size() - m_pos);
    std::memcpy(ptr, m_in.data() + m_pos, n);
    m_pos += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    // The loop invites the body itself, before the request is complete.
    if (m_out.empty() && std::string_view(ptr, size).substr(0, k_continue.size()) == k_continue) {
      return static_cast<ssize_t>(size);
    }
    m_out.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  using httplib::Stream::write;

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = m_peer_ip;
    port = m_peer_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = m_local_ip;
    port = m_local_port;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  const std::string& m_in;
  std::string& m_out;
  const std::string& m_peer_ip;
  const std::string& m_local_ip;
  int m_peer_port, m_local_port;
  std::size_t m_pos = 0;
};

// Sets t_exchange for the duration of one request.
class ExchangeScope {
 public:
  explicit ExchangeScope(Exchange& e) { t_exchange = &e; }
  ~ExchangeScope() { t_exchange = nullptr; }
  ExchangeScope(const ExchangeScope&) = delete;
  ExchangeScope& operator=(const ExchangeScope&) = delete;
};

// The reason phrase httplib writes for status.
const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: return "Internal Server Error";
  }
}

}  // namespace

Exchange* current_exchange() { return t_exchange; }

bool park_request(std::chrono::steady_clock::time_point deadline, std::shared_ptr<void> hold) {
  Exchange* e = t_exchange;
  if (e == nullptr || !e->wake) {
    return false;
  }
  e->parked = true;
  e->park_deadline = deadline;
  e->park_hold = std::move(hold);
  return true;
}

const std::function<void()>* park_wake() {
  Exchange* e = t_exchange;
  return e != nullptr && e->wake ? &e->wake : nullptr;
}

std::string HttpServer::format_answer(httplib::Response& res, bool close) const {
  if (close) {
    res.set_header("Connection", "close");
    res.headers.erase("Keep-Alive");
  } else {
    res.set_header("Keep-Alive", "timeout=" + std::to_string(keep_alive_timeout_sec_) +
                                     ", max=" + std::to_string(keep_alive_max_count_));
  }
  if (!res.has_header("Content-Type") && !res.body.empty()) {
    res.set_header("Content-Type", "text/plain");
  }
  res.set_header("Content-Length", std::to_string(res.body.size()));
  std::string out;
  out.reserve(256 + res.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += reason_phrase(res.status);
  out += "\r\n";
  for (const auto& [name, value] : res.headers) {  // httplib's order: by name, any case
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  out += res.body;
  return out;
}

HttpServer::HttpServer(HttpLimits limits, Metrics& metrics)
    : m_limits(std::move(limits)),
      m_metrics(metrics),
      m_stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!m_stop.valid()) {
    throw std::runtime_error("eventfd: " + errno_text(errno));
  }
  // Only advertised in the Keep-Alive header; the loop enforces them.
  set_keep_alive_max_count(1'000'000);
  set_keep_alive_timeout(std::max<time_t>(1, m_limits.idle_timeout.count() / 1000));
}

HttpServer::~HttpServer() {
  if (svr_sock_ != INVALID_SOCKET) {
    ::close(svr_sock_);
  }
}

int HttpServer::max_waiting_requests() const {
  return m_limits.threads - std::min(k_reserved_http_threads, m_limits.threads / 2);
}

bool HttpServer::widen_backlog() { return ::listen(svr_sock_, SOMAXCONN) == 0; }

bool HttpServer::listen_after_bind() {
  if (svr_sock_ == INVALID_SOCKET) {
    return false;
  }
  m_loop = std::make_unique<HttpLoop>(*this, svr_sock_, m_stop.get());
  m_running = true;
  m_loop->run();
  m_loop.reset();  // joins the workers
  ::close(svr_sock_);
  svr_sock_ = INVALID_SOCKET;
  m_running = false;
  return true;
}

void HttpServer::shut_down() {
  m_stopping = true;
  std::uint64_t one = 1;
  (void)!::write(m_stop.get(), &one, sizeof one);
}

HttpServer::Served HttpServer::serve_request(const std::string& bytes, const RequestHead& head,
                                             const std::string& peer_ip, int peer_port,
                                             const std::string& local_ip, int local_port,
                                             bool close_in, Parking parking) {
  Served served;
  std::optional<std::string> unranged;  // see without_range_header
  if (head.headers.count("Range") > 0) {
    if (auto end = bytes.find("\r\n\r\n"); end != std::string::npos) {
      unranged = without_range_header(bytes, end + 4);
    }
  }
  MemoryStream stream(unranged ? *unranged : bytes, served.answer, peer_ip, peer_port, local_ip,
                      local_port);
  Exchange exchange;
  exchange.peer = peer_ip + ":" + std::to_string(peer_port);
  exchange.wake = std::move(parking.wake);
  exchange.resumed_deadline = parking.resumed_deadline;
  exchange.resumed_note = std::move(parking.resumed_note);
  bool closed_by_client = false;
  bool ok;
  {
    ExchangeScope scope(exchange);
    ok = process_request(stream, close_in, closed_by_client, [&](httplib::Request& req) {
      install_headers(head, req);
      if (head.refusal) {
        exchange.refusal_status = head.refusal->status;
        exchange.refusal = head.refusal->message;
      }
    });
  }
  if (exchange.parked) {
    served.parked = true;
    served.park_deadline = exchange.park_deadline;
    served.park_hold = std::move(exchange.park_hold);
    served.park_note = std::move(exchange.park_note);
    served.answer.clear();  // dropped: the request is served again
    return served;
  }
  served.close = !ok || close_in || closed_by_client || exchange.close;
  served.give_back_memory = exchange.give_back_memory;
  return served;
}

}  // namespace fnq
