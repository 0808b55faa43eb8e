// The JSON readers of the model: function definitions (PUT /v1/functions,
// fnq fn apply), calls (what the CLI reads back) and request information.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) {
    return 0;
  }
  if (auto f = fnq::function_from_json(j); f) {
    (void)fnq::function_from_json(fnq::to_json(*f));
  }
  if (auto c = fnq::call_from_json(j); c) {
    (void)fnq::to_json(*c).dump();
  }
  if (j.is_object()) {
    (void)fnq::to_json(fnq::request_info_from_json(j)).dump();
  }
  return 0;
}
