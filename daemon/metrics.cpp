#include "daemon/metrics.h"

#include <iomanip>
#include <sstream>

#include "daemon/memory.h"
#include "fnq/version.h"

namespace fnq {

namespace {
// Label values escape backslash, quote and newline.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

void Metrics::call_finished(const std::string& function, CallState state,
                            std::int64_t duration_ms) {
  std::lock_guard<std::mutex> lock(m_mutex);
  ++m_finished[{function, to_string(state)}];
  auto& h = m_durations[function];
  double secs = static_cast<double>(duration_ms) / 1000.0;
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    if (secs <= k_buckets[i]) {
      ++h.counts[i];
    }
  }
  ++h.count;
  h.sum += secs;
}

void Metrics::http_request(const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(m_mutex);
  ++m_http[{route, status}];
}

void Metrics::http_answered_on_loop() {
  std::lock_guard<std::mutex> lock(m_mutex);
  ++m_loop_answers;
}

void Metrics::callback_delivery(const std::string& outcome) {
  std::lock_guard<std::mutex> lock(m_mutex);
  ++m_callbacks[outcome];
}

void Metrics::set_unrecorded_outcomes(std::size_t n) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_unrecorded_outcomes = n;
}

void Metrics::outcome_record_failed() {
  std::lock_guard<std::mutex> lock(m_mutex);
  ++m_record_failures;
}

std::string Metrics::render(const StoreStats& stats, std::size_t running,
                            std::size_t waiters) const {
  std::ostringstream out;
  out << std::setprecision(15);
  out << "# HELP fnq_build_info The running fnqd's version and allocator.\n"
      << "# TYPE fnq_build_info gauge\n"
      << "fnq_build_info{version=\"" << label(k_version) << "\",allocator=\""
      << label(allocator_name()) << "\"} 1\n";
  if (!m_host.empty()) {
    // The scraper's instance label tells hosts apart; this series names the
    // host as the cluster knows it (calls, logs), for joins.
    out << "# HELP fnq_host_info This fnqd's host name in the cluster.\n"
           "# TYPE fnq_host_info gauge\n"
        << "fnq_host_info{host=\"" << label(m_host) << "\"} 1\n";
  }
  out << "# HELP fnq_calls Calls stored, by function and state.\n# TYPE fnq_calls gauge\n";
  std::int64_t depth = 0;
  for (const auto& [function, state, count] : stats.counts) {
    out << "fnq_calls{function=\"" << label(function) << "\",state=\"" << to_string(state) << "\"} "
        << count << "\n";
    if (state == CallState::queued) {
      depth += count;
    }
  }
  out << "# HELP fnq_queue_depth Calls queued and ready to run.\n# TYPE fnq_queue_depth gauge\n"
      << "fnq_queue_depth " << depth << "\n";
  out << "# HELP fnq_running Calls running now.\n# TYPE fnq_running gauge\nfnq_running " << running
      << "\n";
  out << "# HELP fnq_waiters HTTP requests waiting for calls to finish.\n"
         "# TYPE fnq_waiters gauge\nfnq_waiters "
      << waiters << "\n";
  std::lock_guard<std::mutex> lock(m_mutex);
  out << "# HELP fnq_calls_finished_total Attempts finished, by function and state.\n"
         "# TYPE fnq_calls_finished_total counter\n";
  for (const auto& [key, n] : m_finished) {
    out << "fnq_calls_finished_total{function=\"" << label(std::get<0>(key)) << "\",state=\""
        << std::get<1>(key) << "\"} " << n << "\n";
  }
  out << "# HELP fnq_call_duration_seconds Duration of finished attempts.\n"
         "# TYPE fnq_call_duration_seconds histogram\n";
  for (const auto& [function, h] : m_durations) {
    std::string fl = "function=\"" + label(function) + "\"";
    for (std::size_t i = 0; i < k_buckets.size(); ++i) {
      out << "fnq_call_duration_seconds_bucket{" << fl << ",le=\"" << k_buckets[i] << "\"} "
          << h.counts[i] << "\n";
    }
    out << "fnq_call_duration_seconds_bucket{" << fl << ",le=\"+Inf\"} " << h.count << "\n";
    out << "fnq_call_duration_seconds_sum{" << fl << "} " << h.sum << "\n";
    out << "fnq_call_duration_seconds_count{" << fl << "} " << h.count << "\n";
  }
  out << "# HELP fnq_callback_deliveries_total Callback delivery attempts by outcome.\n"
         "# TYPE fnq_callback_deliveries_total counter\n";
  for (const auto& [outcome, n] : m_callbacks) {
    out << "fnq_callback_deliveries_total{outcome=\"" << outcome << "\"} " << n << "\n";
  }
  out << "# HELP fnq_unrecorded_outcomes Attempt outcomes the database refused, kept in memory "
         "and retried until it takes them.\n# TYPE fnq_unrecorded_outcomes gauge\n"
      << "fnq_unrecorded_outcomes " << m_unrecorded_outcomes << "\n";
  out << "# HELP fnq_outcome_record_failures_total Writes of attempt outcomes the database "
         "refused.\n# TYPE fnq_outcome_record_failures_total counter\n"
      << "fnq_outcome_record_failures_total " << m_record_failures << "\n";
  out << "# HELP fnq_http_requests_total HTTP requests by route and status.\n"
         "# TYPE fnq_http_requests_total counter\n";
  for (const auto& [key, n] : m_http) {
    out << "fnq_http_requests_total{route=\"" << label(std::get<0>(key)) << "\",status=\""
        << std::get<1>(key) << "\"} " << n << "\n";
  }
  out << "# HELP fnq_http_loop_answers_total Requests answered by the HTTP event loop without a "
         "worker thread (plain submits to /async-function/ and /v1/calls, each parked until "
         "its group commit).\n# TYPE fnq_http_loop_answers_total counter\n"
      << "fnq_http_loop_answers_total " << m_loop_answers << "\n";
  return out.str();
}

}  // namespace fnq
