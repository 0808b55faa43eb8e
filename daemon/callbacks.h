#pragma once
// Delivers callbacks: when a call with a callback URL becomes terminal, POSTs
// its output there, retrying with backoff on failure. Runs on its own thread,
// so a slow receiver never holds up the queue; the outcome is kept on the call.
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "daemon/config.h"
#include "daemon/metrics.h"
#include "daemon/store/store.h"

namespace fnq {

class CallbackSender {
 public:
  CallbackSender(const DaemonConfig& config, Store& store, Metrics& metrics);
  ~CallbackSender();
  CallbackSender(const CallbackSender&) = delete;
  CallbackSender& operator=(const CallbackSender&) = delete;

  void start();
  void wake();
  void stop();
  // A URL callbacks may go to: http(s), a host, and (with --callback-allow)
  // a host on the allow-list.
  Status check_url(const std::string& url) const;

 private:
  void run();
  void deliver(const CallbackJob& job);

  const DaemonConfig& m_config;
  Store& m_store;
  Metrics& m_metrics;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_woken = true;
  bool m_stop = false;
  std::thread m_thread;
};

}  // namespace fnq
