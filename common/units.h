#pragma once
// Durations ("250ms", "30s", "5m", "2h", "1d", or integer milliseconds) and
// sizes ("512", "64KiB", "4MiB", "1GiB", also "KB"/"MB" as powers of 1000),
// each within its range of common/ranges.h.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/ranges.h"
#include "common/result.h"

namespace fnq {

using Millis = std::chrono::milliseconds;

// Syntax only: the milliseconds `text` spells, saturating at UINT64_MAX, so
// that a huge value is told apart from a malformed one.
Result<std::uint64_t> parse_duration_ms(std::string_view text);
// Refuses a duration past k_max_duration; `shown` is how the caller wrote it.
// Message: "'106751991167d' is out of range (durations are 0 to 3650d)".
Result<Millis> check_duration(std::uint64_t ms, std::string_view shown);
// Both of the above.
Result<Millis> parse_duration(std::string_view text);
// Accepts a JSON string (parsed as above) or a non-negative integer
// (milliseconds); errors start with "field: ".
Result<Millis> duration_from_json(const nlohmann::json& value, std::string_view field);
// Shortest exact form: 1500ms -> "1500ms", 30000 -> "30s", 7200000 -> "2h", 0 -> "0s".
std::string format_duration(Millis d);
// Any duration brought within 0..k_max_duration: for values read back from
// storage written before the ranges held.
Millis clamp_duration(Millis d);

// As for durations: syntax (saturating), range (0 to k_max_size), both.
Result<std::uint64_t> parse_size_bytes(std::string_view text);
Result<std::uint64_t> check_size(std::uint64_t bytes, std::string_view shown);
Result<std::uint64_t> parse_size(std::string_view text);
Result<std::uint64_t> size_from_json(const nlohmann::json& value, std::string_view field);
// 4194304 -> "4MiB", 1000 -> "1000", 1536 -> "1536".
std::string format_size(std::uint64_t bytes);

}  // namespace fnq
