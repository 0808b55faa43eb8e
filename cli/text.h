#pragma once
// Small text helpers: display width for tables, URL query encoding, case.
// (Base64 and UTF-8 checks live in common/encoding.h.)
#include <string>
#include <string_view>

namespace fnq::cli {

// Code points in UTF-8 text (continuation bytes are not counted).
std::size_t display_width(std::string_view text);

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(std::string_view text);

std::string to_lower(std::string_view text);

}  // namespace fnq::cli
