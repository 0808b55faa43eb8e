// The event loop's request framing (daemon/api/http_framing.cpp) on raw
// bytes, as the loop uses it: frame, take the request, frame the rest. Every
// framed request lies within the bytes, and each step makes progress.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/api/http_framing.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fnq::FramingLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_body = 4096;
  limits.answered_without_body = [](const fnq::RequestHead& head) {
    return head.headers.count("X-Refuse") > 0;
  };
  std::string buf(reinterpret_cast<const char*>(data), size);
  std::size_t scanned = 0;
  while (!buf.empty()) {
    fnq::Framed f = fnq::frame_request(buf, limits, &scanned);
    if (f.state != fnq::Framed::State::complete) {
      break;
    }
    if (f.size == 0 || f.size > buf.size() || f.head_size > f.size) {
      std::abort();
    }
    buf.erase(0, f.size);
    scanned = 0;
    if (f.close_after) {
      break;
    }
  }
  return 0;
}
