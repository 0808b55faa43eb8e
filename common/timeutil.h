#pragma once
// Wall-clock times are int64 milliseconds since the Unix epoch, shown as
// RFC 3339 UTC with milliseconds ("2026-11-23T10:00:00.123Z"), within the
// range of common/ranges.h (years 1970 to 9999).
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/units.h"

namespace fnq {

std::int64_t now_ms();
// A time outside the range is shown as the nearest bound, so that whatever
// was stored always reads back.
std::string format_time(std::int64_t epoch_ms);
// RFC 3339 ("2026-11-23T10:00:00Z", fractions and offsets allowed) or a local
// "YYYY-MM-DD HH:MM[:SS]". Only real dates and times: no Feb 30, no hour 24,
// no second 60, offsets up to 23:59; the result within years 1970 to 9999.
// `well_formed`, when given, is set when the text had the right shape (so a
// failure was of the value: no such date, out of range).
Result<std::int64_t> parse_time(std::string_view text, bool* well_formed = nullptr);

// A time moved by a duration, kept within the time range. Both inputs are in
// their ranges (ranges.h), so the signed sum cannot overflow; were one not,
// the UBSan build would report it.
std::int64_t time_after(std::int64_t epoch_ms, Millis d);
std::int64_t time_before(std::int64_t epoch_ms, Millis d);
// A run_at must be within k_max_duration of now; `shown` is how it was written.
Status check_run_at(std::int64_t run_at, std::int64_t now, std::string_view shown);

}  // namespace fnq
