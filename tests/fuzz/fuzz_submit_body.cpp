// The body parser of POST /v1/calls (daemon/api/submit.cpp), called
// directly with fnqd's context over a real store, which knows one function
// ("fn") so that parsing goes past the function check.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "tests/fuzz/daemon_harness.h"

namespace {

fnq::ApiContext& context() {
  static fnq::ApiContext& ctx = []() -> fnq::ApiContext& {
    fnq::ApiContext& c = *fnq::fuzz::fuzz_daemon().ctx;
    auto f = fnq::function_from_json(nlohmann::json{{"name", "fn"}, {"command", {"true"}}});
    if (f) {
      (void)c.functions.put(*f);
    }
    return c;
  }();
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto body = nlohmann::json::parse(data, data + size, nullptr, false);
  if (body.is_discarded()) {
    return 0;
  }
  (void)fnq::submit_request_from_json(context(), body);
  if (body.is_object() && body.contains("calls") && body["calls"].is_array()) {
    for (const auto& element : body["calls"]) {
      (void)fnq::submit_request_from_json(context(), element);
    }
  }
  return 0;
}
