// Hostile input at the HTTP layer: bodies built to take memory, header
// values that httplib would percent-decode, framing that could smuggle a
// request, credentials passed on, unbounded waits and answers, idle sockets
// (docs/internals.md, "HTTP limits").
#include <fstream>
#include <future>
#include <sstream>

#include "integration/api_support.h"

namespace fnq::test {
namespace {

using ApiHostileTest = ApiTest;

// VmRSS of a process, in bytes (0 when unreadable).
std::uint64_t resident_bytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6)) * 1024;
    }
  }
  return 0;
}

TEST_F(ApiHostileTest, DeepAndDenseJsonBodiesAre400AndMemoryStaysBounded) {
  std::uint64_t before = resident_bytes(m_daemon->pid());
  ASSERT_GT(before, 0u);
  const std::size_t size = (16u << 20) - 1024;  // within the default --max-body
  std::string deep(size, '[');
  for (int i = 0; i < 4; ++i) {
    expect_error(http()->Post("/v1/calls", deep, "application/json"), 400,
                 "JSON body nested deeper than 64 levels");
  }
  std::string dense = "[";
  while (dense.size() < size) {
    dense += "{},";
  }
  dense.back() = ']';
  expect_error(http()->Post("/v1/await", dense, "application/json"), 400, "JSON body too dense");
  // 64 levels still parse (and are then refused for their meaning).
  std::string ok_depth = std::string(63, '[') + std::string(63, ']');
  expect_error(http()->Post("/v1/calls", "{\"function\":" + ok_depth + "}", "application/json"),
               400, "function");
  std::uint64_t after = resident_bytes(m_daemon->pid());
  // Before the bound, each deep body cost 1.2 GiB; the bodies themselves
  // (and ASan's quarantine of freed memory) stay well under this.
  EXPECT_LT(after, before + (768u << 20)) << "VmRSS " << before << " -> " << after;
  expect_json(http(false)->Get("/healthz"), 200);
}

TEST_F(ApiHostileTest, HeaderValuesReachTheCallExactlyAsSent) {
  put_function("printenv", {{"command", {"env"}}});
  std::string callback =
      "http://127.0.0.1:" + std::to_string(closed_port()) + "/cb?next=%2Fa%26b%3Dc";
  httplib::Headers headers = {
      {"X-Callback-Url", callback}, {"Idempotency-Key", "k%41"}, {"X-Weird", "a%0Ab%25"}};
  auto res = http()->Post("/function/printenv", headers, "", "text/plain");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  std::string id = res->get_header_value("X-Call-Id");
  auto vars = parse_env(res->body);
  EXPECT_EQ(vars["Http_X_Weird"], "a%0Ab%25");
  EXPECT_EQ(vars["Http_Idempotency_Key"], "k%41");
  EXPECT_EQ(vars["Http_X_Callback_Url"], callback);
  json call = call_json(id);
  EXPECT_EQ(call["callback"]["url"], callback);
  EXPECT_EQ(call["key"], "k%41");

  // kA is another key than k%41.
  auto other =
      http()->Post("/async-function/printenv", {{"Idempotency-Key", "kA"}}, "", "text/plain");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 202) << other->body;
  EXPECT_NE(other->get_header_value("X-Call-Id"), id);
  auto again =
      http()->Post("/async-function/printenv", {{"Idempotency-Key", "k%41"}}, "", "text/plain");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(again->get_header_value("X-Call-Id"), id);
}

// Sends a request and expects the answer, then the connection closed.
void expect_refused(RawHttp& raw, const std::string& request, int status,
                    const std::string& message) {
  ASSERT_TRUE(raw.send(request));
  auto res = raw.read_response();
  ASSERT_TRUE(res) << "no answer to: " << request;
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_NE(res->body.find(message), std::string::npos) << res->body;
  EXPECT_EQ(res->header("Connection"), "close");
  EXPECT_TRUE(raw.wait_closed());
}

TEST_F(ApiHostileTest, AmbiguousFramingIsRefusedAndTheConnectionClosed) {
  put_function("echo", {{"command", {"cat"}}});
  const std::string start = "POST /async-function/echo HTTP/1.1\r\nHost: fnq\r\n" + auth_header();
  const std::string smuggled = "GET /v1/info HTTP/1.1\r\nHost: fnq\r\n" + auth_header() + "\r\n";
  {
    RawHttp raw(m_daemon->url());
    expect_refused(raw, start + "Content-Length: 5\r\nContent-Length: 40\r\n\r\nhello" + smuggled,
                   400, "conflicting Content-Length");
  }
  {
    RawHttp raw(m_daemon->url());
    expect_refused(
        raw, start + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
        400, "Content-Length and Transfer-Encoding together");
  }
  {
    RawHttp raw(m_daemon->url());
    expect_refused(raw, start + "Transfer-Encoding: gzip\r\n\r\n", 501,
                   "Transfer-Encoding 'gzip' is not supported");
  }
  {
    RawHttp raw(m_daemon->url());
    expect_refused(raw, start + "Expect: 200-ok\r\nContent-Length: 5\r\n\r\n", 417,
                   "Expect '200-ok' is not supported");
  }
  {
    RawHttp raw(m_daemon->url());
    expect_refused(raw, start + "Content-Length: 5\r\nNoColon\r\n\r\nhello", 400,
                   "header line without a colon");
  }
  // A chunk followed by anything but CRLF: httplib's reader would have kept
  // its first bytes as the input.
  for (const char* body :
       {"2\r\nabcdef\r\n0\r\n\r\n", "3\r\nab\r\n0\r\n\r\n", "2\r\nabXX0\r\n\r\n"}) {
    RawHttp raw(m_daemon->url());
    expect_refused(raw, start + "Transfer-Encoding: chunked\r\n\r\n" + body, 400,
                   "malformed chunked body");
  }
  {
    // Lines ended by a bare LF are answered at once, not at the read timeout.
    RawHttp raw(m_daemon->url());
    expect_refused(raw, "GET /v1/info HTTP/1.1\nHost: fnq\n" + auth_header() + "\n", 400,
                   "malformed HTTP request");
  }
  // Nothing was submitted, by the refused requests or the smuggled ones.
  EXPECT_TRUE(expect_json(http()->Get("/v1/calls"), 200)["calls"].empty());
}

// fnqd serves no partial content: a Range header is ignored, and every
// answer is whole (httplib cut any answer, JSON included, under a 200, and
// answered 416 to a Range it could not parse).
TEST_F(ApiHostileTest, ARangeHeaderIsIgnoredAndEveryAnswerIsWhole) {
  put_function("echo", {{"command", {"cat"}}});
  std::string id = submit({{"function", "echo"}, {"input", "hello world"}});
  ASSERT_TRUE(wait_for_state(id, "succeeded"));
  for (const char* range : {"bytes=0-2", "bytes=0-0,3-4", "bytes=100000-", "bytes=abc"}) {
    httplib::Headers headers = {{"Range", range}};
    auto call = http()->Get("/v1/calls/" + id, headers);
    ASSERT_TRUE(call);
    EXPECT_EQ(call->status, 200) << range;
    EXPECT_FALSE(call->has_header("Content-Range")) << range;
    EXPECT_EQ(json::parse(call->body)["id"], id) << range;
    auto output = http()->Get("/v1/calls/" + id + "/output", headers);
    ASSERT_TRUE(output);
    EXPECT_EQ(output->status, 200) << range;
    EXPECT_EQ(output->body, "hello world") << range;
    auto sync = http()->Post("/function/echo", headers, "hello again", "text/plain");
    ASSERT_TRUE(sync);
    EXPECT_EQ(sync->status, 200) << range;
    EXPECT_EQ(sync->body, "hello again") << range;
    auto missing = http()->Get("/v1/calls/01a20c24-107f-7012-acfd-c5804144c57f", headers);
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404) << range;
    EXPECT_TRUE(json::accept(missing->body)) << missing->body;
  }
}

TEST_F(ApiHostileTest, CredentialsNeverReachTheFunctionFromAnyRoute) {
  put_function("printenv", {{"command", {"env"}}});
  std::string id = submit({{"function", "printenv"},
                           {"headers",
                            {{"Authorization", "Bearer secret"},
                             {"proxy-authorization", "Basic secret"},
                             {"Cookie", "session=secret"},
                             {"X-Ok", "yes"}}}});
  ASSERT_TRUE(wait_for_state(id, "succeeded"));
  auto out = http()->Get("/v1/calls/" + id + "/output");
  ASSERT_TRUE(out);
  auto vars = parse_env(out->body);
  EXPECT_EQ(vars["Http_X_Ok"], "yes");
  for (const char* hidden : {"Http_Authorization", "Http_Proxy_Authorization", "Http_Cookie"}) {
    EXPECT_EQ(vars.count(hidden), 0u) << hidden << " reached the function";
  }
  EXPECT_EQ(out->body.find("secret"), std::string::npos) << out->body;

  std::string cli_id = fnq_ok({"submit", "printenv", "-H", "Cookie: session=secret", "-H",
                               "Authorization: Bearer secret", "-H", "X-Ok: cli"});
  std::string env = fnq_ok({"await", cli_id});
  vars = parse_env(env);
  EXPECT_EQ(vars["Http_X_Ok"], "cli");
  EXPECT_EQ(env.find("secret"), std::string::npos) << env;
}

TEST_F(ApiHostileTest, WriteTimeoutZeroLetsLongPollsWait) {
  start_daemon({"--write-timeout", "0"});
  put_blocking_function("block");
  std::string id = submit({{"function", "block"}});
  auto waited =
      std::async(std::launch::async, [&] { return http()->Get("/v1/calls/" + id + "?wait=120s"); });
  auto sync = std::async(std::launch::async,
                         [&] { return http()->Post("/function/block", "", "text/plain"); });
  // Neither answers while the calls run (before, both answered at once).
  EXPECT_EQ(waited.wait_for(500ms), std::future_status::timeout);
  EXPECT_EQ(sync.wait_for(0ms), std::future_status::timeout);
  release("block");
  auto res = waited.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(expect_json(res, 200)["state"], "succeeded");
  auto sync_res = sync.get();
  ASSERT_TRUE(sync_res);
  EXPECT_EQ(sync_res->status, 200) << sync_res->body;
}

TEST_F(ApiHostileTest, AwaitWithOutputKeepsTheAnswerWithinMaxBody) {
  start_daemon({"--max-body", "1KiB"});
  put_function("big", {{"command", {"sh", "-c", "printf '%600s' | tr ' ' x"}}});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(submit({{"function", "big"}}));
  }
  for (const auto& id : ids) {
    ASSERT_TRUE(wait_for_state(id, "succeeded"));
  }
  json body = {{"ids", ids}, {"output", true}};
  json answer = expect_json(http()->Post("/v1/await", body.dump(), "application/json"), 200);
  ASSERT_EQ(answer["calls"].size(), 3u);
  EXPECT_EQ(answer["calls"][0]["output"], std::string(600, 'x'));
  for (int i : {1, 2}) {
    EXPECT_EQ(answer["calls"][i]["output_omitted"], true) << answer["calls"][i];
    EXPECT_FALSE(answer["calls"][i].contains("output"));
  }
  // fnq await --json fetches what was left out.
  json printed = json::parse(fnq_ok({"await", "--json", ids[0], ids[1], ids[2]}));
  for (const auto& c : printed["calls"]) {
    EXPECT_EQ(c["output"], std::string(600, 'x'));
    EXPECT_FALSE(c.contains("output_omitted"));
  }
}

TEST_F(ApiHostileTest, IdleConnectionsBelowTheThreadCountLeaveRoomForOthers) {
  start_daemon({"--http-threads", "40"});
  std::vector<std::unique_ptr<RawHttp>> idle;
  for (int i = 0; i < 30; ++i) {
    idle.push_back(std::make_unique<RawHttp>(m_daemon->url()));
    ASSERT_TRUE(idle.back()->connected());
  }
  idle.front()->send("GET /v1/info HTTP/1.1\r\n");  // half a request, no token
  expect_json(http(false)->Get("/healthz"), 200);
  expect_json(http()->Get("/v1/info"), 200);
}

}  // namespace
}  // namespace fnq::test
