#include "daemon/api/ui_sessions.h"

#include <algorithm>

#include "common/ids.h"

namespace fnq {

UiSessions::Session UiSessions::create(std::int64_t now) {
  Session s{random_hex(32), random_hex(32), now + k_lifetime_ms};
  std::lock_guard<std::mutex> lock(m_mutex);
  drop_expired(now);
  if (m_sessions.size() >= k_max_sessions) {
    auto first = std::min_element(m_sessions.begin(), m_sessions.end(), [](auto& a, auto& b) {
      return a.second.expires_at < b.second.expires_at;
    });
    m_sessions.erase(first);
  }
  m_sessions[s.id] = s;
  return s;
}

std::optional<UiSessions::Session> UiSessions::find(const std::string& id, std::int64_t now) {
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_sessions.find(id);
  if (it == m_sessions.end()) {
    return std::nullopt;
  }
  if (it->second.expires_at <= now) {
    m_sessions.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void UiSessions::remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_sessions.erase(id);
}

void UiSessions::drop_expired(std::int64_t now) {
  for (auto it = m_sessions.begin(); it != m_sessions.end();) {
    it = it->second.expires_at <= now ? m_sessions.erase(it) : std::next(it);
  }
}

bool constant_time_equal(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

}  // namespace fnq
