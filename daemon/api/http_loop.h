#pragma once
// The event loop and worker pool behind HttpServer (see http_server.h for the
// design). One connection is owned at any time by either the loop or one
// worker (Conn::owner, under Conn::mutex): the owner alone writes to its
// socket. The loop alone reads sockets and frames requests; it queues them
// on their connection (Conn::ready), and hands the connection to a worker
// when the loop owns it. A worker serves the queued requests in order and
// gives the connection back, waking the loop only when the loop has
// something to do (an answer the socket did not take at once, a close).
// A request the server's loop handler takes (a submit) is not given to a
// worker: the connection stays owned by "a worker" while the handler's
// answer is pending, and the loop writes that answer when it arrives.
// A request a worker parks (a long poll, see park_request) stays first in
// Conn::ready, the connection stays owned by "a worker", and no thread
// holds it: when woken, or at its deadline, the connection is queued for a
// worker again, which serves the request again.
#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/api/http_framing.h"
#include "daemon/api/http_server.h"

namespace fnq {

class HttpLoop {
 public:
  using Clock = std::chrono::steady_clock;

  HttpLoop(HttpServer& server, int listen_fd, int stop_fd);
  ~HttpLoop();
  HttpLoop(const HttpLoop&) = delete;
  HttpLoop& operator=(const HttpLoop&) = delete;

  // Serves until the stop eventfd is readable and every connection is closed.
  void run();

 private:
  struct Request {
    std::string bytes;
    RequestHead head;
    bool close_after = false;
    std::optional<Clock::time_point> parked_until;  // parked once, with this deadline
    std::string park_note;                          // and this note (Exchange::park_note)
  };
  enum class Owner { loop, worker };
  struct Conn {
    Fd fd;
    std::string peer_ip, local_ip;
    int peer_port = 0, local_port = 0;
    std::string peer() const { return peer_ip + ":" + std::to_string(peer_port); }
    // The loop's alone.
    std::string in;
    std::size_t scanned = 0;
    Clock::time_point first_byte{};  // of the request being read
    Clock::time_point last_active{};
    Clock::time_point linger_until{};
    bool lingering = false;
    bool sent_continue = false;
    bool read_done = false;  // nothing more is read as requests
    bool gone = false;       // closed and out of the table
    std::uint32_t events = 0;
    // Shared with the worker that owns it, under mutex.
    std::mutex mutex;
    Owner owner = Owner::loop;
    std::deque<Request> ready;
    bool paused = false;   // reading stopped until ready drains
    bool closing = false;  // close after the answer being written
    bool failed = false;   // the socket is broken: close now
    std::string out;       // answer bytes the socket has not taken yet
    std::size_t out_pos = 0;
    Clock::time_point write_deadline = Clock::time_point::max();
    Clock::time_point answered_at{};  // the last answer was written
    // Parking: ready.front() waits for its wake or its deadline. Each run
    // of a request that may park is one attempt (park_attempt); a wake of
    // an earlier attempt is stale and ignored.
    bool parked = false;
    std::uint64_t park_attempt = 0;
    bool wake_pending = false;  // this attempt was woken before it finished parking
    std::shared_ptr<void> park_hold;
    std::shared_ptr<void> woken_hold;  // park_hold once woken: its worker releases it
    Clock::time_point parked_until{};
  };
  using ConnPtr = std::shared_ptr<Conn>;

  // Loop side (http_loop.cpp).
  void accept_all();
  bool make_room();
  void on_event(const epoll_event& ev);
  void read_from(const ConnPtr& c);
  void frame_all(const ConnPtr& c);
  void on_eof(const ConnPtr& c);
  void broken(const ConnPtr& c);
  void invite_body(const ConnPtr& c);
  void cut_off(const ConnPtr& c, int status, const std::string& message);
  void progress(const ConnPtr& c);
  bool write_out(Conn& c);
  void set_events(Conn& c, std::uint32_t events);
  void start_linger(const ConnPtr& c);
  void close_conn(const ConnPtr& c);
  void check_deadlines();
  void take_handbacks();
  // Parking: from any thread (a parked request's wake), or the loop's
  // (deadline, stop, a reset connection): queues c for a worker, which
  // serves its request again. A wake of another attempt than c's current
  // one does nothing; the loop resumes only a request that is parked.
  enum class Resume { wake, loop };
  void resume_parked(const ConnPtr& c, std::uint64_t attempt, Resume by);
  // The loop's side: resumes c if its request is parked.
  void resume_if_parked(const ConnPtr& c);
  void release_parked();  // before the workers stop: no wake may run after
  // The loop handler's side: offers c's next request to it; writes the
  // answers it gave.
  bool answer_on_loop(const ConnPtr& c);
  void take_loop_answers();
  std::string error_answer(int status, const std::string& message) const;
  // A deadline d from now; none when d is 0.
  static Clock::time_point after(Millis d);
  // Whether r's answer closes c (called with c's mutex held).
  bool answer_closes(const Request& r, const Conn& c) const;
  void begin_stop();

  // Worker side (http_workers.cpp).
  void start_workers();
  void stop_workers();
  void dispatch(const ConnPtr& c);  // c's owner is already set to worker
  void queue_for_worker(const ConnPtr& c);
  struct IdleWorker {
    std::condition_variable cv;
    bool woken = false;  // under m_work_mutex
  };
  void worker_main(IdleWorker& me);
  void serve(const ConnPtr& c);
  void hand_back(const ConnPtr& c);
  bool send_answer(Conn& c, const std::string& answer);

  HttpServer& m_server;
  const HttpLimits& m_limits;
  FramingLimits m_framing;
  int m_listen_fd;
  int m_stop_fd;
  Fd m_epoll;
  Fd m_wake;  // eventfd: handbacks are waiting
  int m_max_connections;
  bool m_stopping = false;
  bool m_accepting = true;
  Clock::time_point m_accept_again{};
  Clock::time_point m_last_check{};
  std::unordered_map<int, ConnPtr> m_conns;

  std::mutex m_handback_mutex;
  std::vector<ConnPtr> m_handbacks;
  struct LoopAnswered {
    ConnPtr conn;
    std::function<std::string()> make_bytes;
    bool close = false;
  };
  std::vector<LoopAnswered> m_loop_answers;  // under m_handback_mutex

  std::mutex m_work_mutex;
  std::deque<ConnPtr> m_work;
  std::vector<IdleWorker*> m_idle;  // a stack: the last to go idle is woken first
  // Parked requests, at most m_max_parked (half the connections): past it a
  // long poll waits on its worker, within the server's cap, or answers.
  std::atomic<int> m_parked{0};
  int m_max_parked = 1;
  bool m_workers_stop = false;
  std::vector<std::unique_ptr<IdleWorker>> m_worker_slots;
  std::vector<std::thread> m_workers;
};

}  // namespace fnq
