#pragma once
// The request line and headers as the client sent them. httplib 0.11
// percent-decodes header values in its parser (`k%41` arrives as `kA`, `%0A`
// as a newline) and skips lines it cannot parse; the connection layer keeps
// the raw header block and parses it again here, so values reach storage,
// callbacks and the function's environment exactly as sent, and framing that
// could smuggle a second request past fnqd is refused (RFC 9112 §6.3).
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

namespace fnq {

// Why a request is answered before routing, with the connection closed.
struct HeadRefusal {
  int status = 400;
  std::string message;
};

struct RequestHead {
  std::string method;        // the request line's method, as sent ("POST")
  std::string target;        // the request line's target, as sent ("/v1/calls?x=1")
  std::string version;       // the request line's version, as sent ("HTTP/1.1")
  httplib::Headers headers;  // values as sent, empty ones included
  std::optional<HeadRefusal> refusal;
};

// block: the request line, the header lines and the blank line, as read.
// Refuses (400) lines not ended by CRLF, folded lines, lines without a
// colon, bad names, and values holding NUL or CR.
RequestHead parse_request_head(std::string_view block);

// The framing rules: one Content-Length value (digits only), never together
// with Transfer-Encoding (400); no coding but `chunked` (501); no
// expectation but `100-continue` (417).
std::optional<HeadRefusal> check_framing(const httplib::Headers& headers);

// A header name (an RFC 9110 token), and a value fnqd passes on (no NUL, CR
// or LF): for the header lines of a request and for the `headers` field of
// a submit, which reach the function's environment the same way.
bool is_header_name(std::string_view name);
bool is_header_value(std::string_view value);

// The first value of a header, or "" (as httplib's get_header_value).
std::string header_value(const httplib::Headers& headers, const char* name);

// Replaces req's headers (keeping httplib's REMOTE_ and LOCAL_ pseudo-headers)
// with head's, dropping empty values as httplib does. A refused request loses
// its Expect header, so httplib does not invite the body with 100 Continue;
// `Expect: 100-Continue` in any case is passed on as httplib expects it.
// Range is not among them: fnqd serves no partial content (RFC 9110 lets a
// server ignore Range), and httplib would cut any answer to the range asked,
// JSON included, under a 200.
void install_headers(const RequestHead& head, httplib::Request& req);

// The request without its Range header lines, for httplib's parser (which
// applies a Range it reads, and answers 416 to one it cannot parse); nothing
// when it has none. head_size: the bytes of the request line and headers.
std::optional<std::string> without_range_header(const std::string& request, std::size_t head_size);

}  // namespace fnq
