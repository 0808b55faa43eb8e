// Hostile clients for the bench row "hostile": N connections without a
// token, half idle and half sending a request a byte a second (each reopened
// when fnqd closes it), while a well-behaved client asks for /healthz, submits
// a call and reads it back, one after another, for SECONDS.
//
// Usage: hostile URL TOKEN FN N SECONDS
// Prints "max_ms=M p99_ms=P answered=A failed=F reopened=R": the slowest and
// 99th-percentile answer of the well-behaved requests, how many were answered
// (2xx) and not, and how often a hostile connection was reopened.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: hostile URL TOKEN FN N SECONDS\n");
    return 2;
  }
  std::string url = argv[1], token = argv[2], fn = argv[3];
  int n = std::atoi(argv[4]);
  int seconds = std::atoi(argv[5]);
  int port = std::atoi(url.substr(url.rfind(':') + 1).c_str());
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);

  std::vector<int> fds(static_cast<std::size_t>(n), -1);
  std::vector<std::size_t> sent(fds.size(), 0);
  const std::string request = "POST /v1/calls HTTP/1.1\r\nHost: fnq\r\nContent-Length: 20\r\n\r\n";
  long reopened = 0;
  auto feed = [&](bool first) {
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i] < 0) {
        fds[i] = connect_to(port);
        sent[i] = 0;
        reopened += first ? 0 : 1;
      }
      if (fds[i] >= 0 && i % 2 == 1 && !first) {
        char c = request[sent[i] % request.size()];
        if (::send(fds[i], &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
          ::close(fds[i]);
          fds[i] = -1;
        }
        ++sent[i];
      }
    }
  };
  feed(true);
  std::thread dribbler([&] {
    auto end = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      feed(false);
    }
  });

  std::vector<double> ms;
  long answered = 0, failed = 0;
  auto timed = [&](auto&& request_fn) {
    auto t = Clock::now();
    auto res = request_fn();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    bool ok = res && res->status / 100 == 2;
    (ok ? answered : failed) += 1;
    return res;
  };
  auto end = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < end) {
    httplib::Client fresh(url);  // a new connection each time, as a new client would
    fresh.set_tcp_nodelay(true);
    fresh.set_bearer_token_auth(token);
    fresh.set_connection_timeout(5);
    fresh.set_read_timeout(5);
    timed([&] { return fresh.Get("/healthz"); });
    auto res = timed([&] {
      return fresh.Post("/v1/calls", "{\"function\": \"" + fn + "\", \"delay\": \"100d\"}",
                        "application/json");
    });
    std::string id = res && res->has_header("X-Call-Id") ? res->get_header_value("X-Call-Id") : "";
    timed([&] { return fresh.Get("/v1/calls/" + id); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  dribbler.join();
  for (int fd : fds) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  std::sort(ms.begin(), ms.end());
  double max = ms.empty() ? 0 : ms.back();
  double p99 = ms.empty() ? 0 : ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  std::printf("max_ms=%.1f p99_ms=%.1f answered=%ld failed=%ld reopened=%ld\n", max, p99, answered,
              failed, reopened);
  return 0;
}
