#pragma once
// Shared by the api_*_test.cpp files (issue: the HTTP API, complete,
// compatible and safe): a fixture with JSON helpers, a raw HTTP connection
// for what httplib's client cannot do (dribbling, chunking, many waiting
// sockets), and a callback receiver.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/fixture.h"

namespace fnq::test {

using namespace std::chrono_literals;

// Checks the status, the JSON error shape and X-Fnq-Version; returns the
// error message ("" when the answer is missing or not an error).
std::string expect_error(const httplib::Result& res, int status, const std::string& contains = {});
// Checks the status and X-Fnq-Version; returns the body parsed as JSON
// (discarded value when it is not JSON).
json expect_json(const httplib::Result& res, int status);
// `env` output (NAME=value lines) as a map.
std::map<std::string, std::string> parse_env(const std::string& text);
// A field of /proc/PID/status ("Threads", "VmRSS"), as a number.
std::uint64_t status_field(int pid, const std::string& name);
// Room for a test's own sockets: the soft RLIMIT_NOFILE raised to the hard one.
void raise_fd_limit();

struct RawResponse {
  std::string head;  // the status line and header lines, as received
  int status = 0;
  httplib::Headers headers;
  std::string body;
  std::string header(const std::string& name) const;
};

// One TCP connection to fnqd, written and read byte for byte.
class RawHttp {
 public:
  explicit RawHttp(const std::string& url);
  ~RawHttp();
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;

  bool connected() const { return m_fd >= 0; }
  int fd() const { return m_fd; }
  // False once the server has closed or reset the connection.
  bool send(const std::string& data);
  // True when an answer (or the server's close) is waiting to be read.
  bool readable(std::chrono::milliseconds wait = 0ms);
  // Reads one answer whose body has a Content-Length.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = 20s);
  // True when the server closes the connection before the timeout.
  bool wait_closed(std::chrono::milliseconds timeout = 20s);
  // Closes with a reset (RST), as a client that crashed or gave up would.
  void reset();

 private:
  int m_fd = -1;
  std::string m_in;
};

// An HTTP server in the test that records the callbacks it receives.
class CallbackReceiver {
 public:
  struct Received {
    std::string path;
    httplib::Headers headers;
    std::string body;
    std::string header(const std::string& name) const;
  };
  // status(n): the answer to the n-th request (1-based).
  explicit CallbackReceiver(std::function<int(int)> status = [](int) { return 200; });
  ~CallbackReceiver();
  CallbackReceiver(const CallbackReceiver&) = delete;
  CallbackReceiver& operator=(const CallbackReceiver&) = delete;

  std::string url(const std::string& path = "/done") const;
  // Waits until n requests have arrived; returns all received so far.
  std::vector<Received> wait_for(std::size_t n, std::chrono::milliseconds timeout = 20s);
  std::size_t count();
  // From now on requests are held unanswered until release().
  void hang();
  void release();

 private:
  std::function<int(int)> m_status;
  httplib::Server m_server;
  int m_port = 0;
  std::thread m_thread;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<Received> m_received;
  bool m_hang = false;
};

// A port on 127.0.0.1 where nothing listens.
int closed_port();

class ApiTest : public FnqTest {
 protected:
  // PUT /v1/functions/NAME with def (name added); expects 200 or 201.
  void put_function(const std::string& name, json def);
  // POST /v1/calls; expects 202; returns the id.
  std::string submit(json body);
  // A function that runs until release(name) (its marker file exists).
  void put_blocking_function(const std::string& name, json extra = json::object());
  void release(const std::string& name);
  std::string marker(const std::string& name) const { return file("release-" + name); }
  // The header line raw requests send.
  std::string auth_header() const { return "Authorization: Bearer " + m_daemon->token() + "\r\n"; }
  std::string metrics_text();
};

}  // namespace fnq::test
