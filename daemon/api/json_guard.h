#pragma once
// A pass over a JSON body before nlohmann parses it. nlohmann's parser
// recurses one level per `[` and builds a DOM that costs 8 to 30 times the
// text (measured: 16 MiB of `[` took 1.2 GiB; 16 MiB of `{},` 470 MiB), so a
// body within --max-body could still take the machine's memory. The pass
// refuses, without allocating, bodies nested deeper than a bound or whose DOM
// would cost more than a budget.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fnq {

inline constexpr std::size_t k_max_json_depth = 64;
// What parsing a body may cost: 16 times its size, plus a little for small
// bodies. A batch of minimal calls ({"function":"f"}) is estimated at 14.
inline constexpr std::size_t k_json_cost_per_byte = 16;
inline constexpr std::size_t k_json_cost_floor = 1u << 20;

// The estimated bytes nlohmann's DOM takes for text (with glibc's malloc):
// close to the measured cost for wide arrays, objects, strings and batches.
std::size_t estimated_json_cost(std::string_view text);

// Why text may not be parsed (nested deeper than k_max_json_depth, or
// estimated to cost more than k_json_cost_per_byte times its size), or
// nullopt. Malformed JSON passes: the parser names its fault.
std::optional<std::string> check_json_shape(std::string_view text);

}  // namespace fnq
