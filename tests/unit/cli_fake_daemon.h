#pragma once
// A fake fnqd for whole-command tests: run_cli() on a command line, with
// the requests it sends recorded and answered from a script.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <sstream>

#include "cli/cli.h"
#include "cli/context.h"

namespace fnq::cli::fake {

constexpr const char* k_id1 = "019a7f2e-5c1b-7d3a-9b2e-4f0a1c2d3e41";
constexpr const char* k_id2 = "019a7f2e-5c1b-7d3a-9b2e-4f0a1c2d3e42";
constexpr const char* k_id3 = "019a7f2e-5c1b-7d3a-9b2e-4f0a1c2d3e43";

struct Sent {
  std::string method;
  std::string path;
  std::string body;
  Millis timeout;
  json json_body() const { return json::parse(body); }
};

using Handler = std::function<Result<HttpResponse>(const Sent&)>;

class FakeApi final : public Api {
 public:
  FakeApi(std::vector<Sent>& sent, Handler& handler) : m_sent(sent), m_handler(handler) {}
  std::string url() const override { return "http://fake:7850"; }
  Result<HttpResponse> send(const std::string& method, const std::string& path,
                            const std::string& body, Millis timeout) override {
    m_sent.push_back(Sent{method, path, body, timeout});
    return m_handler(m_sent.back());
  }

 private:
  std::vector<Sent>& m_sent;
  Handler& m_handler;
};

inline HttpResponse reply(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

inline HttpResponse raw_reply(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  return r;
}

inline json call_json(const std::string& id, CallState state,
                      std::optional<int> exit_code = std::nullopt, std::uint64_t output_size = 0) {
  Call c;
  c.id = id;
  c.function = "resize";
  c.state = state;
  c.exit_code = exit_code;
  c.created_at = 1'700'000'000'000;
  c.run_at = c.created_at;
  if (is_terminal(state)) {
    c.started_at = c.created_at + 10;
    c.finished_at = c.created_at + 22;
  }
  c.output_size = output_size;
  if (state == CallState::failed && exit_code) {
    c.error = "exit status " + std::to_string(*exit_code);
  }
  return to_json(c);
}

class FakeDaemonTest : public ::testing::Test {
 protected:
  int run(std::vector<std::string> args) {
    Context ctx(m_in, m_out, m_err, m_terminal,
                [this](const GlobalOptions&) -> Result<std::unique_ptr<Api>> {
                  ++m_connects;
                  if (m_unreachable) {
                    return make_error(ErrorKind::unavailable,
                                      "cannot find fnqd: /s/fnqd.json does not exist (is fnqd "
                                      "running? or set --url)");
                  }
                  return std::unique_ptr<Api>(new FakeApi(m_sent, m_handler));
                });
    return run_cli(std::move(args), ctx);
  }
  // Answers requests in order from a script.
  void script(std::deque<Result<HttpResponse>> answers) {
    auto queue = std::make_shared<std::deque<Result<HttpResponse>>>(std::move(answers));
    m_handler = [queue](const Sent& s) -> Result<HttpResponse> {
      if (queue->empty()) {
        ADD_FAILURE() << "unexpected request " << s.method << " " << s.path;
        return reply(500, json{{"error", "unexpected"}});
      }
      auto next = queue->front();
      queue->pop_front();
      return next;
    };
  }

  std::istringstream m_in;
  std::ostringstream m_out;
  std::ostringstream m_err;
  Terminal m_terminal{true, false, false, false};  // stdin a terminal: no implicit input
  std::vector<Sent> m_sent;
  Handler m_handler;
  bool m_unreachable = false;
  int m_connects = 0;
};

}  // namespace fnq::cli::fake
