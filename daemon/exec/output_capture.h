#pragma once
// What the executor keeps of a child's output: the head of stdout (the
// call's result) and the tail of stderr (where the reason for a failure is).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace fnq {

// Keeps the first `limit` bytes and counts all of them.
class HeadCapture {
 public:
  explicit HeadCapture(std::uint64_t limit) : m_limit(limit) {}
  void append(const char* data, std::size_t size) {
    m_total += size;
    if (m_kept.size() < m_limit) {
      std::uint64_t room = m_limit - m_kept.size();
      m_kept.append(data, static_cast<std::size_t>(std::min<std::uint64_t>(size, room)));
    }
  }
  std::uint64_t total() const { return m_total; }
  bool truncated() const { return m_total > m_kept.size(); }
  std::string take() { return std::move(m_kept); }

 private:
  std::uint64_t m_limit;
  std::uint64_t m_total = 0;
  std::string m_kept;
};

// Keeps the last `limit` bytes. Trims lazily, at twice the limit, so the
// cost per byte stays constant.
class TailCapture {
 public:
  explicit TailCapture(std::size_t limit) : m_limit(limit) {}
  void append(const char* data, std::size_t size) {
    if (size >= m_limit) {
      m_kept.assign(data + (size - m_limit), m_limit);
      return;
    }
    m_kept.append(data, size);
    if (m_kept.size() > 2 * m_limit) {
      m_kept.erase(0, m_kept.size() - m_limit);
    }
  }
  std::string take() {
    if (m_kept.size() > m_limit) {
      m_kept.erase(0, m_kept.size() - m_limit);
    }
    return std::move(m_kept);
  }

 private:
  std::size_t m_limit;
  std::string m_kept;
};

}  // namespace fnq
