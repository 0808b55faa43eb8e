#include "daemon/store/pg/pg_pool.h"

#include <algorithm>
#include <utility>

namespace fnq::pg {

Pool::Pool(std::string conninfo, int size)
    : m_conninfo(std::move(conninfo)), m_connections(static_cast<std::size_t>(std::max(1, size))) {
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
  if (!conn->handle()) {
    FNQ_TRY_ASSIGN(*conn, Connection::open(m_conninfo));
  } else if (conn->is_broken()) {
    FNQ_TRY(conn->reconnect());
  }
  return lease;
}

void Pool::give_back(Connection* conn) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_free.push_back(conn);
  }
  m_available.notify_one();
}

}  // namespace fnq::pg
