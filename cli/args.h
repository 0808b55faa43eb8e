#pragma once
// Checks and conversions of command-line values. Each failure is a usage
// error (exit 64) naming the option, unless said otherwise.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/failure.h"
#include "common/model.h"
#include "common/units.h"

namespace fnq::cli {

// A call ID or a prefix of at least 8 characters, hex digits and '-' in
// their places; returned lowercased. The daemon resolves prefixes.
Checked<std::string> check_call_id(std::string_view text);
Checked<std::vector<std::string>> check_call_ids(const std::vector<std::string>& texts);

// "Name: value" (-H). The name is an HTTP token; spaces around the value are dropped.
Checked<std::pair<std::string, std::string>> parse_header(std::string_view text);
// Every -H as a JSON object; a repeated name joins its values with ", ".
Checked<json> parse_headers(const std::vector<std::string>& texts);

// "KEY=VALUE" (--env); the value may be empty or contain '='.
Checked<std::map<std::string, std::string>> parse_env(const std::vector<std::string>& texts);

// An optional duration or size option; nullopt stays nullopt. Malformed:
// exit 64; out of its range (common/ranges.h): exit 65, naming the range.
Checked<std::optional<Millis>> parse_duration_option(const char* option,
                                                     const std::optional<std::string>& text);
Checked<std::optional<std::uint64_t>> parse_size_option(const char* option,
                                                        const std::optional<std::string>& text);
// --at: RFC 3339 or local time. Malformed: exit 64; no such date, or not
// within the run_at range of `now`: exit 65.
Checked<std::int64_t> parse_at_option(const char* option, const std::string& text,
                                      std::int64_t now);
// An integer option outside `range`: exit 65, naming the range.
std::optional<Failure> check_int_option(const char* option, const std::optional<int>& value,
                                        IntRange range);

// A function name (^[a-z0-9][a-z0-9_.-]{0,63}$); exit 65, as the daemon would refuse it.
std::optional<Failure> check_function_name(const std::string& name);

}  // namespace fnq::cli
