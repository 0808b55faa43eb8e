// The scheduler's half that ends attempts: from an executor's result to a
// recorded outcome, and the outcomes the store refused, kept until it takes
// them.
#include <algorithm>

#include "common/units.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/scheduler.h"

namespace fnq {

void Scheduler::process_results(std::vector<ExecResult> results, std::int64_t now,
                                bool claim_next) {
  std::vector<FinishedAttempt> outcomes;
  for (auto& r : results) {
    if (auto o = end_attempt(std::move(r), now)) {
      outcomes.push_back(std::move(*o));
    }
  }
  publish_counts();  // drain() waits for the count
  record(std::move(outcomes), now, claim_next);
}

std::optional<FinishedAttempt> Scheduler::end_attempt(ExecResult&& r, std::int64_t now) {
  auto it = m_running.find(r.call_id);
  if (it == m_running.end()) {
    return std::nullopt;  // not ours (cannot happen: every start is recorded)
  }
  Running info = it->second;
  m_running.erase(it);
  m_metrics.call_finished(info.function, r.state, r.finished_at - r.started_at);
  if (r.interrupted) {
    --m_running_by_function[info.function];
    auto s = m_store.requeue(r.call_id, r.attempt);
    log_line("call " + r.call_id + " interrupted by shutdown; queued again" +
             (s ? std::string() : " failed: " + s.error().message));
    return std::nullopt;
  }
  std::int64_t took = r.finished_at - r.started_at;
  FinishedAttempt f{outcome_of(std::move(r)), info.function, info.has_callback};
  AttemptOutcome& o = f.outcome;
  std::string what = std::string(to_string(o.state)) + (o.error ? ": " + *o.error : "");
  if (should_retry(o.state, info.attempt, info.max_retries)) {
    o.retry_at = now + retry_delay_ms(info.retry_backoff, info.attempt, m_config.retry_backoff_max,
                                      m_retry_jitter());
    what += "; retry " + std::to_string(info.attempt) + "/" + std::to_string(info.max_retries) +
            " in " + format_duration(Millis(*o.retry_at - now));
  }
  log_line("call " + o.id + " " + info.function + " attempt " + std::to_string(o.attempt) + " " +
           what + " (" + std::to_string(took) + "ms)");
  return f;
}

void Scheduler::record(std::vector<FinishedAttempt> fresh, std::int64_t now, bool claim_next) {
  if (!m_unrecorded.due(now)) {
    m_unrecorded.keep(std::move(fresh));  // the store is being backed off from
    publish_counts();
    return;
  }
  std::vector<FinishedAttempt> batch = m_unrecorded.take();
  std::move(fresh.begin(), fresh.end(), std::back_inserter(batch));
  if (batch.empty()) {
    return;
  }
  std::vector<AttemptOutcome> outcomes;
  std::vector<bool> has_callback;
  outcomes.reserve(batch.size());
  has_callback.reserve(batch.size());
  for (auto& f : batch) {
    outcomes.push_back(std::move(f.outcome));
    has_callback.push_back(f.has_callback);
  }
  // Their slots are free once they are recorded, so the claim may use them.
  for (const auto& f : batch) {
    --m_running_by_function[f.function];
  }
  // Recording these outcomes and claiming what may run next share one commit.
  int limit = claim_next ? std::max(0, free_slots()) : 0;
  auto result = m_store.finish_and_claim(outcomes, now, limit, saturated_functions());
  if (!result) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i].outcome = std::move(outcomes[i]);
      ++m_running_by_function[batch[i].function];
    }
    m_metrics.outcome_record_failed();
    if (auto line = m_unrecorded.write_failed(std::move(batch), now, result.error().message)) {
      log_line(*line);
    }
    publish_counts();
    return;
  }
  if (auto line = m_unrecorded.written(outcomes.size(), now)) {
    log_line(*line);
  }
  publish_counts();
  report_terminal(outcomes, has_callback, result->finished);
  start_claimed(result->claimed, now);
}

void Scheduler::report_terminal(const std::vector<AttemptOutcome>& outcomes,
                                const std::vector<bool>& has_callback,
                                const std::vector<FinishResult>& finished) {
  std::vector<std::string> terminal;
  // The callback sender is woken only when one of these calls may have a
  // callback: a call with a callback_url, or a skipped dependent (whose
  // callback this thread does not know).
  CallbackDue due = CallbackDue::none;
  for (std::size_t i = 0; i < finished.size() && i < outcomes.size(); ++i) {
    const auto& ids = finished[i].terminal_ids;
    terminal.insert(terminal.end(), ids.begin(), ids.end());
    for (const auto& id : ids) {
      if (id != outcomes[i].id) {  // a dependent that can no longer run
        log_line("call " + id + " skipped, since call " + outcomes[i].id + " " +
                 to_string(outcomes[i].state));
        due = CallbackDue::maybe;
      } else if (i >= has_callback.size() || has_callback[i]) {
        due = CallbackDue::maybe;
      }
    }
  }
  if (!terminal.empty()) {
    m_on_terminal(terminal, due);
  }
}

void Scheduler::publish_counts() {
  std::vector<std::string> ids = m_unrecorded.ids();
  m_metrics.set_unrecorded_outcomes(ids.size());
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_running_count = m_running.size();
    m_unrecorded_ids = std::set<std::string>(ids.begin(), ids.end());
  }
  m_cv.notify_all();
}

void Scheduler::log_lost_outcomes() {
  for (const auto& [id, attempt] : m_put_back) {
    log_line("stopping: call " + id +
             " could not be put back to queued; it will be recovered "
             "as interrupted at the next start");
  }
  if (m_unrecorded.empty()) {
    return;
  }
  std::string ids;
  for (const auto& id : m_unrecorded.ids()) {
    ids += (ids.empty() ? "" : " ") + id;
  }
  log_line("stopping: " + std::to_string(m_unrecorded.size()) + " outcome(s) lost, not recorded (" +
           m_unrecorded.why() + "): calls " + ids +
           "; they will be recovered as interrupted at the next start");
}

}  // namespace fnq
