#pragma once
// One set of readers for the fields of a JSON object taken from outside:
// function definitions (common/model.cpp), call submissions
// (daemon/api/submit.cpp), the bodies of /v1/await and /v1/prune. Each reader
// checks the type and the range (common/ranges.h) and names the field in its
// error ("priority: expected an integer from -1000000000 to 1000000000, got
// 9223372036854775808"). A missing field and a null one are alike: absent,
// and the output is left as it was.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"

#include "common/ranges.h"
#include "common/result.h"
#include "common/units.h"

namespace fnq {

using json = nlohmann::json;

// "field: why", kind invalid_input.
Error field_error(std::string_view field, std::string_view why);

// Parses a JSON text, never throwing. Malformed JSON is invalid_input
// "malformed <what>: parse error at line 1, column 9: ..."; a number past a
// double's range names its field: "priority: 1e309 is out of range (...)".
Result<json> parse_json_text(std::string_view text, std::string_view what = "JSON");

// Refuses the first key of `object` not in `known` ("colour: unknown field").
Status check_known_fields(const json& object, std::initializer_list<std::string_view> known);

Status read_int(const json& object, const char* field, IntRange range, std::optional<int>* out);
Status read_bool(const json& object, const char* field, std::optional<bool>* out);
Status read_string(const json& object, const char* field, std::optional<std::string>* out);
// A function name (^[a-z0-9][a-z0-9_.-]{0,63}$).
Status read_function_name(const json& object, const char* field, std::optional<std::string>* out);
Status read_duration(const json& object, const char* field, std::optional<Millis>* out);
Status read_size(const json& object, const char* field, std::optional<std::uint64_t>* out);
// An RFC 3339 time within the time range.
Status read_time(const json& object, const char* field, std::optional<std::int64_t>* out);

}  // namespace fnq
