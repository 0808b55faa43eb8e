#pragma once
// The scheduler's decisions about a finished attempt, apart from its thread
// and its store: what outcome to record, whether and when to retry, and
// which outcomes are still waiting for the store to accept them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/model.h"
#include "common/units.h"
#include "daemon/exec/executor.h"
#include "daemon/store/store.h"

namespace fnq {

// The outcome to record for an attempt that ran to its end (not an
// interrupted one); retry_at is left unset.
AttemptOutcome outcome_of(ExecResult&& result);

// failed and timed_out attempts are retried while attempts <= max_retries.
bool should_retry(CallState state, int attempt, int max_retries);

// backoff * 2^(attempt-1), capped at max, then scaled by 1 + 0.1 * jitter:
// jitter in [-1, 1] gives the +-10% spread that keeps retries of calls that
// failed together from running together again.
std::int64_t retry_delay_ms(Millis backoff, int attempt, Millis max, double jitter);

// Uniform in [-1, 1], from the system's random source.
double random_jitter();

// An outcome with the function its attempt belonged to (for concurrency).
struct FinishedAttempt {
  AttemptOutcome outcome;
  std::string function;
  // The call has a callback_url. True unless known otherwise: waking the
  // callback sender for nothing costs less than a callback left undelivered.
  bool has_callback = true;
};

// Outcomes the store refused to record (disk full, I/O error, busy), kept
// until it accepts them. Writes are retried after 100 ms, doubling to 5 s;
// a run of failures is one episode, logged when it starts and when it ends.
class UnrecordedOutcomes {
 public:
  static constexpr std::int64_t k_first_delay_ms = 100;
  static constexpr std::int64_t k_max_delay_ms = 5'000;

  bool empty() const { return m_outcomes.empty(); }
  std::size_t size() const { return m_outcomes.size(); }
  std::vector<std::string> ids() const;
  // True when a write may be tried at now: no episode, or its backoff is over.
  bool due(std::int64_t now) const;
  // When the next write is to be tried; nullopt when nothing is kept.
  std::optional<std::int64_t> next_attempt_at() const;
  // The last reason the store gave.
  const std::string& why() const { return m_why; }

  // Takes every kept outcome out, to be written with others.
  std::vector<FinishedAttempt> take();
  // Outcomes to keep (they arrived during a backoff): no write was tried.
  void keep(std::vector<FinishedAttempt> outcomes);
  // A write of these outcomes failed at now: keeps them and backs off.
  // Returns the line to log when this failure starts an episode.
  std::optional<std::string> write_failed(std::vector<FinishedAttempt> outcomes, std::int64_t now,
                                          const std::string& why);
  // n outcomes were written at now. Returns the line to log when this ends
  // an episode.
  std::optional<std::string> written(std::size_t n, std::int64_t now);

 private:
  std::vector<FinishedAttempt> m_outcomes;
  std::string m_why;
  int m_failures = 0;                // in this episode; 0: none
  std::int64_t m_episode_start = 0;  // first failure, epoch ms
  std::int64_t m_next_attempt = 0;   // epoch ms
};

}  // namespace fnq
