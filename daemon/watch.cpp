#include "daemon/watch.h"

namespace fnq {

CallWatch::Subscription::Subscription(CallWatch& watch, std::vector<std::string> ids)
    : m_watch(watch), m_ids(std::move(ids)) {
  std::lock_guard<std::mutex> lock(m_watch.m_mutex);
  for (const auto& id : m_ids) {
    m_watch.m_by_id.emplace(id, this);
  }
  ++m_watch.m_waiters;
}

CallWatch::Subscription::~Subscription() {
  std::lock_guard<std::mutex> lock(m_watch.m_mutex);
  for (const auto& id : m_ids) {
    auto [begin, end] = m_watch.m_by_id.equal_range(id);
    for (auto it = begin; it != end; ++it) {
      if (it->second == this) {
        m_watch.m_by_id.erase(it);
        break;
      }
    }
  }
  --m_watch.m_waiters;
}

bool CallWatch::Subscription::wait_until(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(m_watch.m_mutex);
  m_cv.wait_until(lock, deadline, [&] { return m_fired != m_seen || m_watch.m_shutdown; });
  if (m_fired != m_seen) {
    m_seen = m_fired;
    return true;
  }
  return false;
}

std::uint64_t CallWatch::Subscription::reports() const {
  std::lock_guard<std::mutex> lock(m_watch.m_mutex);
  return m_fired;
}

void CallWatch::Subscription::wake_after(std::uint64_t reports, std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(m_watch.m_mutex);
  m_wake = std::move(wake);
  m_wake_at = reports;
  if (m_fired >= m_wake_at || m_watch.m_shutdown) {
    fire_wake();
  }
}

void CallWatch::Subscription::fire_wake() {
  if (m_wake) {
    auto wake = std::move(m_wake);
    m_wake = nullptr;
    wake();
  }
}

void CallWatch::notify(const std::vector<std::string>& terminal_ids) {
  std::lock_guard<std::mutex> lock(m_mutex);
  for (const auto& id : terminal_ids) {
    auto [begin, end] = m_by_id.equal_range(id);
    for (auto it = begin; it != end; ++it) {
      Subscription* sub = it->second;
      ++sub->m_fired;
      if (sub->m_wake && sub->m_fired >= sub->m_wake_at) {
        sub->fire_wake();
      } else {
        sub->m_cv.notify_all();
      }
    }
  }
}

void CallWatch::shutdown() {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_shutdown = true;
  for (auto& [id, sub] : m_by_id) {
    sub->fire_wake();
    sub->m_cv.notify_all();
  }
}

std::size_t CallWatch::waiters() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_waiters;
}

std::vector<std::string> CallWatch::watched_ids() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::vector<std::string> out;
  for (const auto& entry : m_by_id) {
    if (out.empty() || out.back() != entry.first) {
      out.push_back(entry.first);  // equal keys are adjacent in a multimap
    }
  }
  return out;
}

}  // namespace fnq
