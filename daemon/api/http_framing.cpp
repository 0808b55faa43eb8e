#include "daemon/api/http_framing.h"

#include <strings.h>

#include <cctype>

namespace fnq {

namespace {

constexpr std::string_view k_crlf = "\r\n";
// A chunk-size line (with extensions) longer than this is malformed.
constexpr std::size_t k_max_chunk_line = 1024;

std::optional<std::size_t> parse_hex(std::string_view s) {
  auto semi = s.find(';');
  s = s.substr(0, semi);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  if (s.empty() || s.size() > 15) {
    return std::nullopt;
  }
  std::size_t n = 0;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    n = n * 16 +
        static_cast<std::size_t>(std::isdigit(static_cast<unsigned char>(c))
                                     ? c - '0'
                                     : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
  }
  return n;
}

// The trailer section after the last chunk, up to its blank line.
std::optional<std::size_t> trailers_end(std::string_view body, std::size_t pos, bool* malformed) {
  for (;;) {
    auto eol = body.find(k_crlf, pos);
    if (eol == std::string_view::npos) {
      *malformed = body.size() - pos > k_max_chunk_line * 64;
      return std::nullopt;
    }
    if (eol == pos) {
      return pos + 2;
    }
    pos = eol + 2;
  }
}

std::uint64_t declared_length(const RequestHead& head) {
  auto it = head.headers.find("Content-Length");
  return it == head.headers.end() ? 0 : std::strtoull(it->second.c_str(), nullptr, 10);
}

bool expects_continue(const RequestHead& head) {
  auto it = head.headers.find("Expect");
  return it != head.headers.end() && strcasecmp(it->second.c_str(), "100-continue") == 0;
}

// The head alone is the request: the connection is closed after its answer
// when a body was announced.
Framed head_only(Framed f, bool has_body) {
  f.state = Framed::State::complete;
  f.size = f.head_size;
  f.close_after = f.close_after || has_body;
  f.expects_continue = false;
  return f;
}

Framed frame_body(Framed f, std::string_view buf, const FramingLimits& limits) {
  std::string_view body = buf.substr(f.head_size);
  if (f.head.headers.count("Transfer-Encoding")) {
    bool malformed = false, too_large = false;
    auto size = chunked_body_size(body, limits.max_body, &malformed, &too_large);
    if (size || malformed || too_large) {
      f.state = Framed::State::complete;
      f.size = f.head_size + size.value_or(body.size());
      f.close_after = !size;
      if (malformed) {
        // Not left to httplib's reader, which takes a chunk followed by
        // anything but CRLF as if it were well formed.
        f.head.refusal = HeadRefusal{400, "malformed chunked body"};
      }
      return f;
    }
    f.expects_continue = body.empty() && expects_continue(f.head);
    return f;
  }
  std::uint64_t length = declared_length(f.head);
  if (body.size() >= length) {
    f.state = Framed::State::complete;
    f.size = f.head_size + length;
    return f;
  }
  f.expects_continue = body.empty() && expects_continue(f.head);
  return f;
}

}  // namespace

std::optional<std::size_t> chunked_body_size(std::string_view body, std::size_t max_body,
                                             bool* malformed, bool* too_large) {
  std::size_t pos = 0, decoded = 0;
  for (;;) {
    auto eol = body.find(k_crlf, pos);
    if (eol == std::string_view::npos) {
      *malformed = body.size() - pos > k_max_chunk_line;
      return std::nullopt;
    }
    auto size = parse_hex(body.substr(pos, eol - pos));
    if (!size || eol - pos > k_max_chunk_line) {
      *malformed = true;
      return std::nullopt;
    }
    pos = eol + 2;
    if (*size == 0) {
      return trailers_end(body, pos, malformed);
    }
    decoded += *size;
    if (decoded > max_body) {
      *too_large = true;
      return std::nullopt;
    }
    if (body.size() < pos + *size + 2) {
      return std::nullopt;
    }
    if (body.substr(pos + *size, 2) != k_crlf) {
      *malformed = true;
      return std::nullopt;
    }
    pos += *size + 2;
  }
}

Framed frame_request(std::string_view buf, const FramingLimits& limits, std::size_t* scanned) {
  Framed f;
  std::size_t from = *scanned >= 3 ? *scanned - 3 : 0;
  auto end = buf.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    // Lines ended by a bare LF: the head ends at the first empty line, and
    // parse_request_head refuses it (400) instead of waiting for a CRLF
    // blank line that will not come.
    if (auto lf = buf.find("\n\n", from);
        lf != std::string_view::npos && lf + 2 <= limits.max_header_bytes) {
      *scanned = lf;
      f.head_size = lf + 2;
      f.head = parse_request_head(buf.substr(0, f.head_size));
      if (f.head.refusal) {
        f.close_after = true;
        return head_only(std::move(f), false);
      }
      f = Framed{};
    }
  }
  if (end == std::string_view::npos || end + 4 > limits.max_header_bytes) {
    *scanned = buf.size();
    if (buf.size() > limits.max_header_bytes) {
      f.state = Framed::State::headers_too_large;
    }
    return f;
  }
  *scanned = end;
  f.head_size = end + 4;
  f.head = parse_request_head(buf.substr(0, f.head_size));
  bool has_body = f.head.headers.count("Transfer-Encoding") || declared_length(f.head) > 0;
  if (f.head.refusal) {
    f.close_after = true;
    return head_only(std::move(f), has_body);
  }
  if (declared_length(f.head) > limits.max_body ||
      (limits.answered_without_body && limits.answered_without_body(f.head))) {
    return head_only(std::move(f), has_body);
  }
  return frame_body(std::move(f), buf, limits);
}

}  // namespace fnq
