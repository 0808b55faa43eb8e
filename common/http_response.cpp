#include "common/http_response.h"

#include <strings.h>

#include <algorithm>

namespace fnq {

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strcasecmp(k.c_str(), name.c_str()) == 0) {
      return v;
    }
  }
  return {};
}

namespace http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Digits only, no sign, no overflow.
bool parse_decimal(std::string_view s, std::size_t* out) {
  if (s.empty() || s.size() > 18) {
    return false;
  }
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  *out = v;
  return true;
}

bool parse_hex(std::string_view s, std::size_t* out) {
  if (s.empty() || s.size() > 15) {
    return false;
  }
  std::size_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = v * 16 + static_cast<std::size_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

ResponseParser::Progress ResponseParser::fail(std::string why) {
  m_phase = Phase::bad;
  m_keep_alive = false;
  m_error = std::move(why);
  return Progress::bad;
}

void ResponseParser::take_body(std::size_t n) {
  m_response.body.append(m_buf, 0, n);
  m_buf.erase(0, n);
}

bool ResponseParser::take_remaining() {
  std::size_t n = std::min(m_remaining, m_buf.size());
  take_body(n);
  m_remaining -= n;
  return m_remaining == 0;
}

bool ResponseParser::parse_head(std::string_view head) {
  auto eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" || status_line[8] != ' ') {
    fail("not an HTTP response");
    return false;
  }
  std::string_view version = status_line.substr(5, 3);
  std::size_t code = 0;
  if (!parse_decimal(status_line.substr(9, 3), &code) || code < 100 || code > 999 ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    fail("bad status line");
    return false;
  }
  m_response = HttpResponse{};
  m_response.status = static_cast<int>(code);
  m_keep_alive = version == "1.1";
  bool chunked = false;
  bool has_length = false;
  std::size_t length = 0;
  std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) {
      end = head.size();
    }
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      fail("malformed header line");
      return false;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      std::size_t n = 0;
      if (!parse_decimal(value, &n) || (has_length && n != length)) {
        fail("bad Content-Length");
        return false;
      }
      has_length = true;
      length = n;
    } else if (iequals(name, "Transfer-Encoding")) {
      auto last = value.rfind(',');
      chunked =
          iequals(trim(last == std::string_view::npos ? value : value.substr(last + 1)), "chunked");
    } else if (iequals(name, "Connection")) {
      if (iequals(value, "close")) {
        m_keep_alive = false;
      } else if (iequals(value, "keep-alive")) {
        m_keep_alive = version == "1.1" || version == "1.0";
      }
    }
    m_response.headers.emplace(std::string(name), std::string(value));
  }
  if (code < 200) {
    m_phase = Phase::head;  // 100 Continue and friends: the real answer follows
  } else if (m_head_request || code == 204 || code == 304) {
    m_phase = Phase::done;
  } else if (chunked) {
    m_phase = Phase::chunk_size;
  } else if (has_length) {
    m_remaining = length;
    m_phase = length == 0 ? Phase::done : Phase::length;
  } else {
    m_keep_alive = false;
    m_phase = Phase::until_close;
  }
  return true;
}

ResponseParser::Progress ResponseParser::feed(std::string_view data) {
  if (m_phase == Phase::done || m_phase == Phase::bad) {
    if (!data.empty()) {
      m_keep_alive = false;  // bytes after the answer: do not reuse this connection
    }
    return m_phase == Phase::done ? Progress::done : Progress::bad;
  }
  m_started = m_started || !data.empty();
  m_buf.append(data);
  return advance();
}

ResponseParser::Progress ResponseParser::advance() {
  for (;;) {
    switch (m_phase) {
      case Phase::head: {
        auto end = m_buf.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (m_buf.size() > k_max_head_bytes) {
            return fail("response headers over " + std::to_string(k_max_head_bytes) + " bytes");
          }
          return Progress::more;
        }
        if (end > k_max_head_bytes) {
          return fail("response headers over " + std::to_string(k_max_head_bytes) + " bytes");
        }
        if (!parse_head(std::string_view(m_buf).substr(0, end))) {
          return Progress::bad;
        }
        m_buf.erase(0, end + 4);
        break;
      }
      case Phase::length:
        if (!take_remaining()) {
          return Progress::more;
        }
        m_phase = Phase::done;
        break;
      case Phase::chunk_size: {
        auto eol = m_buf.find("\r\n");
        if (eol == std::string::npos) {
          return m_buf.size() > 1024 ? fail("chunk size line too long") : Progress::more;
        }
        std::string_view line = std::string_view(m_buf).substr(0, eol);
        line = trim(line.substr(0, line.find(';')));  // chunk extensions are ignored
        std::size_t size = 0;
        if (!parse_hex(line, &size)) {
          return fail("bad chunk size");
        }
        m_buf.erase(0, eol + 2);
        m_remaining = size;
        m_phase = size == 0 ? Phase::trailers : Phase::chunk_data;
        break;
      }
      case Phase::chunk_data:
        if (!take_remaining()) {
          return Progress::more;
        }
        m_phase = Phase::chunk_end;
        break;
      case Phase::chunk_end:
        if (m_buf.size() < 2) {
          return Progress::more;
        }
        if (m_buf.compare(0, 2, "\r\n") != 0) {
          return fail("chunk not followed by CRLF");
        }
        m_buf.erase(0, 2);
        m_phase = Phase::chunk_size;
        break;
      case Phase::trailers: {
        auto eol = m_buf.find("\r\n");
        if (eol == std::string::npos) {
          return m_buf.size() > k_max_head_bytes ? fail("trailers too long") : Progress::more;
        }
        m_buf.erase(0, eol + 2);
        if (eol == 0) {
          m_phase = Phase::done;
        }
        break;
      }
      case Phase::until_close: take_body(m_buf.size()); return Progress::more;
      case Phase::done:
        if (!m_buf.empty()) {
          m_keep_alive = false;
        }
        return Progress::done;
      case Phase::bad: return Progress::bad;
    }
  }
}

ResponseParser::Progress ResponseParser::end_of_stream() {
  m_keep_alive = false;
  switch (m_phase) {
    case Phase::until_close: m_phase = Phase::done; return Progress::done;
    case Phase::done: return Progress::done;
    case Phase::bad: return Progress::bad;
    default:
      return fail(m_started ? "fnqd closed the connection in the middle of an answer"
                            : "fnqd closed the connection without answering");
  }
}

}  // namespace http
}  // namespace fnq
