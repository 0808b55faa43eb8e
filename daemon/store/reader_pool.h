#pragma once
// A small pool of read-only connections. In WAL mode readers see the last
// committed state and never wait for the writer, nor it for them.
#include <condition_variable>
#include <mutex>
#include <vector>

#include "daemon/store/sqlite.h"

namespace fnq {

class ReaderPool {
 public:
  explicit ReaderPool(std::vector<Database> connections);
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // Exclusive use of one connection until the lease goes out of scope.
  class Lease {
   public:
    Lease(ReaderPool& pool, Database* db) : m_pool(pool), m_db(db) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { m_pool.give_back(m_db); }
    // false: the pool is closed, and there is no connection.
    explicit operator bool() const { return m_db != nullptr; }
    Database& db() { return *m_db; }

   private:
    ReaderPool& m_pool;
    Database* m_db;
  };

  // Waits while every connection is leased. Once closed: an empty lease.
  Lease acquire();
  // Waits for every lease to end, then closes the connections.
  void close();

 private:
  void give_back(Database* db);

  std::vector<Database> m_connections;
  std::mutex m_mutex;
  std::condition_variable m_available;
  std::vector<Database*> m_free;
  bool m_closed = false;
};

}  // namespace fnq
