#include "common/ranges.h"

#include "common/units.h"

namespace fnq {

std::string range_text(IntRange range) {
  return "from " + std::to_string(range.min) + " to " + std::to_string(range.max);
}

std::string duration_range_text() { return "0 to " + format_duration(k_max_duration); }

std::string size_range_text() { return "0 to " + format_size(k_max_size); }

}  // namespace fnq
