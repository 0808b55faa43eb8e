#pragma once
// The range of every value fnq takes from outside, in one table: checked
// where a value enters (the HTTP API, the CLI, fnqd's flags and config
// file) and documented once, in docs/api.md "Ranges". The bounds make every
// later sum safe: a duration in nanoseconds (at most 3.2e17) added to any
// clock's now, a time plus a duration, a backoff doubled twenty times.
#include <chrono>
#include <cstdint>
#include <string>

namespace fnq {

struct IntRange {
  std::int64_t min;
  std::int64_t max;
  bool contains(std::int64_t v) const { return v >= min && v <= max; }
};

// Durations: 0 to 3650d (10 years).
inline constexpr std::chrono::milliseconds k_max_duration{3650LL * 86'400'000};
// Sizes: 0 to 1TiB.
inline constexpr std::uint64_t k_max_size = 1ULL << 40;
// Times: 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z, as ms since
// the epoch. A run_at is also within k_max_duration of now.
inline constexpr std::int64_t k_min_time_ms = 0;
inline constexpr std::int64_t k_max_time_ms = 253'402'300'799'999;

inline constexpr IntRange k_priority_range{-1'000'000'000, 1'000'000'000};
inline constexpr IntRange k_max_retries_range{0, 1000};
inline constexpr IntRange k_concurrency_range{0, 1'000'000};
// A page of a list (calls, pipelines): ?limit= and fnq's --limit.
inline constexpr IntRange k_list_limit_range{1, 1000};
// fnqd's own settings.
inline constexpr IntRange k_max_inflight_range{1, 10'000};
inline constexpr IntRange k_http_threads_range{8, 10'000};
inline constexpr IntRange k_callback_attempts_range{1, 100};

// "from -1000000000 to 1000000000"
std::string range_text(IntRange range);
// "0 to 3650d (10 years)"
std::string duration_range_text();
// "0 to 1TiB"
std::string size_range_text();

}  // namespace fnq
