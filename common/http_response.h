#pragma once
// An HTTP/1.1 response as the CLI reads it, and the parser that reads one
// from bytes as they arrive (Content-Length, chunked and close-delimited
// bodies). Fuzzed (tests/fuzz) and tested at every split point.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace fnq {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;    // names as sent
  std::string header(const std::string& name) const;  // case-insensitive, "" if absent
};

namespace http {

// Reads one response from bytes as they arrive.
class ResponseParser {
 public:
  enum class Progress { more, done, bad };

  // A HEAD request's response has no body whatever its headers say.
  explicit ResponseParser(bool head_request = false) : m_head_request(head_request) {}

  Progress feed(std::string_view data);
  // The peer closed the connection: completes a close-delimited body.
  Progress end_of_stream();

  bool started() const { return m_started; }
  bool keep_alive() const { return m_keep_alive; }
  const std::string& error() const { return m_error; }
  HttpResponse& response() { return m_response; }

  static constexpr std::size_t k_max_head_bytes = 64 * 1024;

 private:
  enum class Phase {
    head,
    length,
    chunk_size,
    chunk_data,
    chunk_end,
    trailers,
    until_close,
    done,
    bad
  };

  Progress advance();
  bool parse_head(std::string_view head);
  Progress fail(std::string why);
  void take_body(std::size_t n);
  // Moves up to m_remaining buffered bytes into the body; true once all came.
  bool take_remaining();

  bool m_head_request;
  bool m_started = false;
  bool m_keep_alive = true;
  Phase m_phase = Phase::head;
  std::string m_buf;
  std::size_t m_remaining = 0;
  std::string m_error;
  HttpResponse m_response;
};

}  // namespace http
}  // namespace fnq
