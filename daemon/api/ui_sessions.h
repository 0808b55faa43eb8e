#pragma once
// Dashboard sessions: created by signing in with the token, held by the
// browser in an HttpOnly, SameSite=Strict cookie, each with its own CSRF
// value. Kept in memory: a restart of fnqd signs everyone out.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace fnq {

class UiSessions {
 public:
  static constexpr std::int64_t k_lifetime_ms = 12LL * 3600 * 1000;
  static constexpr std::size_t k_max_sessions = 1000;

  struct Session {
    std::string id;    // the cookie's value: 32 random bytes, hex
    std::string csrf;  // 32 random bytes, hex
    std::int64_t expires_at = 0;
  };

  // A new session lasting k_lifetime_ms from now; past k_max_sessions the
  // one expiring first is dropped.
  Session create(std::int64_t now);
  // The unexpired session with this id.
  std::optional<Session> find(const std::string& id, std::int64_t now);
  void remove(const std::string& id);

 private:
  void drop_expired(std::int64_t now);

  std::mutex m_mutex;
  std::map<std::string, Session> m_sessions;
};

// Takes time that depends only on the expected value's length.
bool constant_time_equal(const std::string& given, const std::string& expected);

}  // namespace fnq
