#include "daemon/scheduler_outcomes.h"

#include <algorithm>

#include "common/ids.h"
#include "common/units.h"

namespace fnq {

AttemptOutcome outcome_of(ExecResult&& r) {
  AttemptOutcome o;
  o.id = r.call_id;
  o.attempt = r.attempt;
  o.state = r.state;
  o.exit_code = r.exit_code;
  o.signal = r.signal;
  if (!r.error.empty()) {
    o.error = r.error;
  }
  o.output = std::move(r.output);
  o.output_truncated = r.output_truncated;
  o.output_size = r.output_size;
  o.stderr_tail = std::move(r.stderr_tail);
  o.finished_at = r.finished_at;
  return o;
}

bool should_retry(CallState state, int attempt, int max_retries) {
  bool retryable = state == CallState::failed || state == CallState::timed_out;
  return retryable && attempt <= max_retries;
}

std::int64_t retry_delay_ms(Millis backoff, int attempt, Millis max, double jitter) {
  double delay = static_cast<double>(backoff.count());
  for (int i = 1; i < attempt && delay < 1e12; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, static_cast<double>(max.count()));
  jitter = std::clamp(jitter, -1.0, 1.0);
  return static_cast<std::int64_t>(delay * (1.0 + 0.1 * jitter));
}

double random_jitter() {
  std::uint32_t rnd;
  random_bytes(&rnd, sizeof rnd);
  return (static_cast<double>(rnd) / 4294967295.0) * 2.0 - 1.0;
}

std::vector<std::string> UnrecordedOutcomes::ids() const {
  std::vector<std::string> out;
  out.reserve(m_outcomes.size());
  for (const auto& f : m_outcomes) {
    out.push_back(f.outcome.id);
  }
  return out;
}

bool UnrecordedOutcomes::due(std::int64_t now) const {
  return m_failures == 0 || now >= m_next_attempt;
}

std::optional<std::int64_t> UnrecordedOutcomes::next_attempt_at() const {
  if (m_outcomes.empty()) {
    return std::nullopt;
  }
  return m_next_attempt;
}

std::vector<FinishedAttempt> UnrecordedOutcomes::take() {
  std::vector<FinishedAttempt> out;
  out.swap(m_outcomes);
  return out;
}

void UnrecordedOutcomes::keep(std::vector<FinishedAttempt> outcomes) {
  for (auto& f : outcomes) {
    m_outcomes.push_back(std::move(f));
  }
}

std::optional<std::string> UnrecordedOutcomes::write_failed(std::vector<FinishedAttempt> outcomes,
                                                            std::int64_t now,
                                                            const std::string& why) {
  keep(std::move(outcomes));
  m_why = why;
  std::int64_t delay = k_first_delay_ms;
  for (int i = 0; i < m_failures && delay < k_max_delay_ms; ++i) {
    delay *= 2;
  }
  m_next_attempt = now + std::min(delay, k_max_delay_ms);
  if (m_failures++ > 0) {
    return std::nullopt;
  }
  m_episode_start = now;
  return "cannot record " + std::to_string(m_outcomes.size()) + " outcome(s): " + why +
         "; retrying";
}

std::optional<std::string> UnrecordedOutcomes::written(std::size_t n, std::int64_t now) {
  if (m_failures == 0 || !m_outcomes.empty()) {
    return std::nullopt;
  }
  std::string line = "recorded " + std::to_string(n) + " outcome(s) after " +
                     format_duration(Millis(now - m_episode_start)) + " and " +
                     std::to_string(m_failures) + " failed attempt(s)";
  m_failures = 0;
  m_why.clear();
  return line;
}

}  // namespace fnq
