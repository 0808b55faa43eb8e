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
  m_available.wait(lock, [&] { return !m_free.empty(); });
  Database* db = m_free.back();
  m_free.pop_back();
  return Lease(*this, db);
}

void ReaderPool::give_back(Database* db) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_free.push_back(db);
  }
  m_available.notify_one();
}

}  // namespace fnq
