// The worker side of HttpLoop: runs httplib on the requests a connection has
// queued, in order, and writes their answers without blocking.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/api/http_loop.h"
#include "daemon/memory.h"

namespace fnq {

void HttpLoop::start_workers() {
  int n = std::max(1, m_limits.threads);
  m_workers.reserve(static_cast<std::size_t>(n));
  m_worker_slots.reserve(static_cast<std::size_t>(n));
  m_idle.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    m_worker_slots.push_back(std::make_unique<IdleWorker>());
    IdleWorker* me = m_worker_slots.back().get();
    m_workers.emplace_back([this, me] { worker_main(*me); });
  }
}

void HttpLoop::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(m_work_mutex);
    m_workers_stop = true;
  }
  for (auto& slot : m_worker_slots) {
    slot->cv.notify_one();
  }
  for (auto& t : m_workers) {
    t.join();
  }
  m_workers.clear();
  std::lock_guard<std::mutex> lock(m_work_mutex);
  m_idle.clear();
  m_worker_slots.clear();
}

// The worker idle for the shortest time takes the request: its stack, its
// malloc cache and the CPU's caches are still warm, and under a light load
// one or two workers serve everything (a condition variable shared by all
// would wake the one idle longest).
void HttpLoop::dispatch(const ConnPtr& c) {
  if (m_server.m_loop_handler && answer_on_loop(c)) {
    return;
  }
  queue_for_worker(c);
}

// From any thread.
void HttpLoop::queue_for_worker(const ConnPtr& c) {
  IdleWorker* wake = nullptr;
  {
    std::lock_guard<std::mutex> lock(m_work_mutex);
    m_work.push_back(c);
    if (!m_idle.empty()) {
      wake = m_idle.back();
      m_idle.pop_back();
      wake->woken = true;
    }
  }
  if (wake != nullptr) {
    wake->cv.notify_one();
  }
}

void HttpLoop::worker_main(IdleWorker& me) {
  std::unique_lock<std::mutex> lock(m_work_mutex);
  for (;;) {
    if (!m_work.empty()) {
      ConnPtr c = std::move(m_work.front());
      m_work.pop_front();
      lock.unlock();
      serve(c);
      c.reset();
      lock.lock();
      continue;
    }
    if (m_workers_stop) {
      return;
    }
    me.woken = false;
    m_idle.push_back(&me);
    me.cv.wait(lock, [&] { return me.woken || m_workers_stop; });
  }
}

// Serves c's queued requests until none is left or the loop must act.
namespace {
// A request this large leaves memory behind in a worker's arena (so does
// a large batch, however small its text: Exchange::give_back_memory).
constexpr std::size_t k_trim_after_request = 1u << 20;
}  // namespace

void HttpLoop::serve(const ConnPtr& c) {
  for (;;) {
    Request r;
    bool close_in;
    std::uint64_t attempt;
    std::shared_ptr<void> woken_hold;  // released here, without a lock
    {
      std::lock_guard<std::mutex> lock(c->mutex);
      woken_hold = std::move(c->woken_hold);
      if (c->ready.empty()) {
        c->owner = Owner::loop;
        hand_back(c);
        return;
      }
      r = std::move(c->ready.front());
      c->ready.pop_front();
      close_in = answer_closes(r, *c);
      attempt = ++c->park_attempt;  // wakes of earlier attempts are stale now
      c->wake_pending = false;
    }
    woken_hold.reset();
    HttpServer::Parking parking;
    if (m_parked.load(std::memory_order_relaxed) < m_max_parked) {
      parking.wake = [this, weak = std::weak_ptr<Conn>(c), attempt] {
        if (auto conn = weak.lock()) {
          resume_parked(conn, attempt, Resume::wake);
        }
      };
    }
    parking.resumed_deadline = r.parked_until;
    parking.resumed_note = r.park_note;
    auto served = m_server.serve_request(r.bytes, r.head, c->peer_ip, c->peer_port, c->local_ip,
                                         c->local_port, close_in, std::move(parking));
    if (served.parked) {
      std::shared_ptr<void> release;  // outside the lock: it may take the watch's
      {
        std::lock_guard<std::mutex> lock(c->mutex);
        if (c->failed) {
          // The connection broke meanwhile: nothing can be answered on it.
          release = std::move(served.park_hold);
          c->ready.clear();
          c->owner = Owner::loop;
          hand_back(c);
          return;
        }
        r.parked_until = served.park_deadline;
        if (!served.park_note.empty()) {
          r.park_note = std::move(served.park_note);  // else the first run's stays
        }
        c->ready.push_front(std::move(r));
        if (!c->wake_pending) {
          c->parked = true;
          ++m_parked;
          c->parked_until = served.park_deadline;
          c->park_hold = std::move(served.park_hold);
          return;  // no thread holds it now; the loop serves it again
        }
        c->wake_pending = false;  // woken already: serve it again now
        release = std::move(served.park_hold);
      }
      continue;
    }
    std::string& answer = served.answer;
    bool close_out = served.close || answer.empty();  // empty: the request was unreadable
    bool sent = send_answer(*c, answer);
    if (r.bytes.size() >= k_trim_after_request || served.give_back_memory) {
      // The request's bytes, its parsed body and what the handler made of
      // them are freed once these go; the allocator would keep what it did
      // not map, at its high-water mark (see docs/internals.md, "JSON
      // bodies"). The one place a large request gives its memory back.
      std::string().swap(r.bytes);
      std::string().swap(answer);
      give_back_free_memory();
    }
    std::lock_guard<std::mutex> lock(c->mutex);
    c->closing = c->closing || close_out || close_in;
    c->failed = c->failed || !sent;
    bool more = !c->ready.empty() && !c->closing && !c->failed;
    if (more && c->out_pos >= c->out.size()) {
      continue;
    }
    c->owner = Owner::loop;
    if (!c->paused && !c->closing && !c->failed && c->out_pos >= c->out.size() &&
        c->ready.empty()) {
      c->answered_at = Clock::now();
      return;  // the loop reads the next request as before: nothing to tell it
    }
    hand_back(c);
    return;
  }
}

// A parked request's wake (from the thread that reports its calls, with the
// watch's lock held), or the loop's resume (deadline, stop, broken
// connection): a worker serves it again, without waking the loop.
void HttpLoop::resume_parked(const ConnPtr& c, std::uint64_t attempt, Resume by) {
  {
    std::lock_guard<std::mutex> lock(c->mutex);
    if (attempt != c->park_attempt) {
      return;  // a wake of an earlier run of the request, or of another request
    }
    if (!c->parked) {
      if (by == Resume::wake) {
        c->wake_pending = true;  // its worker has not finished parking it
      }
      return;
    }
    c->parked = false;
    --m_parked;
    // Not released here: that takes the watch's lock, which a wake holds.
    c->woken_hold = std::move(c->park_hold);
  }
  queue_for_worker(c);
}

void HttpLoop::resume_if_parked(const ConnPtr& c) {
  std::uint64_t attempt;
  {
    std::lock_guard<std::mutex> lock(c->mutex);
    if (!c->parked) {
      return;
    }
    attempt = c->park_attempt;
  }
  resume_parked(c, attempt, Resume::loop);
}

// Called with c's mutex held.
void HttpLoop::hand_back(const ConnPtr& c) {
  {
    std::lock_guard<std::mutex> lock(m_handback_mutex);
    m_handbacks.push_back(c);
  }
  std::uint64_t one = 1;
  (void)!::write(m_wake.get(), &one, sizeof one);
}

// Sends what the socket takes now; the rest is left in c.out for the loop.
// False when the connection is broken.
bool HttpLoop::send_answer(Conn& c, const std::string& answer) {
  std::size_t sent = 0;
  while (sent < answer.size()) {
    ssize_t n =
        ::send(c.fd.get(), answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      std::lock_guard<std::mutex> lock(c.mutex);
      c.out = answer.substr(sent);
      c.out_pos = 0;
      c.write_deadline = after(m_limits.write_timeout);
      return true;
    }
    return false;
  }
  return true;
}

}  // namespace fnq
