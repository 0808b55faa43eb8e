// The dashboard's routes on a real fnqd: its compiled-in files and their
// headers, sign-in with the token, the session cookie, the CSRF value on
// state-changing requests, and the endpoints its pages read (/v1/stats,
// /v1/calls?text=, dependents, input).
#include "integration/api_support.h"

namespace fnq::test {
namespace {

class UiTest : public ApiTest {
 protected:
  // Signs in; returns the cookie header value and sets m_csrf.
  std::string sign_in() {
    json body = {{"token", m_daemon->token()}};
    auto res = http(false)->Post("/ui/session", body.dump(), "application/json");
    json j = expect_json(res, 200);
    EXPECT_EQ(j["signed_in"], true);
    m_csrf = j.value("csrf", "");
    EXPECT_EQ(m_csrf.size(), 64u);
    std::string set_cookie = res ? res->get_header_value("Set-Cookie") : "";
    auto end = set_cookie.find(';');
    return set_cookie.substr(0, end);
  }
  std::string m_csrf;
};

TEST_F(UiTest, PagesAndFilesAreServedWithAStrictPolicy) {
  for (const char* path : {"/ui/", "/ui/calls", "/ui/calls/0190abcd", "/ui/pipelines",
                           "/ui/pipelines/0190abcd", "/ui/functions", "/ui/functions/resize"}) {
    auto res = http(false)->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_NE(res->body.find("/ui/static/app.js"), std::string::npos) << path;
    EXPECT_NE(res->body.find("/ui/static/pipelines.js"), std::string::npos) << path;
    std::string csp = res->get_header_value("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache");
  }
  auto js = http(false)->Get("/ui/static/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  std::string etag = js->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = http(false)->Get("/ui/static/app.js", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto css = http(false)->Get("/ui/static/app.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->get_header_value("Content-Type"), "text/css; charset=utf-8");
  expect_error(http(false)->Get("/ui/static/nope.js"), 404, "no dashboard file 'nope.js'");
  auto bare = http(false)->Get("/ui");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 301);
  EXPECT_EQ(bare->get_header_value("Location"), "/ui/");
}

TEST_F(UiTest, SignInGivesAnHttpOnlyStrictCookieAndAWrongTokenIs401) {
  json not_yet = expect_json(http(false)->Get("/ui/session"), 200);
  EXPECT_EQ(not_yet["signed_in"], false);
  json wrong = {{"token", std::string(64, '0')}};
  auto refused = http(false)->Post("/ui/session", wrong.dump(), "application/json");
  expect_error(refused, 401, "wrong token");
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->has_header("Set-Cookie"));
  expect_error(http(false)->Post("/ui/session", "{}", "application/json"), 401, "missing token");

  json body = {{"token", m_daemon->token()}};
  auto res = http(false)->Post("/ui/session", body.dump(), "application/json");
  expect_json(res, 200);
  ASSERT_TRUE(res);
  std::string cookie = res->get_header_value("Set-Cookie");
  EXPECT_EQ(cookie.rfind("fnq_session=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Max-Age=43200"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find(m_daemon->token()), std::string::npos);
  // Nothing of the token in the log.
  EXPECT_EQ(m_daemon->log().find(m_daemon->token()), std::string::npos);
}

TEST_F(UiTest, TheSessionCookieReadsAndItsCsrfValueIsNeededToWrite) {
  put_function("echo", {{"command", {"cat"}}});
  std::string id = submit({{"function", "echo"}, {"input", "x"}});
  ASSERT_TRUE(wait_for_state(id, "succeeded"));
  std::string cookie = sign_in();
  httplib::Headers with_cookie = {{"Cookie", cookie}};
  expect_json(http(false)->Get("/v1/stats", with_cookie), 200);
  expect_json(http(false)->Get("/v1/calls/" + id, with_cookie), 200);
  json session = expect_json(http(false)->Get("/ui/session", with_cookie), 200);
  EXPECT_EQ(session["csrf"], m_csrf);

  expect_error(http(false)->Post("/v1/calls/" + id + "/retry", with_cookie, "", "text/plain"), 403,
               "CSRF");
  httplib::Headers wrong = {{"Cookie", cookie}, {"X-Fnq-Csrf", std::string(64, '0')}};
  expect_error(http(false)->Post("/v1/calls/" + id + "/retry", wrong, "", "text/plain"), 403,
               "CSRF");
  httplib::Headers right = {{"Cookie", cookie}, {"X-Fnq-Csrf", m_csrf}};
  // Let through: a succeeded call is not retried (409), which is the API's answer.
  expect_error(http(false)->Post("/v1/calls/" + id + "/retry", right, "", "text/plain"), 409);
  json call = {{"function", "echo"}, {"input", "y"}, {"headers", {{"X-Fnq-Csrf", m_csrf}}}};
  json made =
      expect_json(http(false)->Post("/v1/calls", right, call.dump(), "application/json"), 202);
  EXPECT_EQ(made["function"], "echo");

  // Another cookie, or none: the API's 401.
  httplib::Headers unknown = {{"Cookie", "fnq_session=" + std::string(64, 'a')}};
  expect_error(http(false)->Get("/v1/stats", unknown), 401, "sign in again");
  expect_error(http(false)->Get("/v1/stats"), 401, "missing bearer token");

  // Signing out needs the CSRF value too, then the cookie reads nothing.
  expect_error(http(false)->Delete("/ui/session", with_cookie), 403, "CSRF");
  expect_json(http(false)->Delete("/ui/session", right), 200);
  expect_error(http(false)->Get("/v1/stats", with_cookie), 401, "sign in again");
  EXPECT_EQ(m_daemon->log().find(cookie.substr(cookie.find('=') + 1)), std::string::npos);
}

TEST_F(UiTest, WithAuthNoneThePageOpensWithoutSigningIn) {
  m_daemon->stop();
  start_daemon({"--auth", "none"});
  json session = expect_json(http(false)->Get("/ui/session"), 200);
  EXPECT_EQ(session["auth"], "none");
  EXPECT_EQ(session["signed_in"], true);
  expect_json(http(false)->Get("/v1/stats"), 200);
}

TEST_F(UiTest, StatsCountCallsByStateAndFunctionAndPerMinute) {
  put_function("ok", {{"command", {"true"}}});
  put_function("bad", {{"command", {"false"}}, {"max_retries", 0}});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(submit({{"function", "ok"}}));
  }
  ids.push_back(submit({{"function", "bad"}}));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE(wait_for_state(ids[i], i < 3 ? "succeeded" : "failed"));
  }
  json stats = expect_json(http()->Get("/v1/stats"), 200);
  EXPECT_EQ(stats["states"]["succeeded"], 3);
  EXPECT_EQ(stats["states"]["failed"], 1);
  EXPECT_EQ(stats["states"]["queued"], 0);
  EXPECT_EQ(stats["functions"]["ok"]["succeeded"], 3);
  EXPECT_EQ(stats["functions"]["bad"]["failed"], 1);
  EXPECT_GT(stats["database_bytes"].get<std::int64_t>(), 0);
  EXPECT_GE(stats["max_inflight"].get<int>(), 1);
  ASSERT_EQ(stats["finished_per_minute"].size(), 61u);
  std::int64_t ok = 0;
  std::int64_t failed = 0;
  for (const auto& m : stats["finished_per_minute"]) {
    ok += m["counts"].value("succeeded", 0);
    failed += m["counts"].value("failed", 0);
  }
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(failed, 1);
  // A retried call counts again when it ends again.
  expect_json(http()->Post("/v1/calls/" + ids[3] + "/retry", "", "text/plain"), 202);
  ASSERT_TRUE(wait_until([&] { return state_of(ids[3]) == "failed"; }));
  stats = expect_json(http()->Get("/v1/stats"), 200);
  EXPECT_EQ(stats["states"]["failed"], 1);
  failed = 0;
  for (const auto& m : stats["finished_per_minute"]) {
    failed += m["counts"].value("failed", 0);
  }
  EXPECT_EQ(failed, 2);
}

TEST_F(UiTest, TextFindsCallsByIdPrefixOrErrorAndDependentsAndInputAreRead) {
  put_function("ok", {{"command", {"cat"}}});
  put_function("bad", {{"command", {"sh", "-c", "exit 7"}}, {"max_retries", 0}});
  std::string a = submit({{"function", "ok"}, {"input", "hello input"}});
  std::string b = submit({{"function", "bad"}});
  ASSERT_TRUE(wait_for_state(a, "succeeded"));
  ASSERT_TRUE(wait_for_state(b, "failed"));
  std::string c = submit({{"function", "ok"}, {"needs", {a}}});
  ASSERT_TRUE(wait_for_state(c, "succeeded"));

  json by_prefix = expect_json(http()->Get("/v1/calls?text=" + a.substr(0, 8)), 200);
  std::vector<std::string> found;
  for (const auto& call : by_prefix["calls"]) {
    found.push_back(call["id"]);
  }
  EXPECT_NE(std::find(found.begin(), found.end(), a), found.end());
  json by_error = expect_json(http()->Get("/v1/calls?text=EXIT%20STATUS%207"), 200);
  ASSERT_EQ(by_error["calls"].size(), 1u);
  EXPECT_EQ(by_error["calls"][0]["id"], b);
  EXPECT_EQ(by_error["next_before"], nullptr);
  json filtered = expect_json(http()->Get("/v1/calls?text=exit&function=ok"), 200);
  EXPECT_TRUE(filtered["calls"].empty());

  // Dependents stay known after the needed call finished (its edges are consumed).
  json deps = expect_json(http()->Get("/v1/calls/" + a + "/dependents"), 200);
  EXPECT_EQ(deps["dependents"], json::array({c}));
  json none = expect_json(http()->Get("/v1/calls/" + c + "/dependents"), 200);
  EXPECT_TRUE(none["dependents"].empty());
  auto input = http()->Get("/v1/calls/" + a + "/input");
  ASSERT_TRUE(input);
  EXPECT_EQ(input->status, 200);
  EXPECT_EQ(input->body, "hello input");
}

}  // namespace
}  // namespace fnq::test
