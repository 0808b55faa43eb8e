#pragma once
// A fixed number of PostgreSQL connections shared by the store's callers.
// Connections open on first use; a broken one (the server restarted, the
// network dropped) is re-established when it is next leased, so the store
// reconnects by itself once the database is back. While it cannot, callers
// get `unavailable` at once rather than waiting, and connection attempts
// back off: after a failed one, none is made for 50 ms, doubling up to 1 s,
// so that a busy fnqd does not hammer a database that is starting up.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/store/pg/pg.h"

namespace fnq::pg {

class Pool {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::milliseconds k_first_backoff{50};
  static constexpr std::chrono::milliseconds k_max_backoff{1000};

  Pool(std::string conninfo, int size, Clock clock = std::chrono::steady_clock::now);
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
  // Opens or re-establishes conn unless a recent attempt failed.
  Status connect(Connection* conn);

  std::string m_conninfo;
  Clock m_clock;
  std::vector<Connection> m_connections;
  std::mutex m_mutex;
  std::condition_variable m_available;
  std::vector<Connection*> m_free;
  // Under m_mutex: when the next connection attempt may be made, the wait
  // after the next failure, and why the last attempt failed.
  std::chrono::steady_clock::time_point m_retry_at{};
  std::chrono::milliseconds m_backoff{k_first_backoff};
  std::string m_last_failure;
};

}  // namespace fnq::pg
