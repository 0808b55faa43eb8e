// Durations, sizes and times: the text parsers and their JSON readers. What
// parses must format and parse back to the same value.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "common/timeutil.h"
#include "common/units.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto d = fnq::parse_duration(text); d) {
    auto again = fnq::parse_duration(fnq::format_duration(*d));
    if (!again || *again != *d) {
      std::abort();
    }
  }
  if (auto s = fnq::parse_size(text); s) {
    (void)fnq::format_size(*s);
  }
  if (auto t = fnq::parse_time(text); t) {
    (void)fnq::format_time(*t);
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    (void)fnq::duration_from_json(j, "timeout");
    (void)fnq::size_from_json(j, "max_output");
  }
  return 0;
}
