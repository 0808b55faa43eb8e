#pragma once
// A fixed number of PostgreSQL connections shared by the store's callers.
// Connections open on first use; a broken one (the server restarted, the
// network dropped) is re-established when it is next leased, so the store
// reconnects by itself once the database is back. While it cannot, callers
// get `unavailable` at once rather than waiting.
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/store/pg/pg.h"

namespace fnq::pg {

class Pool {
 public:
  Pool(std::string conninfo, int size);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Exclusive use of one connection until the lease goes out of scope.
  class Lease {
   public:
    Lease(Pool* pool, Connection* conn) : m_pool(pool), m_conn(conn) {}
    Lease(Lease&& other) noexcept : m_pool(other.m_pool), m_conn(other.m_conn) {
      other.m_conn = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (m_conn) {
        m_pool->give_back(m_conn);
      }
    }
    Connection& conn() { return *m_conn; }

   private:
    Pool* m_pool;
    Connection* m_conn;
  };

  // Waits while every connection is leased; unavailable if the one leased
  // cannot be (re)connected.
  Result<Lease> acquire();
  const std::string& conninfo() const { return m_conninfo; }

 private:
  void give_back(Connection* conn);

  std::string m_conninfo;
  std::vector<Connection> m_connections;
  std::mutex m_mutex;
  std::condition_variable m_available;
  std::vector<Connection*> m_free;
};

}  // namespace fnq::pg
