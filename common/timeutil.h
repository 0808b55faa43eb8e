#pragma once
// Wall-clock times are int64 milliseconds since the Unix epoch, shown as
// RFC 3339 UTC with milliseconds ("2026-11-23T10:00:00.123Z").
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fnq {

std::int64_t now_ms();
std::string format_time(std::int64_t epoch_ms);
// RFC 3339 ("2026-11-23T10:00:00Z", fractions and offsets allowed) or a local
// "YYYY-MM-DD HH:MM[:SS]".
Result<std::int64_t> parse_time(std::string_view text);

}  // namespace fnq
