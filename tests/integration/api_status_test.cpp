// Every status code of the API from a real request, each a JSON error with
// X-Fnq-Version (issue: the HTTP API, complete, compatible and safe).
#include <signal.h>

#include "integration/api_support.h"

namespace fnq::test {
namespace {

using ApiStatusTest = ApiTest;

TEST_F(ApiStatusTest, PutFunctionAnswers201WhenCreatedAnd200WhenUpdated) {
  json def = {{"name", "echo"}, {"command", {"cat"}}};
  json created =
      expect_json(http()->Put("/v1/functions/echo", def.dump(), "application/json"), 201);
  EXPECT_EQ(created["command"], json({"cat"}));
  def["command"] = {"cat", "-"};
  expect_json(http()->Put("/v1/functions/echo", def.dump(), "application/json"), 200);
  json got = expect_json(http()->Get("/v1/functions/echo"), 200);
  EXPECT_EQ(got["command"], json({"cat", "-"}));
  expect_json(http()->Get("/v1/functions"), 200);
}

TEST_F(ApiStatusTest, SubmitAnswers202AndARepeatedKey200WithTheSameCall) {
  put_function("echo", {{"command", {"cat"}}});
  json body = {{"function", "echo"}, {"input", "x"}, {"key", "order-17"}};
  json first = expect_json(http()->Post("/v1/calls", body.dump(), "application/json"), 202);
  json again = expect_json(http()->Post("/v1/calls", body.dump(), "application/json"), 200);
  EXPECT_EQ(first["id"], again["id"]);

  httplib::Headers key = {{"Idempotency-Key", "upload-9"}};
  auto a = http()->Post("/async-function/echo", key, "x", "text/plain");
  expect_json(a, 202);
  auto b = http()->Post("/async-function/echo", key, "x", "text/plain");
  json repeat = expect_json(b, 200);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get_header_value("X-Call-Id"), b->get_header_value("X-Call-Id"));
  EXPECT_EQ(repeat["id"], a->get_header_value("X-Call-Id"));
}

TEST_F(ApiStatusTest, MalformedJsonIs400) {
  expect_error(http()->Post("/v1/calls", "{\"function\": ", "application/json"), 400,
               "malformed JSON body");
  expect_error(http()->Put("/v1/functions/f", "[1,", "application/json"), 400,
               "malformed JSON body");
  expect_error(http()->Post("/v1/await", "nope", "application/json"), 400, "malformed JSON body");
}

TEST_F(ApiStatusTest, WrongTypesAre400NamingTheField) {
  put_function("echo", {{"command", {"cat"}}});
  auto post = [&](const json& body) {
    return http()->Post("/v1/calls", body.dump(), "application/json");
  };
  expect_error(post({{"function", 5}}), 400, "function:");
  expect_error(post({{"function", "echo"}, {"priority", "high"}}), 400,
               "priority: expected an integer");
  expect_error(post({{"function", "echo"}, {"needs", "abc"}}), 400, "needs:");
  expect_error(post({{"function", "echo"}, {"delay", "soon"}}), 400, "delay");
  expect_error(post({{"function", "echo"}, {"input", 12}}), 400, "input:");
  expect_error(post({{"function", "echo"}, {"max_retries", -1}}), 400, "max_retries:");
  expect_error(post({{"function", "echo"}, {"colour", "red"}}), 400, "colour: unknown field");
  expect_error(post({{"calls", {{{"function", "echo"}}, {{"function", "echo"}, {"key", 1}}}}}), 400,
               "calls[1].key:");
  // A field beside a batch's calls, and base64 that decodes to no whole
  // byte, were taken in silence (the latter as an empty input).
  expect_error(post({{"calls", {{{"function", "echo"}}}}, {"priority", "garbage"}}), 400,
               "priority: unknown field");
  expect_error(post({{"function", "echo"}, {"input_base64", "Y"}}), 400, "input_base64:");
  // Request headers given in the body reach the function as Http_* variables:
  // a name that is no header name, or a value with NUL, CR or LF, is refused.
  expect_error(post({{"function", "echo"}, {"headers", {{"A=B", "x"}}}}), 400, "headers:");
  expect_error(post({{"function", "echo"}, {"headers", {{"x y", "x"}}}}), 400, "headers:");
  expect_error(post({{"function", "echo"}, {"headers", {{"", "x"}}}}), 400, "headers:");
  expect_error(post({{"function", "echo"}, {"headers", {{"V", std::string("a\0b", 3)}}}}), 400,
               "headers.V:");
  expect_error(post({{"function", "echo"}, {"headers", {{"V", "a\r\nX: y"}}}}), 400, "headers.V:");
  EXPECT_TRUE(expect_json(http()->Get("/v1/calls"), 200)["calls"].empty());
  json bad_fn = {{"name", "f"}, {"command", "cat"}};
  expect_error(http()->Put("/v1/functions/f", bad_fn.dump(), "application/json"), 400, "command");
  expect_error(http()->Post("/v1/await", R"({"ids": "x"})", "application/json"), 400, "ids:");
  httplib::Headers prio = {{"X-Fnq-Priority", "urgent"}};
  expect_error(http()->Post("/async-function/echo", prio, "x", "text/plain"), 400,
               "X-Fnq-Priority: expected an integer");
  httplib::Headers delay = {{"X-Fnq-Delay", "later"}};
  expect_error(http()->Post("/async-function/echo", delay, "x", "text/plain"), 400, "X-Fnq-Delay:");
  httplib::Headers needs = {{"X-Fnq-Needs", "not-an-id"}};
  expect_error(http()->Post("/function/echo", needs, "x", "text/plain"), 404,
               "X-Fnq-Needs: unknown call");
  // Only a plain integer from 1 to 1000: std::stoi took "1e9" as 1.
  for (const char* limit : {"0", "1001", "-1", "1e9", "10abc", "", "%205", "99999999999"}) {
    expect_error(http()->Get(std::string("/v1/calls?limit=") + limit), 400,
                 "limit: expected an integer from 1 to 1000");
    expect_error(http()->Get(std::string("/v1/pipelines?limit=") + limit), 400,
                 "limit: expected an integer from 1 to 1000");
  }
  expect_json(http()->Get("/v1/calls?limit=1000"), 200);
  expect_json(http()->Get("/v1/pipelines?limit=1"), 200);
  expect_error(http()->Get("/v1/calls?state=sleeping"), 400, "state:");
}

TEST_F(ApiStatusTest, MissingOrWrongTokenIs401) {
  expect_error(http(false)->Get("/v1/functions"), 401, "missing bearer token");
  auto wrong = http(false);
  wrong->set_bearer_token_auth("0123456789abcdef");
  expect_error(wrong->Get("/v1/functions"), 401, "wrong bearer token");
  expect_error(wrong->Post("/v1/calls", "{}", "application/json"), 401, "wrong bearer token");
  // A token with a wrong last character is refused as well (the whole token counts).
  std::string token = m_daemon->token();
  token.back() = token.back() == '0' ? '1' : '0';
  wrong->set_bearer_token_auth(token.c_str());
  expect_error(wrong->Get("/metrics"), 401, "wrong bearer token");
  // The scheme is case-insensitive, the token is not.
  for (const char* scheme : {"bearer", "BEARER", "BeArEr"}) {
    httplib::Headers auth = {{"Authorization", std::string(scheme) + " " + m_daemon->token()}};
    auto info = http(false)->Get("/v1/info", auth);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->status, 200) << scheme;
  }
  auto health = http(false)->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  EXPECT_FALSE(health->get_header_value("X-Fnq-Version").empty());
}

TEST_F(ApiStatusTest, UnknownFunctionCallOrRouteIs404) {
  expect_error(http()->Post("/async-function/nosuch", "x", "text/plain"), 404,
               "unknown function 'nosuch'");
  expect_error(http()->Post("/function/nosuch/a/b", "x", "text/plain"), 404,
               "unknown function 'nosuch'");
  expect_error(http()->Post("/v1/calls", R"({"function": "nosuch"})", "application/json"), 404,
               "unknown function 'nosuch'");
  expect_error(http()->Get("/v1/functions/nosuch"), 404, "unknown function 'nosuch'");
  expect_error(http()->Delete("/v1/functions/nosuch"), 404, "nosuch");
  const std::string id = "01a20c24-107f-7012-acfd-c5804144c57f";
  expect_error(http()->Get("/v1/calls/" + id), 404, "unknown call");
  expect_error(http()->Get("/v1/calls/" + id + "/output"), 404, "unknown call");
  expect_error(http()->Post("/v1/calls/" + id + "/cancel", "", "text/plain"), 404, "unknown call");
  expect_error(http()->Get("/v1/calls/01a20c24"), 404, "unknown call '01a20c24'");
  expect_error(http()->Post("/v1/await", json{{"ids", {id}}}.dump(), "application/json"), 404, id);
  expect_error(http()->Get("/v1/nothing/here"), 404, "no such route: GET /v1/nothing/here");
  expect_error(http()->Post("/v1/nothing", "body", "text/plain"), 404,
               "no such route: POST /v1/nothing");
}

// A path some route takes, with another method: 405 naming the methods it
// takes, as /async-function/ always did.
TEST_F(ApiStatusTest, AWrongMethodOnAKnownPathIs405WithAllow) {
  put_function("echo", {{"command", {"cat"}}});
  const std::string id = "01a20c24-107f-7012-acfd-c5804144c57f";
  auto check = [](const httplib::Result& res, const std::string& allow) {
    expect_error(res, 405, "not allowed");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->get_header_value("Allow"), allow);
  };
  check(http()->Delete("/v1/calls"), "GET, HEAD, POST");
  check(http()->Delete("/v1/calls/" + id), "GET, HEAD");
  check(http()->Get("/v1/calls/" + id + "/cancel"), "POST");
  check(http()->Get("/v1/await"), "POST");
  check(http()->Post("/v1/functions/echo", "{}", "application/json"), "DELETE, GET, HEAD, PUT");
  check(http()->Patch("/v1/functions/echo", "{}", "application/json"), "DELETE, GET, HEAD, PUT");
  check(http()->Options("/function/echo"), "DELETE, GET, HEAD, PATCH, POST, PUT");
  check(http()->Post("/healthz", "", "text/plain"), "GET, HEAD");
  // Still 404 where no route takes the path at all.
  expect_error(http()->Delete("/v1/nothing"), 404, "no such route");
}

TEST_F(ApiStatusTest, OtherMethodsOnAsyncFunctionAre405WithAllowPost) {
  put_function("echo", {{"command", {"cat"}}});
  auto check = [](const httplib::Result& res) {
    expect_error(res, 405, "not allowed");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->get_header_value("Allow"), "POST");
  };
  check(http()->Get("/async-function/echo"));
  check(http()->Put("/async-function/echo", "x", "text/plain"));
  check(http()->Delete("/async-function/echo/sub/path"));
  check(http()->Patch("/async-function/echo", "x", "text/plain"));
}

TEST_F(ApiStatusTest, DeletingAFunctionWithUnfinishedCallsIs409UnlessForced) {
  put_blocking_function("block", {{"concurrency", 1}});
  std::string running = submit({{"function", "block"}});
  std::string queued = submit({{"function", "block"}});
  ASSERT_TRUE(wait_for_state(running, "running"));
  EXPECT_EQ(state_of(queued), "queued");
  expect_error(http()->Delete("/v1/functions/block"), 409, "unfinished");
  EXPECT_EQ(state_of(running), "running");  // refused: nothing changed

  json answer = expect_json(http()->Delete("/v1/functions/block?force=true"), 200);
  EXPECT_EQ(answer["deleted"], "block");
  ASSERT_TRUE(answer["cancelled"].is_array());
  std::vector<std::string> cancelled = answer["cancelled"];
  std::sort(cancelled.begin(), cancelled.end());
  std::vector<std::string> expected = {running, queued};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(cancelled, expected);
  EXPECT_TRUE(wait_for_state(running, "cancelled"));
  EXPECT_EQ(state_of(queued), "cancelled");
  expect_error(http()->Get("/v1/functions/block"), 404, "unknown function");
}

TEST_F(ApiStatusTest, AmbiguousIdPrefixIs409) {
  put_function("noop", {{"command", {"true"}}});
  // UUIDv7 ids start with the time: two calls made within a minute share
  // their first 8 characters (a third one is tried if a boundary fell between).
  std::vector<std::string> ids = {submit({{"function", "noop"}})};
  std::string prefix;
  while (prefix.size() < 8 && ids.size() < 5) {
    ids.push_back(submit({{"function", "noop"}}));
    const std::string& a = ids[ids.size() - 2];
    const std::string& b = ids.back();
    std::size_t n = 0;
    while (n < a.size() && a[n] == b[n]) {
      ++n;
    }
    prefix = a.substr(0, n);
  }
  ASSERT_GE(prefix.size(), 8u);
  if (prefix.back() == '-') {
    prefix.pop_back();
  }
  ASSERT_GE(prefix.size(), 8u);
  expect_error(http()->Get("/v1/calls/" + prefix), 409,
               "ambiguous call id prefix '" + prefix + "'");
  json one = expect_json(http()->Get("/v1/calls/" + ids.back().substr(0, 30)), 200);
  EXPECT_EQ(one["id"], ids.back());
}

TEST_F(ApiStatusTest, AShuttingDownDaemonAnswers503AndHealthzSaysSo) {
  start_daemon({"--shutdown-grace", "60s"});
  put_function("echo", {{"command", {"cat"}}});
  put_blocking_function("block");
  std::string id = submit({{"function", "block"}});
  ASSERT_TRUE(wait_for_state(id, "running"));
  ASSERT_EQ(::kill(m_daemon->pid(), SIGTERM), 0);
  // The running call keeps the daemon in its grace period until released.
  ASSERT_TRUE(wait_until([&] {
    auto res = http(false)->Get("/healthz");
    return res && res->status == 503;
  }));
  auto health = http(false)->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, "shutting down\n");
  expect_error(http()->Post("/v1/calls", R"({"function": "echo"})", "application/json"), 503,
               "shutting down");
  expect_error(http()->Post("/async-function/echo", "x", "text/plain"), 503, "shutting down");
  expect_error(http()->Post("/function/echo", "x", "text/plain"), 503, "shutting down");
  expect_json(http()->Get("/v1/calls/" + id), 200);  // reads still work
  release("block");
  EXPECT_EQ(m_daemon->stop(), 0);
  EXPECT_NE(m_daemon->log().find("call " + id + " block attempt 1 succeeded"), std::string::npos);
}

}  // namespace
}  // namespace fnq::test
