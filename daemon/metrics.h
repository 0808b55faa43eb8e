#pragma once
// Counters for /metrics (Prometheus text format). Gauges that live in the
// store (calls by function and state) are read when scraped.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "common/model.h"
#include "daemon/store/store.h"

namespace fnq {

class Metrics {
 public:
  // host: this fnqd's name in a cluster, rendered as fnq_host_info{host=...}
  // ("" on a single host: no such series).
  explicit Metrics(std::string host = "") : m_host(std::move(host)) {}

  void call_finished(const std::string& function, CallState state, std::int64_t duration_ms);
  void http_request(const std::string& route, int status);
  // A request answered by the HTTP event loop without a worker thread.
  void http_answered_on_loop();
  void callback_delivery(const std::string& outcome);  // delivered|retry|failed
  // Outcomes the store refused, kept in memory until it takes them.
  void set_unrecorded_outcomes(std::size_t n);
  // A write of outcomes the store refused (each retry counts).
  void outcome_record_failed();
  // running: calls running now; stats: from the store.
  std::string render(const StoreStats& stats, std::size_t running, std::size_t waiters) const;

 private:
  // Seconds; calls run from milliseconds to the 5m default exec_timeout and beyond.
  static constexpr std::array<double, 15> k_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                       2.5,   5,    10,    30,   60,  300,  1800};
  struct Histogram {
    std::array<std::uint64_t, k_buckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::string m_host;
  mutable std::mutex m_mutex;
  std::map<std::string, Histogram> m_durations;                              // by function
  std::map<std::tuple<std::string, std::string>, std::uint64_t> m_finished;  // (function, state)
  std::map<std::tuple<std::string, int>, std::uint64_t> m_http;              // (route, status)
  // Every outcome from the start, so that rate() sees the first one.
  std::map<std::string, std::uint64_t> m_callbacks = {
      {"delivered", 0}, {"retry", 0}, {"failed", 0}};
  std::size_t m_unrecorded_outcomes = 0;
  std::uint64_t m_record_failures = 0;
  std::uint64_t m_loop_answers = 0;
};

}  // namespace fnq
