#include "integration/api_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace fnq::test {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

std::uint64_t status_field(int pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) {
      return std::stoull(line.substr(name.size() + 1));
    }
  }
  return 0;
}

void raise_fd_limit() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

std::map<std::string, std::string> parse_env(const std::string& text) {
  std::map<std::string, std::string> vars;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) {
      vars[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return vars;
}

std::string expect_error(const httplib::Result& res, int status, const std::string& contains) {
  EXPECT_TRUE(res) << "no answer: " << httplib::to_string(res.error());
  if (!res) {
    return "";
  }
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_FALSE(res->get_header_value("X-Fnq-Version").empty()) << "status " << res->status;
  json body = json::parse(res->body, nullptr, false);
  EXPECT_TRUE(body.is_object() && body.contains("error") && body["error"].is_string())
      << "not a JSON error: " << res->body;
  if (!body.is_object() || !body.contains("error") || !body["error"].is_string()) {
    return "";
  }
  std::string message = body["error"];
  EXPECT_NE(message.find(contains), std::string::npos)
      << "error '" << message << "' does not mention '" << contains << "'";
  return message;
}

json expect_json(const httplib::Result& res, int status) {
  EXPECT_TRUE(res) << "no answer: " << httplib::to_string(res.error());
  if (!res) {
    return json(json::value_t::discarded);
  }
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_FALSE(res->get_header_value("X-Fnq-Version").empty());
  return json::parse(res->body, nullptr, false);
}

std::string RawResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

RawHttp::RawHttp(const std::string& url) {
  auto colon = url.rfind(':');
  int port = std::stoi(url.substr(colon + 1));
  m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ADD_FAILURE() << "cannot connect to " << url << ": " << std::strerror(errno);
    ::close(m_fd);
    m_fd = -1;
  }
}

RawHttp::~RawHttp() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

void RawHttp::reset() {
  if (m_fd >= 0) {
    linger hard{1, 0};
    ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(m_fd);
    m_fd = -1;
  }
}

bool RawHttp::send(const std::string& data) {
  std::size_t sent = 0;
  while (m_fd >= 0 && sent < data.size()) {
    ssize_t n = ::send(m_fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return m_fd >= 0;
}

bool RawHttp::readable(std::chrono::milliseconds wait) {
  if (!m_in.empty()) {
    return true;
  }
  pollfd p{m_fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
}

std::optional<RawResponse> RawHttp::read_response(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto end = m_in.find("\r\n\r\n");
    if (end != std::string::npos) {
      RawResponse r;
      std::string head = m_in.substr(0, end);
      r.status = std::atoi(head.c_str() + head.find(' ') + 1);
      r.head = head;
      std::size_t pos = head.find("\r\n");
      while (pos != std::string::npos && pos < head.size()) {
        std::size_t next = head.find("\r\n", pos + 2);
        std::string line =
            head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
          r.headers.emplace(line.substr(0, colon),
                            line.substr(line.find_first_not_of(' ', colon + 1)));
        }
        pos = next;
      }
      std::size_t length =
          std::stoul(r.header("Content-Length").empty() ? "0" : r.header("Content-Length"));
      if (m_in.size() >= end + 4 + length) {
        r.body = m_in.substr(end + 4, length);
        m_in.erase(0, end + 4 + length);
        return r;
      }
    }
    pollfd p{m_fd, POLLIN, 0};
    int left = remaining_ms(deadline);
    if (left == 0 || ::poll(&p, 1, left) <= 0) {
      return std::nullopt;
    }
    char buf[65536];
    ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return std::nullopt;
    }
    m_in.append(buf, static_cast<std::size_t>(n));
  }
}

bool RawHttp::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p{m_fd, POLLIN, 0};
    int left = remaining_ms(deadline);
    if (left == 0 || ::poll(&p, 1, left) <= 0) {
      return false;
    }
    char buf[65536];
    ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return true;
    }
    m_in.append(buf, static_cast<std::size_t>(n));
  }
}

std::string CallbackReceiver::Received::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

CallbackReceiver::CallbackReceiver(std::function<int(int)> status) : m_status(std::move(status)) {
  m_server.set_tcp_nodelay(true);
  m_server.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_received.push_back(Received{req.path, req.headers, req.body});
    int n = static_cast<int>(m_received.size());
    m_cv.notify_all();
    m_cv.wait(lock, [&] { return !m_hang; });
    res.status = m_status(n);
    res.set_content("thanks", "text/plain");
  });
  m_port = m_server.bind_to_any_port("127.0.0.1");
  m_thread = std::thread([this] { m_server.listen_after_bind(); });
}

CallbackReceiver::~CallbackReceiver() {
  release();
  m_server.stop();
  m_thread.join();
}

std::string CallbackReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(m_port) + path;
}

std::vector<CallbackReceiver::Received> CallbackReceiver::wait_for(
    std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_cv.wait_for(lock, timeout, [&] { return m_received.size() >= n; });
  return m_received;
}

std::size_t CallbackReceiver::count() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_received.size();
}

void CallbackReceiver::hang() {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_hang = true;
}

void CallbackReceiver::release() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_hang = false;
  }
  m_cv.notify_all();
}

int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

void ApiTest::put_function(const std::string& name, json def) {
  def["name"] = name;
  auto res = http()->Put("/v1/functions/" + name, def.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_TRUE(res->status == 200 || res->status == 201) << res->status << " " << res->body;
}

std::string ApiTest::submit(json body) {
  auto res = http()->Post("/v1/calls", body.dump(), "application/json");
  EXPECT_TRUE(res);
  if (!res) {
    return "";
  }
  EXPECT_EQ(res->status, 202) << res->body;
  return json::parse(res->body).value("id", "");
}

void ApiTest::put_blocking_function(const std::string& name, json extra) {
  extra["command"] = {"sh", "-c",
                      "while [ ! -e '" + marker(name) + "' ]; do sleep 0.02; done; echo released"};
  put_function(name, extra);
}

void ApiTest::release(const std::string& name) { write_file(marker(name), ""); }

std::string ApiTest::metrics_text() {
  auto res = http()->Get("/metrics");
  EXPECT_TRUE(res && res->status == 200);
  return res ? res->body : "";
}

}  // namespace fnq::test
