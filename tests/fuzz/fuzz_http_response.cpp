// The CLI's HTTP response parser (common/http_client.cpp), fed the input in
// pieces as a socket would deliver them; the first byte chooses the split.
#include <cstdint>
#include <string_view>

#include "common/http_client.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::size_t step = 1 + data[0] % 64;
  bool head = (data[0] & 0x80) != 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  fnq::http::ResponseParser parser(head);
  auto progress = fnq::http::ResponseParser::Progress::more;
  while (!rest.empty() && progress == fnq::http::ResponseParser::Progress::more) {
    std::size_t n = rest.size() < step ? rest.size() : step;
    progress = parser.feed(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  if (progress == fnq::http::ResponseParser::Progress::more) {
    progress = parser.end_of_stream();
  }
  if (progress == fnq::http::ResponseParser::Progress::done) {
    (void)parser.response().header("content-type");
  }
  return 0;
}
