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

// An optional duration or size option; nullopt stays nullopt.
Checked<std::optional<Millis>> parse_duration_option(const char* option,
                                                     const std::optional<std::string>& text);
Checked<std::optional<std::uint64_t>> parse_size_option(const char* option,
                                                        const std::optional<std::string>& text);

// A function name (^[a-z0-9][a-z0-9_.-]{0,63}$); exit 65, as the daemon would refuse it.
std::optional<Failure> check_function_name(const std::string& name);

}  // namespace fnq::cli
