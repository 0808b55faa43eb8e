#pragma once
// Delivers callbacks: when a call with a callback URL becomes terminal, POSTs
// its output there, retrying with backoff on failure; the outcome is kept on
// the call. A dispatcher thread hands due deliveries to a few worker
// threads, so a slow or hanging receiver holds up neither the queue nor the
// callbacks of other calls.
#include <condition_variable>
#include <optional>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "daemon/config.h"
#include "daemon/metrics.h"
#include "daemon/store/store.h"

#include <httplib.h>

namespace fnq {

class CallbackSender {
 public:
  CallbackSender(const DaemonConfig& config, Store& store, Metrics& metrics);
  ~CallbackSender();
  CallbackSender(const CallbackSender&) = delete;
  CallbackSender& operator=(const CallbackSender&) = delete;

  void start();
  // Some callback may be due now (a call became terminal).
  void wake();
  // Aborts deliveries in flight (they stay pending, the attempt not counted)
  // and joins the threads.
  void stop();
  // A URL callbacks may go to: http(s), a host, and (with --callback-allow)
  // a host on the allow-list.
  Status check_url(const std::string& url) const;

 private:
  struct Delivery {
    CallbackJob job;
    Call call;
  };

  void dispatch();
  void work();
  // Takes due deliveries, leasing each so it is not taken twice.
  std::vector<Delivery> take_due(int limit);
  void deliver(const Delivery& d);
  std::optional<int> post(const Delivery& d, bool* aborted);
  static httplib::Headers headers_for(const Delivery& d);

  const DaemonConfig& m_config;
  Store& m_store;
  Metrics& m_metrics;
  std::mutex m_mutex;
  // The dispatcher and the workers wait apart, so that a call becoming
  // terminal wakes the dispatcher alone, and a delivery one worker.
  std::condition_variable m_dispatch_cv;
  std::condition_variable m_work_cv;
  bool m_woken = true;
  bool m_stop = false;
  int m_busy = 0;                          // deliveries handed to workers
  std::deque<Delivery> m_queue;            // taken, not yet picked by a worker
  std::set<httplib::Client*> m_in_flight;  // for stop()
  std::thread m_dispatcher;
  std::vector<std::thread> m_workers;
};

}  // namespace fnq
