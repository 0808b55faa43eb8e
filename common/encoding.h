#pragma once
// Bytes in JSON: UTF-8 text goes as a string, anything else as base64.
#include <optional>
#include <string>
#include <string_view>

namespace fnq {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);  // nullopt if malformed
bool is_valid_utf8(std::string_view bytes);

}  // namespace fnq
