#pragma once
// Where one request ends in the bytes a connection has sent, so the event
// loop (http_server.cpp) can hand whole requests to httplib's parser on an
// in-memory stream and no thread waits for a client's next bytes.
// The head ends at the first blank line; it is parsed with
// parse_request_head (request_head.h), which also refuses ambiguous framing.
// The body is what Content-Length declares, or a chunked body up to its last
// chunk and trailers. A request is dispatched without its body (the
// connection is then closed after the answer) when it is refused, when its
// declared body is over the limit, or when the caller's predicate says it is
// answered without its body (a wrong token). A chunked body growing past the
// limit, or malformed chunk framing, is dispatched as far as it has come:
// httplib's reader then fails and the route answers 413 or 400.
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

#include "daemon/api/request_head.h"

namespace fnq {

struct FramingLimits {
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_body = 16u << 20;
  // True: the request is answered without reading its body (its body, if
  // any, is not waited for).
  std::function<bool(const RequestHead&)> answered_without_body;
};

struct Framed {
  enum class State {
    incomplete,         // more bytes are needed
    complete,           // the first `size` bytes are one request
    headers_too_large,  // no blank line within max_header_bytes: 431
  };
  State state = State::incomplete;
  std::size_t size = 0;       // bytes of the request as dispatched
  std::size_t head_size = 0;  // request line, headers and blank line
  // The body is not part of the request as dispatched, or its end is not
  // known: nothing after it on this connection can be trusted.
  bool close_after = false;
  bool expects_continue = false;  // Expect: 100-continue, body still to come
  RequestHead head;
};

// Finds the first request in buf. scanned: bytes of buf already known not to
// end the head (kept by the caller between calls, reset after a request).
Framed frame_request(std::string_view buf, const FramingLimits& limits, std::size_t* scanned);

// For a chunked body starting at body: its size with trailers when complete;
// nullopt when more bytes are needed. *malformed / *too_large say why the
// caller should stop waiting (decoded size over max_body).
std::optional<std::size_t> chunked_body_size(std::string_view body, std::size_t max_body,
                                             bool* malformed, bool* too_large);

}  // namespace fnq
