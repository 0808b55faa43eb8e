#include "daemon/store/pg/pg_pool.h"

#include <algorithm>
#include <utility>

namespace fnq::pg {

Pool::Pool(std::string conninfo, int size, Clock clock)
    : m_conninfo(std::move(conninfo)),
      m_clock(std::move(clock)),
      m_connections(static_cast<std::size_t>(std::max(1, size))) {
  for (Connection& c : m_connections) {
    m_free.push_back(&c);
  }
}

Result<Pool::Lease> Pool::acquire() {
  Connection* conn = nullptr;
  {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_available.wait(lock, [&] { return !m_free.empty(); });
    conn = m_free.back();
    m_free.pop_back();
  }
  Lease lease(this, conn);  // given back on every path
  if (!conn->handle() || conn->is_broken()) {
    FNQ_TRY(connect(conn));
  }
  return lease;
}

Status Pool::connect(Connection* conn) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto wait = m_retry_at - m_clock();
    if (wait > std::chrono::steady_clock::duration::zero()) {
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
      return make_error(ErrorKind::unavailable,
                        m_last_failure + " (trying again in " + std::to_string(ms) + " ms)");
    }
  }
  Status connected;
  if (!conn->handle()) {
    auto opened = Connection::open(m_conninfo);
    if (opened.ok()) {
      *conn = std::move(*opened);
    } else {
      connected = opened.error();
    }
  } else {
    connected = conn->reconnect();
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  if (connected.ok()) {
    m_backoff = k_first_backoff;
    m_retry_at = {};
    return connected;
  }
  m_last_failure = connected.error().message;
  m_retry_at = m_clock() + m_backoff;
  m_backoff = std::min(m_backoff * 2, k_max_backoff);
  return connected;
}

void Pool::give_back(Connection* conn) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_free.push_back(conn);
  }
  m_available.notify_one();
}

}  // namespace fnq::pg
