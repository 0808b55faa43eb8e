#pragma once
// Call IDs are UUIDv7: 48-bit Unix milliseconds, then a 12-bit counter and
// random bits, so IDs sort by creation time and are unique across threads.
#include <string>
#include <string_view>

namespace fnq {

std::string new_call_id();
// Lowercase, hyphenated, version 7.
bool is_call_id(std::string_view text);
// A lowercase hex/hyphen prefix of at least 8 characters (the CLI accepts these).
bool is_call_id_prefix(std::string_view text);
// Fills buf with cryptographically random bytes (getrandom); aborts on failure.
void random_bytes(void* buf, std::size_t len);
std::string random_hex(std::size_t bytes);

}  // namespace fnq
