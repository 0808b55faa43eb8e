#pragma once
// The dashboard (/ui/): its sign-in and session checks, and the files
// compiled into fnqd (generated from daemon/ui/ by cmake/embed_ui.cmake).
#include <cstddef>
#include <string>

#include <httplib.h>

namespace fnq {

struct ApiContext;

inline constexpr const char k_ui_cookie[] = "fnq_session";
inline constexpr const char k_csrf_header[] = "X-Fnq-Csrf";

// Paths that check their own credentials: the dashboard's pages and files
// hold no data, and /ui/session checks the token or the session itself.
bool is_ui_path(const std::string& path);

enum class UiAuth {
  absent,     // no session cookie
  unknown,    // a cookie, but no such session (expired, or fnqd restarted)
  no_csrf,    // a session, but a state-changing request without its CSRF value
  signed_in,  // a session, and the CSRF value where one is needed
};
// The request's session cookie, checked against the sessions; POST, PUT,
// PATCH and DELETE also need the session's CSRF value in X-Fnq-Csrf.
UiAuth check_ui_session(ApiContext& ctx, const httplib::Request& req);

// The value of cookie `name` in the Cookie header, or "".
std::string cookie_value(const httplib::Request& req, const std::string& name);

struct UiAsset {
  const char* name;  // "app.js"
  const char* content_type;
  const unsigned char* data;
  std::size_t size;
  const char* etag;  // a hash of the content, quoted
};
// The compiled-in file with this name, or nullptr.
const UiAsset* find_ui_asset(const std::string& name);

void register_ui_routes(httplib::Server& server, ApiContext& ctx);
// /v1/stats and /v1/calls/{id}/dependents: what the overview and a call's page need.
void register_stats_routes(httplib::Server& server, ApiContext& ctx);

}  // namespace fnq
