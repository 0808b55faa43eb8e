#include "daemon/store/reader_pool.h"

#include <utility>

namespace fnq {

ReaderPool::ReaderPool(std::vector<Database> connections) : m_connections(std::move(connections)) {
  for (Database& db : m_connections) {
    m_free.push_back(&db);
  }
}

ReaderPool::Lease ReaderPool::acquire() {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_available.wait(lock, [&] { return m_closed || !m_free.empty(); });
  if (m_closed) {
    return Lease(*this, nullptr);
  }
  Database* db = m_free.back();
  m_free.pop_back();
  return Lease(*this, db);
}

void ReaderPool::close() {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_closed = true;
  m_available.wait(lock, [&] { return m_free.size() == m_connections.size(); });
  m_free.clear();
  m_connections.clear();
  lock.unlock();
  m_available.notify_all();  // waiters get an empty lease
}

void ReaderPool::give_back(Database* db) {
  if (!db) {
    return;
  }
  bool closing = false;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_free.push_back(db);
    closing = m_closed;
  }
  if (closing) {
    m_available.notify_all();  // close() waits among the other waiters
  } else {
    m_available.notify_one();
  }
}

}  // namespace fnq
