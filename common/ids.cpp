#include "common/ids.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common/timeutil.h"

namespace fnq {

void random_bytes(void* buf, std::size_t len) {
  auto* p = static_cast<unsigned char*>(buf);
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      std::abort();  // no entropy source: nothing sensible to do
    }
    p += n;
    len -= static_cast<std::size_t>(n);
  }
}

std::string random_hex(std::size_t bytes) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  random_bytes(raw.data(), bytes);
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(k_hex[c >> 4]);
    out.push_back(k_hex[c & 15]);
  }
  return out;
}

namespace {

// The random bits of IDs come from a pool filled by getrandom 1 KiB at a
// time: one system call per 64 IDs, not one per ID (a submit at full rate
// spent as long in getrandom as in its send). The bytes are as random; they
// are only kept a little while in this process's memory, and IDs are not
// secrets (the token is, and takes its bytes straight from getrandom).
void id_random_bytes(std::uint8_t* out, std::size_t len) {
  static constexpr std::size_t k_pool = 1024;
  thread_local std::uint8_t pool[k_pool];
  thread_local std::size_t used = k_pool;
  if (k_pool - used < len) {
    random_bytes(pool, k_pool);
    used = 0;
  }
  std::memcpy(out, pool + used, len);
  std::memset(pool + used, 0, len);  // each byte serves once
  used += len;
}

}  // namespace

std::string new_call_id() {
  // RFC 9562 method 1: a 12-bit counter in rand_a, reseeded each new
  // millisecond, keeps IDs from one process strictly increasing.
  static std::mutex mutex;
  static std::int64_t last_ms = 0;
  static std::uint32_t counter = 0;
  std::uint8_t b[16];
  id_random_bytes(b, sizeof b);
  std::int64_t ms;
  std::uint32_t seq;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ms = now_ms();
    if (ms <= last_ms) {
      ms = last_ms;
      if (++counter > 0xfff) {  // counter exhausted: borrow the next millisecond
        ++ms;
        counter = b[6] & 0x3f;
      }
    } else {
      counter = b[6] & 0x3f;  // random start, with room to count up
    }
    last_ms = ms;
    seq = counter;
  }
  for (int i = 0; i < 6; ++i) {
    b[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(ms) >> (40 - 8 * i));
  }
  b[6] = static_cast<std::uint8_t>(0x70 | (seq >> 8));
  b[7] = static_cast<std::uint8_t>(seq & 0xff);
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3f));
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(k_hex[b[i] >> 4]);
    out.push_back(k_hex[b[i] & 15]);
  }
  return out;
}

namespace {
bool is_hex_lower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_dash_position(std::size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }
}  // namespace

bool is_call_id_prefix(std::string_view text) {
  if (text.size() < 8 || text.size() > 36) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool ok = is_dash_position(i) ? text[i] == '-' : is_hex_lower(text[i]);
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool is_call_id(std::string_view text) {
  return text.size() == 36 && is_call_id_prefix(text) && text[14] == '7';
}

}  // namespace fnq
