#include "daemon/api/http_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/model.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "fnq/version.h"

namespace fnq {

namespace {

using Clock = HttpLoop::Clock;

constexpr Millis k_linger{1'000};
constexpr Millis k_tick{100};  // how often deadlines are checked
// Requests read ahead on one connection (pipelined) before reading pauses.
constexpr std::size_t k_max_pipelined = 16;
// Descriptors kept for the store, the executor's pipes and the log.
constexpr rlim_t k_reserved_fds = 256;
constexpr int k_listen_tag = -1;
constexpr int k_stop_tag = -2;
constexpr int k_wake_tag = -3;

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

// Raises the soft RLIMIT_NOFILE to the hard one; returns how many
// connections fit under it.
int connections_that_fit(int wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return wanted;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &lim);
    (void)::getrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur == RLIM_INFINITY) {
    return wanted;
  }
  rlim_t room =
      lim.rlim_cur > 2 * k_reserved_fds ? lim.rlim_cur - k_reserved_fds : lim.rlim_cur / 2;
  return static_cast<int>(std::min<rlim_t>(static_cast<rlim_t>(wanted), room));
}

void add_to_epoll(int epoll_fd, int fd, std::uint32_t events, int tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = tag;
  (void)::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

}  // namespace

HttpLoop::Clock::time_point HttpLoop::after(Millis d) {
  return d.count() > 0 ? Clock::now() + d : Clock::time_point::max();
}

bool HttpLoop::answer_closes(const Request& r, const Conn& c) const {
  return r.close_after || c.closing || m_server.m_stopping.load();
}

// {"error": message}, closing the connection: the connection layer's own
// answers (408, 431, a failed loop answer), as format_answer writes any.
std::string HttpLoop::error_answer(int status, const std::string& message) const {
  httplib::Response res;
  res.status = status;
  res.set_content(json{{"error", message}}.dump() + "\n", "application/json");
  res.set_header("X-Fnq-Version", k_version);
  return m_server.format_answer(res, true);
}

HttpLoop::HttpLoop(HttpServer& server, int listen_fd, int stop_fd)
    : m_server(server),
      m_limits(server.limits()),
      m_listen_fd(listen_fd),
      m_stop_fd(stop_fd),
      m_epoll(::epoll_create1(EPOLL_CLOEXEC)),
      m_wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      m_max_connections(connections_that_fit(server.limits().max_connections)),
      m_max_parked(std::max(1, m_max_connections / 2)) {
  if (!m_epoll.valid() || !m_wake.valid()) {
    throw std::runtime_error("epoll: " + errno_text(errno));
  }
  m_framing.max_header_bytes = m_limits.max_header_bytes;
  m_framing.max_body = m_limits.max_body;
  m_framing.answered_without_body = m_limits.answered_without_body;
  ::fcntl(listen_fd, F_SETFL, ::fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
  add_to_epoll(m_epoll.get(), m_listen_fd, EPOLLIN, k_listen_tag);
  add_to_epoll(m_epoll.get(), m_stop_fd, EPOLLIN, k_stop_tag);
  add_to_epoll(m_epoll.get(), m_wake.get(), EPOLLIN, k_wake_tag);
  start_workers();
}

HttpLoop::~HttpLoop() {
  release_parked();
  stop_workers();
}

// The subscriptions of parked requests hold wakes that reach this loop:
// released before it goes (run() ends with none parked, but not after an
// epoll failure). Released without a lock, as a release takes the watch's.
void HttpLoop::release_parked() {
  std::vector<std::shared_ptr<void>> holds;
  for (const auto& [fd, c] : m_conns) {
    std::lock_guard<std::mutex> lock(c->mutex);
    holds.push_back(std::move(c->park_hold));
    holds.push_back(std::move(c->woken_hold));
    c->park_attempt++;  // a wake running now is stale
  }
  holds.clear();
}

void HttpLoop::run() {
  std::vector<epoll_event> events(256);
  while (!m_stopping || !m_conns.empty()) {
    int timeout = m_conns.empty() && m_accepting ? -1 : static_cast<int>(k_tick.count());
    int n = ::epoll_wait(m_epoll.get(), events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) {
      log_line("epoll_wait: " + errno_text(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      on_event(events[static_cast<std::size_t>(i)]);
    }
    take_handbacks();
    take_loop_answers();
    if (Clock::now() - m_last_check >= k_tick) {
      check_deadlines();
    }
  }
}

void HttpLoop::on_event(const epoll_event& ev) {
  if (ev.data.fd == k_listen_tag) {
    accept_all();
    return;
  }
  if (ev.data.fd == k_stop_tag) {
    begin_stop();
    return;
  }
  if (ev.data.fd == k_wake_tag) {
    std::uint64_t count;
    (void)!::read(m_wake.get(), &count, sizeof count);
    return;
  }
  auto it = m_conns.find(ev.data.fd);
  if (it == m_conns.end()) {
    return;
  }
  ConnPtr c = it->second;
  if (ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    read_from(c);
  }
  if ((ev.events & (EPOLLHUP | EPOLLERR)) && !c->gone) {
    broken(c);
    return;
  }
  if (!c->gone && (ev.events & EPOLLOUT)) {
    progress(c);
  }
}

// Reset, or shut both ways: nothing more can be read or sent. epoll reports
// this whatever it is asked, so the socket is no longer watched (else each
// epoll_wait would return at once until its owner lets it go). A request
// parked for a long poll goes to a worker now, which drops it.
void HttpLoop::broken(const ConnPtr& c) {
  (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, c->fd.get(), nullptr);
  c->events = 0;
  c->read_done = true;
  {
    std::lock_guard<std::mutex> lock(c->mutex);
    c->failed = true;
  }
  resume_if_parked(c);
  progress(c);  // closes it, when the loop owns it
}

void HttpLoop::accept_all() {
  while (m_accepting && !m_stopping) {
    if (static_cast<int>(m_conns.size()) >= m_max_connections && !make_room()) {
      // Full of connections being served: refuse this one.
      int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        return;
      }
      ::close(fd);
      continue;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd = ::accept4(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        if (!make_room()) {
          m_accepting = false;  // try again at the next tick
          m_accept_again = Clock::now() + k_tick;
          epoll_event none{};
          (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, m_listen_fd, &none);
        }
        continue;
      }
      return;  // EAGAIN, or a connection that went away before accept
    }
    auto c = std::make_shared<Conn>();
    c->fd = Fd(fd);
    c->peer_ip = address_text(addr, &c->peer_port);
    len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      c->local_ip = address_text(addr, &c->local_port);
    }
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    c->last_active = Clock::now();
    c->events = EPOLLIN;
    add_to_epoll(m_epoll.get(), fd, EPOLLIN, fd);
    m_conns.emplace(fd, c);
    ++m_server.m_connections;
  }
}

// Closes the least recently active connection that no worker serves and
// that has no answer to write; false when there is none.
bool HttpLoop::make_room() {
  ConnPtr oldest;
  for (const auto& [fd, c] : m_conns) {
    std::lock_guard<std::mutex> lock(c->mutex);
    if (c->owner != Owner::loop || !c->ready.empty() || c->out_pos < c->out.size()) {
      continue;
    }
    if (!oldest || c->last_active < oldest->last_active) {
      oldest = c;
    }
  }
  if (oldest) {
    close_conn(oldest);
  }
  return oldest != nullptr;
}

void HttpLoop::read_from(const ConnPtr& c) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(c->fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    }
    if (n <= 0) {
      on_eof(c);
      return;
    }
    c->last_active = Clock::now();
    if (c->lingering || c->read_done) {
      continue;  // dropped: after an answer that closes, or while stopping
    }
    if (c->in.empty()) {
      c->first_byte = c->last_active;
    }
    c->in.append(buf, static_cast<std::size_t>(n));
    frame_all(c);
    if (c->gone || c->events == 0 || !(c->events & EPOLLIN)) {
      return;
    }
    if (static_cast<std::size_t>(n) < sizeof buf) {
      break;
    }
  }
}

void HttpLoop::frame_all(const ConnPtr& c) {
  while (!c->in.empty() && !c->read_done) {
    Framed f = frame_request(c->in, m_framing, &c->scanned);
    if (f.state == Framed::State::headers_too_large) {
      cut_off(c, 431, "request line and headers over " + format_size(m_limits.max_header_bytes));
      return;
    }
    if (f.state == Framed::State::incomplete) {
      if (f.expects_continue && !c->sent_continue) {
        invite_body(c);
      }
      return;
    }
    Request r{c->in.substr(0, f.size), std::move(f.head), f.close_after, std::nullopt, {}};
    c->in.erase(0, f.size);
    c->scanned = 0;
    c->sent_continue = false;
    c->first_byte = Clock::now();
    c->read_done = r.close_after;
    bool pause = false, start = false;
    {
      std::lock_guard<std::mutex> lock(c->mutex);
      c->ready.push_back(std::move(r));
      pause = c->ready.size() >= k_max_pipelined;
      c->paused = pause;
      if (c->owner == Owner::loop && c->out_pos >= c->out.size()) {
        c->owner = Owner::worker;
        start = true;
      }
    }
    if (pause || c->read_done) {
      set_events(*c, c->events & ~static_cast<std::uint32_t>(EPOLLIN));
    }
    if (start) {
      dispatch(c);
    }
    if (pause) {
      return;
    }
  }
}

void HttpLoop::on_eof(const ConnPtr& c) {
  set_events(*c, c->events & ~static_cast<std::uint32_t>(EPOLLIN));
  if (c->lingering) {
    close_conn(c);
    return;
  }
  bool idle;
  {
    std::lock_guard<std::mutex> lock(c->mutex);
    // What was sent before the client closed its side is still answered
    // (a partial request as httplib answers it: 400, or nothing).
    if (!c->in.empty() && !c->read_done) {
      RequestHead head = parse_request_head(c->in);  // a body cut short fails to read
      c->ready.push_back(Request{std::move(c->in), std::move(head), true, std::nullopt, {}});
      c->in.clear();
    }
    c->closing = c->closing || c->ready.empty();
    idle = c->owner == Owner::loop && c->ready.empty() && c->out_pos >= c->out.size();
  }
  c->read_done = true;
  if (idle) {
    close_conn(c);
  } else {
    progress(c);
  }
}

// Expect: 100-continue, sent when the loop owns the connection and has
// nothing before it to write (a pipelined request's body is read ahead anyway).
void HttpLoop::invite_body(const ConnPtr& c) {
  std::lock_guard<std::mutex> lock(c->mutex);
  if (c->owner == Owner::loop && c->ready.empty() && c->out_pos >= c->out.size()) {
    c->sent_continue = true;
    c->out = "HTTP/1.1 100 Continue\r\n\r\n";
    c->out_pos = 0;
    if (!write_out(*c)) {
      c->failed = true;
    }
    if (c->out_pos >= c->out.size()) {
      c->out.clear();
      c->out_pos = 0;
    }
  }
}

// The connection layer's own answer (408, 431); the request is not served.
void HttpLoop::cut_off(const ConnPtr& c, int status, const std::string& message) {
  c->read_done = true;
  c->in.clear();
  m_server.m_metrics.http_request("limits", status);
  log_line("request from " + c->peer() + ": " + std::to_string(status) + " " + message);
  {
    std::lock_guard<std::mutex> lock(c->mutex);
    if (c->owner != Owner::loop) {
      c->closing = true;  // after the answer being served; this request is dropped
      return;
    }
    c->out = error_answer(status, message);
    c->out_pos = 0;
    c->write_deadline = after(m_limits.write_timeout);
    c->closing = true;
  }
  progress(c);
}

// Moves a connection the loop owns on: writes its pending answer, hands its
// next request to a worker, or closes it.
void HttpLoop::progress(const ConnPtr& c) {
  if (c->gone) {
    return;
  }
  enum { wait, dispatch_next, linger, close, resume } next = wait;
  {
    std::lock_guard<std::mutex> lock(c->mutex);
    if (c->owner != Owner::loop) {
      return;
    }
    if (!c->failed && c->out_pos < c->out.size() && !write_out(*c)) {
      c->failed = true;
    }
    if (c->failed) {
      next = close;
    } else if (c->out_pos < c->out.size()) {
      next = wait;
    } else if (c->closing) {
      next = linger;
    } else if (!c->ready.empty()) {
      c->owner = Owner::worker;
      next = dispatch_next;
    } else if (c->read_done) {
      next = close;
    } else {
      c->paused = false;
      c->answered_at = Clock::now();
      next = resume;
    }
    if (next != wait) {
      c->out.clear();
      c->out_pos = 0;
      c->write_deadline = Clock::time_point::max();
    }
  }
  switch (next) {
    case wait: set_events(*c, (c->events | EPOLLOUT)); break;
    case dispatch_next: dispatch(c); break;
    case linger: start_linger(c); break;
    case close: close_conn(c); break;
    case resume: set_events(*c, EPOLLIN); break;
  }
}

// Writes what the socket takes now; false when the connection is broken.
bool HttpLoop::write_out(Conn& c) {
  while (c.out_pos < c.out.size()) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_pos, c.out.size() - c.out_pos,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_pos += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  }
  return true;
}

void HttpLoop::set_events(Conn& c, std::uint32_t events) {
  if (c.gone || events == c.events) {
    return;
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = c.fd.get();
  (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
  c.events = events;
}

// Sends our FIN, then reads and drops what the client still sends for a
// moment: closing with unread input would send a reset, and the client
// could lose the answer it has not read yet.
void HttpLoop::start_linger(const ConnPtr& c) {
  ::shutdown(c->fd.get(), SHUT_WR);
  c->lingering = true;
  c->read_done = true;
  c->in.clear();
  Millis wait =
      m_limits.read_timeout.count() > 0 ? std::min(k_linger, m_limits.read_timeout) : k_linger;
  c->linger_until = Clock::now() + wait;
  set_events(*c, EPOLLIN);
}

void HttpLoop::close_conn(const ConnPtr& c) {
  if (c->gone) {
    return;
  }
  (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, c->fd.get(), nullptr);
  ::shutdown(c->fd.get(), SHUT_RDWR);
  c->gone = true;
  m_conns.erase(c->fd.get());
  --m_server.m_connections;
}

// On the loop's thread, which owns c for the moment (as a worker would).
bool HttpLoop::answer_on_loop(const ConnPtr& c) {
  Request r;
  bool close;
  {
    std::lock_guard<std::mutex> lock(c->mutex);
    r = std::move(c->ready.front());
    c->ready.pop_front();
    // The client's Connection: close as httplib reads it: exactly "close".
    close = answer_closes(r, *c) || header_value(r.head.headers, "Connection") == "close";
  }
  // The body: what follows the head, when it is exactly Content-Length
  // bytes (the framing checked the value; a request cut short by the
  // client's close is left to httplib, which answers it 400).
  std::string_view bytes(r.bytes);
  auto head_end = bytes.find("\r\n\r\n");
  std::string_view body =
      head_end == std::string_view::npos ? std::string_view() : bytes.substr(head_end + 4);
  std::string length = header_value(r.head.headers, "Content-Length");
  bool whole = head_end != std::string_view::npos &&
               (length.empty() ? body.empty() : std::to_string(body.size()) == length);
  LoopRequest request{r.head, body, c->peer(), close};
  bool taken =
      whole && r.head.refusal == std::nullopt && !r.head.headers.count("Transfer-Encoding") &&
      m_server.m_loop_handler(
          request, [this, c](std::function<std::string()> make_bytes, bool close_after) {
            bool first;
            {
              std::lock_guard<std::mutex> lock(m_handback_mutex);
              first = m_loop_answers.empty();
              m_loop_answers.push_back(LoopAnswered{c, std::move(make_bytes), close_after});
            }
            if (first) {
              std::uint64_t one = 1;
              (void)!::write(m_wake.get(), &one, sizeof one);
            }
          });
  if (!taken) {
    std::lock_guard<std::mutex> lock(c->mutex);
    c->ready.push_front(std::move(r));
  }
  return taken;
}

// Answers the loop handler gave: written here, as a worker hands back.
void HttpLoop::take_loop_answers() {
  std::vector<LoopAnswered> answered;
  {
    std::lock_guard<std::mutex> lock(m_handback_mutex);
    answered.swap(m_loop_answers);
  }
  std::vector<std::string> made(answered.size());
  {
    // Each answer logs its call: one write for them all, out before any
    // client has its answer.
    LogBatch lines;
    for (std::size_t i = 0; i < answered.size(); ++i) {
      LoopAnswered& a = answered[i];
      try {
        made[i] = a.make_bytes();
      } catch (const std::exception& e) {
        // A bug: the log gets the library's text, the client only that it happened.
        log_line(std::string("answer to ") + a.conn->peer() + " not made: " + e.what());
        made[i] = error_answer(500, k_internal_error);
        a.close = true;
      }
    }
  }
  for (std::size_t i = 0; i < answered.size(); ++i) {
    LoopAnswered& a = answered[i];
    std::string& bytes = made[i];
    {
      std::lock_guard<std::mutex> lock(a.conn->mutex);
      a.conn->out = std::move(bytes);
      a.conn->out_pos = 0;
      a.conn->write_deadline = after(m_limits.write_timeout);
      a.conn->closing = a.conn->closing || a.close;
      a.conn->owner = Owner::loop;
    }
    progress(a.conn);
  }
}

void HttpLoop::check_deadlines() {
  auto now = m_last_check = Clock::now();
  if (!m_accepting && now >= m_accept_again && !m_stopping) {
    m_accepting = true;
    add_to_epoll(m_epoll.get(), m_listen_fd, EPOLLIN, k_listen_tag);
  }
  std::vector<ConnPtr> late;
  for (const auto& [fd, c] : m_conns) {
    late.push_back(c);
  }
  for (const ConnPtr& c : late) {
    if (c->gone) {
      continue;
    }
    bool parked_out;
    {
      std::lock_guard<std::mutex> lock(c->mutex);
      parked_out = c->parked && (now >= c->parked_until || m_stopping);
    }
    if (parked_out) {
      resume_if_parked(c);  // answered as the calls are now
      continue;
    }
    if (c->lingering) {
      if (now >= c->linger_until) {
        close_conn(c);
      }
      continue;
    }
    bool mine, writing, queued;
    Clock::time_point write_deadline, answered_at;
    {
      std::lock_guard<std::mutex> lock(c->mutex);
      mine = c->owner == Owner::loop;
      writing = c->out_pos < c->out.size();
      queued = !c->ready.empty();
      write_deadline = c->write_deadline;
      answered_at = c->answered_at;
    }
    if (!mine || queued) {
      continue;
    }
    if (writing) {
      if (now >= write_deadline) {
        log_line("answer to " + c->peer() + " not written within " +
                 format_duration(m_limits.write_timeout) + " (--write-timeout); connection closed");
        close_conn(c);
      }
    } else if (!c->in.empty() && !c->read_done) {
      if (m_limits.read_timeout.count() > 0 && now - c->first_byte >= m_limits.read_timeout) {
        cut_off(c, 408,
                "request not read within " + format_duration(m_limits.read_timeout) +
                    " (--read-timeout); send it faster");
      }
    } else if (now - std::max(c->last_active, answered_at) >= m_limits.idle_timeout || m_stopping) {
      close_conn(c);
    }
  }
}

void HttpLoop::take_handbacks() {
  std::vector<ConnPtr> back;
  {
    std::lock_guard<std::mutex> lock(m_handback_mutex);
    back.swap(m_handbacks);
  }
  for (const ConnPtr& c : back) {
    progress(c);
  }
}

// Stops accepting; idle and half-read connections are closed, requests
// already read are answered (with Connection: close) and their answers written.
void HttpLoop::begin_stop() {
  if (m_stopping) {
    return;
  }
  m_stopping = true;
  (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, m_listen_fd, nullptr);
  (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, m_stop_fd, nullptr);
  std::vector<ConnPtr> all;
  for (const auto& [fd, c] : m_conns) {
    all.push_back(c);
  }
  for (const ConnPtr& c : all) {
    c->read_done = true;
    c->in.clear();
    set_events(*c, c->events & ~static_cast<std::uint32_t>(EPOLLIN));
    progress(c);
    resume_if_parked(c);  // answered now, as the calls are
  }
}

}  // namespace fnq
