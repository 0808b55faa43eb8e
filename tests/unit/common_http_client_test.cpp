#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "common/client.h"
#include "common/http_client.h"
#include "support/temp_dir.h"

namespace fnq::http {
namespace {

using namespace std::chrono_literals;
using Progress = ResponseParser::Progress;

// --- URLs and requests ---

TEST(HttpUrl, SplitsHostPortAndPath) {
  auto u = parse_url("http://127.0.0.1:7850");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "7850");
  EXPECT_EQ(u->authority, "127.0.0.1:7850");
  EXPECT_EQ(u->base_path, "");

  u = parse_url("HTTP://[::1]:9/fnq/");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "9");
  EXPECT_EQ(u->authority, "[::1]:9");
  EXPECT_EQ(u->base_path, "/fnq");

  u = parse_url("queue.example.org");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "queue.example.org");
  EXPECT_EQ(u->port, "80");

  u = parse_url("localhost:7850");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, "7850");
}

TEST(HttpUrl, RefusesWhatItCannotReachWithAReason) {
  auto https = parse_url("https://queue.example.org");
  ASSERT_FALSE(https.ok());
  EXPECT_EQ(https.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(https.error().message.find("plain HTTP"), std::string::npos);
  EXPECT_NE(https.error().message.find("ssh -L"), std::string::npos);
  for (const char* bad :
       {"ftp://h", "http://", "http://:80", "http://h:0", "http://h:65536", "http://h:x",
        "http://user:pw@h", "http://[::1", "http://h/a?b=c", "http://h/a b"}) {
    auto u = parse_url(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_NE(u.error().message.find(bad), std::string::npos) << u.error().message;
  }
}

TEST(HttpRequest, FormatsHeadHeadersAndBody) {
  auto url = *parse_url("http://127.0.0.1:7850/base");
  auto r = format_request(url, "POST", "/v1/calls", {{"Authorization", "Bearer t"}}, "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rfind("POST /base/v1/calls HTTP/1.1\r\nHost: 127.0.0.1:7850\r\n", 0), 0u) << *r;
  EXPECT_NE(r->find("\r\nAuthorization: Bearer t\r\n"), std::string::npos);
  EXPECT_NE(r->find("\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"),
            std::string::npos);
  EXPECT_EQ(r->substr(r->size() - 6), "\r\n\r\n{}");

  auto get = format_request(url, "GET", "/healthz", {}, "");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->find("Content-Length"), std::string::npos);
  EXPECT_EQ(get->find("Content-Type"), std::string::npos);
  auto empty_post = format_request(url, "POST", "/x", {}, "");
  EXPECT_NE(empty_post->find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(HttpRequest, RefusesHeaderInjection) {
  auto url = *parse_url("http://h:1");
  EXPECT_FALSE(format_request(url, "GET", "/", {{"X-A", "a\r\nX-Evil: 1"}}, "").ok());
  EXPECT_FALSE(format_request(url, "GET", "/", {{"X-A\n", "a"}}, "").ok());
  EXPECT_FALSE(format_request(url, "GET", "/", {{"X:A", "a"}}, "").ok());
  EXPECT_FALSE(format_request(url, "GET", "/a b", {}, "").ok());
  EXPECT_FALSE(format_request(url, "POST", "/", {}, "x", "text/plain\r\nX-Evil: 1").ok());
}

// --- the response parser ---

// Feeds text one byte at a time: every split point must work.
Progress feed_bytewise(ResponseParser& p, const std::string& text) {
  Progress last = Progress::more;
  for (char c : text) {
    last = p.feed(std::string_view(&c, 1));
    if (last == Progress::bad) {
      return last;
    }
  }
  return last;
}

TEST(HttpResponseParser, ReadsAContentLengthBodyAtAnySplit) {
  ResponseParser p;
  std::string text = "HTTP/1.1 202 Accepted\r\nX-Call-Id: abc\r\ncontent-length: 5\r\n\r\nhello";
  EXPECT_EQ(feed_bytewise(p, text), Progress::done);
  EXPECT_EQ(p.response().status, 202);
  EXPECT_EQ(p.response().body, "hello");
  EXPECT_EQ(p.response().header("x-call-id"), "abc");
  EXPECT_TRUE(p.keep_alive());
}

TEST(HttpResponseParser, ReadsChunkedBodiesWithExtensionsAndTrailers) {
  std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n1A\r\n, a chunk of twenty-six b!\r\n0\r\nX-Trailer: t\r\n\r\n";
  ResponseParser bytewise;
  EXPECT_EQ(feed_bytewise(bytewise, text), Progress::done);
  EXPECT_EQ(bytewise.response().body, "hello, a chunk of twenty-six b!");
  ResponseParser whole;
  EXPECT_EQ(whole.feed(text), Progress::done);
  EXPECT_EQ(whole.response().body, bytewise.response().body);
  EXPECT_TRUE(whole.keep_alive());
}

TEST(HttpResponseParser, ABodyWithoutLengthEndsWithTheConnection) {
  ResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\n\r\npart one, "), Progress::more);
  EXPECT_EQ(p.feed("part two"), Progress::more);
  EXPECT_EQ(p.end_of_stream(), Progress::done);
  EXPECT_EQ(p.response().body, "part one, part two");
  EXPECT_FALSE(p.keep_alive());
}

TEST(HttpResponseParser, KnowsWhenTheConnectionCannotBeReused) {
  ResponseParser close;
  EXPECT_EQ(close.feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            Progress::done);
  EXPECT_FALSE(close.keep_alive());
  ResponseParser old;
  EXPECT_EQ(old.feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), Progress::done);
  EXPECT_FALSE(old.keep_alive());
  ResponseParser extra;
  EXPECT_EQ(extra.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab"), Progress::done);
  EXPECT_EQ(extra.response().body, "a");
  EXPECT_FALSE(extra.keep_alive());
}

TEST(HttpResponseParser, SkipsInterimAnswersAndBodilessOnes) {
  ResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n"
                   "{}"),
            Progress::done);
  EXPECT_EQ(p.response().status, 201);
  EXPECT_EQ(p.response().body, "{}");
  ResponseParser no_content;
  EXPECT_EQ(no_content.feed("HTTP/1.1 204 No Content\r\n\r\n"), Progress::done);
  ResponseParser head(true);
  EXPECT_EQ(head.feed("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"), Progress::done);
  EXPECT_EQ(head.response().body, "");
}

TEST(HttpResponseParser, RejectsMalformedAnswers) {
  for (const char* bad :
       {"SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 20x OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n"}) {
    ResponseParser p;
    EXPECT_EQ(p.feed(bad), Progress::bad) << bad;
    EXPECT_FALSE(p.error().empty());
    EXPECT_FALSE(p.keep_alive());
  }
  ResponseParser huge;
  std::string head =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(ResponseParser::k_max_head_bytes, 'a');
  EXPECT_EQ(huge.feed(head), Progress::bad);
  EXPECT_NE(huge.error().find("headers over"), std::string::npos);
}

TEST(HttpResponseParser, AConnectionClosedMidAnswerIsAnError) {
  ResponseParser mid;
  EXPECT_EQ(mid.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), Progress::more);
  EXPECT_EQ(mid.end_of_stream(), Progress::bad);
  EXPECT_NE(mid.error().find("in the middle of an answer"), std::string::npos);
  ResponseParser silent;
  EXPECT_FALSE(silent.started());
  EXPECT_EQ(silent.end_of_stream(), Progress::bad);
  EXPECT_NE(silent.error().find("without answering"), std::string::npos);
}

// --- connections, against a scripted server ---

// Accepts connections on 127.0.0.1 and hands each to a script; counts them.
class ScriptedServer {
 public:
  using Script = std::function<void(int fd, int connection_number)>;
  explicit ScriptedServer(Script script) : m_script(std::move(script)) {
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(m_listen, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    m_thread = std::thread([this] {
      for (int n = 1;; ++n) {
        int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0 || m_stop) {
          if (fd >= 0) {
            ::close(fd);
          }
          return;
        }
        ++m_accepted;
        m_script(fd, n);
        ::close(fd);
      }
    });
  }
  ~ScriptedServer() {
    m_stop = true;
    ::shutdown(m_listen, SHUT_RDWR);
    m_thread.join();
    ::close(m_listen);
  }
  Url url() const { return *parse_url("http://127.0.0.1:" + std::to_string(m_port)); }
  int accepted() const { return m_accepted; }

 private:
  Script m_script;
  int m_listen = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_accepted{0};
  std::thread m_thread;
};

// Reads one request head (these tests send no bodies to the script).
std::string read_head(int fd) {
  std::string got;
  char c;
  while (got.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) {
    got += c;
  }
  return got;
}

void write_text(int fd, const std::string& text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

std::string get_request(const Url& url) { return *format_request(url, "GET", "/x", {}, ""); }

TEST(HttpConnection, KeepsOneConnectionForManyRequests) {
  ScriptedServer server([](int fd, int) {
    for (int i = 0; i < 3; ++i) {
      if (read_head(fd).empty()) {
        return;
      }
      write_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + std::to_string(i));
    }
  });
  Connection c(server.url(), 5s);
  for (int i = 0; i < 3; ++i) {
    auto r = c.exchange(get_request(server.url()), false, true, 5s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->body, std::to_string(i));
  }
  EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpConnection, SendsAgainWhenAKeptConnectionWasClosedByTheServer) {
  ScriptedServer server([](int fd, int) {
    read_head(fd);
    write_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    // then close, as a server does after its keep-alive timeout
  });
  Connection c(server.url(), 5s);
  ASSERT_TRUE(c.exchange(get_request(server.url()), false, true, 5s).ok());
  auto again = c.exchange(get_request(server.url()), false, true, 5s);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->body, "ok");
  EXPECT_EQ(server.accepted(), 2);
}

// The server reads the second request on a kept connection and closes it
// without answering; a second connection is answered.
void answer_once_then_drop(int fd, int connection) {
  if (connection == 1) {
    read_head(fd);
    write_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    read_head(fd);  // read, perhaps acted on, never answered
    return;
  }
  read_head(fd);
  write_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain");
}

TEST(HttpConnection, AnIdempotentRequestIsSentAgainWhenDroppedUnanswered) {
  ScriptedServer server(answer_once_then_drop);
  Connection c(server.url(), 5s);
  ASSERT_TRUE(c.exchange(get_request(server.url()), false, true, 5s).ok());
  auto again = c.exchange(get_request(server.url()), false, true, 5s);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->body, "again");
  EXPECT_EQ(server.accepted(), 2);
}

TEST(HttpConnection, APostDroppedUnansweredIsNotSentAgain) {
  ScriptedServer server(answer_once_then_drop);
  Connection c(server.url(), 5s);
  auto post = *format_request(server.url(), "POST", "/v1/calls", {}, "");
  ASSERT_TRUE(c.exchange(post, false, false, 5s).ok());
  auto second = c.exchange(post, false, false, 5s);
  ASSERT_FALSE(second.ok()) << "a submit the server may have stored was sent twice";
  EXPECT_EQ(second.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpConnection, AFreshConnectionClosedWithoutAnswerIsNotRetried) {
  ScriptedServer server([](int fd, int) { read_head(fd); });
  Connection c(server.url(), 5s);
  auto r = c.exchange(get_request(server.url()), false, true, 5s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("without answering"), std::string::npos);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpConnection, GivesUpWhenNoAnswerComesInTime) {
  std::atomic<bool> release{false};
  ScriptedServer server([&release](int fd, int) {
    read_head(fd);
    while (!release) {
      std::this_thread::sleep_for(10ms);
    }
  });
  Connection c(server.url(), 5s);
  auto r = c.exchange(get_request(server.url()), false, true, 200ms);
  release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::timeout);
  EXPECT_EQ(server.accepted(), 1);  // a timeout is not retried
}

TEST(HttpConnection, ReportsARefusedConnection) {
  int port;
  {
    ScriptedServer closed([](int, int) {});
    port = std::stoi(closed.url().port);
  }
  Connection c(*parse_url("http://127.0.0.1:" + std::to_string(port)), 5s);
  auto r = c.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, true, 1s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(r.error().message, "connection refused");
}

TEST(ApiClientTest, SendsTheTokenAndWrapsFailuresWithTheUrl) {
  std::string seen;
  Result<json> r = json();
  {
    ScriptedServer server([&seen](int fd, int) {
      seen = read_head(fd);
      write_text(
          fd,
          "HTTP/1.1 404 Not Found\r\nContent-Length: 29\r\n\r\n{\"error\":\"no such call: abc\"}");
    });
    ApiClient client(Endpoint{"http://127.0.0.1:" + server.url().port, "s3cret"});
    r = client.get_json("/v1/calls/abc");
  }  // the server's thread is joined: `seen` is complete
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().message, "no such call: abc");
  EXPECT_NE(seen.find("\r\nAuthorization: Bearer s3cret\r\n"), std::string::npos) << seen;

  ApiClient https(Endpoint{"https://127.0.0.1:1", ""});
  auto refused = https.get_json("/healthz");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
}

TEST(Discover, RefusesAnHttpsUrlBeforeAnyRequest) {
  DiscoveryOptions o;
  o.url = "https://queue.example.org";
  o.token_file = "/dev/null";
  auto e = discover(o);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::invalid_input);
}

TEST(Discover, RefusesATokenWithALineBreakAsATokenProblem) {
  test::TempDir dir;
  test::write_file(dir.file("token"), "abc\nX-Evil: 1\n");
  DiscoveryOptions o;
  o.url = "http://127.0.0.1:7850";
  o.token_file = dir.file("token");
  auto e = discover(o);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::unauthorized);
  test::write_file(dir.file("token"), "abc\n");  // a final newline is trimmed
  auto ok = discover(o);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->token, "abc");
}

}  // namespace
}  // namespace fnq::http
