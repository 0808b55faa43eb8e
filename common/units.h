#pragma once
// Durations ("250ms", "30s", "5m", "2h", "1d", or integer milliseconds) and
// sizes ("512", "64KiB", "4MiB", "1GiB", also "KB"/"MB" as powers of 1000).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace fnq {

using Millis = std::chrono::milliseconds;

Result<Millis> parse_duration(std::string_view text);
// Accepts a JSON string (parsed as above) or a non-negative integer (milliseconds).
Result<Millis> duration_from_json(const nlohmann::json& value, std::string_view field);
// Shortest exact form: 1500ms -> "1500ms", 30000 -> "30s", 7200000 -> "2h", 0 -> "0s".
std::string format_duration(Millis d);

Result<std::uint64_t> parse_size(std::string_view text);
Result<std::uint64_t> size_from_json(const nlohmann::json& value, std::string_view field);
// 4194304 -> "4MiB", 1000 -> "1000", 1536 -> "1536".
std::string format_size(std::uint64_t bytes);

}  // namespace fnq
