// /ui/: the dashboard's files (compiled in), its pages (one HTML shell for
// every addressable URL; the script reads the path), and its sign-in.
#include "daemon/api/ui.h"

#include "common/json_fields.h"
#include "common/timeutil.h"
#include "daemon/api/context.h"
#include "daemon/api/http_server.h"
#include "daemon/log.h"

namespace fnq {

namespace {

// The files come from fnqd itself; nothing else may run, load or frame them.
constexpr const char k_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

bool is_state_changing(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

void set_page_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy", k_csp);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
}

// Answers with a compiled-in file; revalidated each time (ETag), so a new
// fnqd is never served an old script from the browser's cache.
void send_asset(const UiAsset& asset, const httplib::Request& req, httplib::Response& res) {
  set_page_headers(res);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", asset.etag);
  if (req.get_header_value("If-None-Match") == asset.etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(reinterpret_cast<const char*>(asset.data), asset.size, asset.content_type);
}

Status ui_redirect(ApiContext&, const httplib::Request&, httplib::Response& res) {
  res.status = 301;
  res.set_header("Location", "/ui/");
  return {};
}

Status ui_file(ApiContext&, const httplib::Request& req, httplib::Response& res) {
  const UiAsset* asset = find_ui_asset(req.matches[1]);
  if (!asset) {
    return make_error(ErrorKind::not_found,
                      "no dashboard file '" + std::string(req.matches[1]) + "'");
  }
  send_asset(*asset, req, res);
  return {};
}

// Every page of the dashboard is the same shell; its script draws the page
// the path names (/ui/calls?state=failed, /ui/calls/{id}, ...).
Status ui_page(ApiContext&, const httplib::Request& req, httplib::Response& res) {
  const UiAsset* shell = find_ui_asset("index.html");
  if (!shell) {
    return make_error(ErrorKind::internal, "the dashboard was not compiled in");
  }
  send_asset(*shell, req, res);
  return {};
}

json session_json(ApiContext& ctx, const UiSessions::Session* s) {
  if (ctx.token.empty()) {
    return json{{"auth", "none"}, {"signed_in", true}, {"csrf", ""}};
  }
  return json{{"auth", "token"},
              {"signed_in", true},
              {"csrf", s->csrf},
              {"expires_at", format_time(s->expires_at)}};
}

// Whether the dashboard is signed in, and its CSRF value (the page keeps it
// in memory only, so a reload asks again).
Status get_session(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  set_page_headers(res);
  res.set_header("Cache-Control", "no-store");
  if (ctx.token.empty()) {
    write_json(res, 200, session_json(ctx, nullptr));
    return {};
  }
  // Not signed in is an answer here, not an error: the page asks for the token.
  auto s = ctx.ui_sessions.find(cookie_value(req, k_ui_cookie), now_ms());
  write_json(res, 200, s ? session_json(ctx, &*s) : json{{"auth", "token"}, {"signed_in", false}});
  return {};
}

// {"token": "..."}: the token, once; answered with a session cookie.
Status post_session(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  set_page_headers(res);
  res.set_header("Cache-Control", "no-store");
  if (ctx.token.empty()) {
    write_json(res, 200, session_json(ctx, nullptr));
    return {};
  }
  FNQ_TRY_ASSIGN(auto body, parse_json_body(req));
  if (!body.is_object()) {
    return make_error(ErrorKind::invalid_input, "expected a JSON object like {\"token\": \"...\"}");
  }
  FNQ_TRY(check_known_fields(body, {"token"}));
  std::optional<std::string> token;
  FNQ_TRY(read_string(body, "token", &token));
  if (!token || token->empty()) {
    return make_error(ErrorKind::unauthorized, "missing token (paste the token of this fnqd)");
  }
  if (!constant_time_equal(*token, ctx.token)) {
    return make_error(ErrorKind::unauthorized, "wrong token");
  }
  auto s = ctx.ui_sessions.create(now_ms());
  res.set_header("Set-Cookie", std::string(k_ui_cookie) + "=" + s.id + "; Path=/; Max-Age=" +
                                   std::to_string(UiSessions::k_lifetime_ms / 1000) +
                                   "; HttpOnly; SameSite=Strict");
  if (Exchange* e = current_exchange()) {
    log_line("dashboard: signed in from " + e->peer);
  }
  write_json(res, 200, session_json(ctx, &s));
  return {};
}

// Signing out: the session (checked with its CSRF value) ends.
Status delete_session(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  set_page_headers(res);
  if (!ctx.token.empty()) {
    auto auth = check_ui_session(ctx, req);
    if (auth == UiAuth::no_csrf) {
      write_error(res, 403, std::string("missing or wrong CSRF value (") + k_csrf_header + ")");
      return {};
    }
    if (auth == UiAuth::signed_in) {
      ctx.ui_sessions.remove(cookie_value(req, k_ui_cookie));
    }
  }
  res.set_header("Set-Cookie",
                 std::string(k_ui_cookie) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
  write_json(res, 200, json{{"signed_out", true}});
  return {};
}

}  // namespace

bool is_ui_path(const std::string& path) { return path == "/ui" || path.rfind("/ui/", 0) == 0; }

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) {
      end = header.size();
    }
    std::size_t start = header.find_first_not_of(' ', pos);
    if (start < end && header.compare(start, name.size() + 1, name + "=") == 0) {
      return header.substr(start + name.size() + 1, end - start - name.size() - 1);
    }
    pos = end + 1;
  }
  return "";
}

UiAuth check_ui_session(ApiContext& ctx, const httplib::Request& req) {
  std::string id = cookie_value(req, k_ui_cookie);
  if (id.empty()) {
    return UiAuth::absent;
  }
  auto s = ctx.ui_sessions.find(id, now_ms());
  if (!s) {
    return UiAuth::unknown;
  }
  if (is_state_changing(req.method) &&
      !constant_time_equal(req.get_header_value(k_csrf_header), s->csrf)) {
    return UiAuth::no_csrf;
  }
  return UiAuth::signed_in;
}

void register_ui_routes(httplib::Server& s, ApiContext& ctx) {
  add_route(s, ctx, "GET", "/ui/session", "/ui/session", get_session);
  add_route(s, ctx, "POST", "/ui/session", "/ui/session", post_session);
  add_route(s, ctx, "DELETE", "/ui/session", "/ui/session", delete_session);
  add_route(s, ctx, "GET", "/ui", "/ui", ui_redirect);
  add_route(s, ctx, "GET", "/ui/static/([A-Za-z0-9._-]+)", "/ui/static", ui_file);
  add_route(s, ctx, "GET",
            "/ui/(|calls|calls/[^/]+|pipelines|pipelines/[^/]+|functions|functions/[^/]+)",
            "/ui/page", ui_page);
}

}  // namespace fnq
