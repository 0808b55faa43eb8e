// Call IDs and ID prefixes, as every route and CLI argument checks them.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/ids.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bool id = fnq::is_call_id(text);
  bool prefix = fnq::is_call_id_prefix(text);
  (void)id;
  (void)prefix;
  return 0;
}
