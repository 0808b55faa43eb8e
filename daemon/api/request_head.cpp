#include "daemon/api/request_head.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace fnq {

namespace {

bool is_space_or_tab(char c) { return c == ' ' || c == '\t'; }

bool is_token_char(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space_or_tab(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_space_or_tab(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// A bounded, printable rendering of client text for an error message.
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  return s.size() > 40 ? out + "..." : out;
}

HeadRefusal bad_request(std::string message) { return HeadRefusal{400, std::move(message)}; }

// One header line without its CRLF: adds it to head, or sets the refusal.
void parse_line(std::string_view line, RequestHead& head) {
  if (!line.empty() && is_space_or_tab(line.front())) {
    head.refusal = bad_request("folded header line (obsolete line folding is not accepted)");
    return;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    head.refusal = bad_request("header line without a colon: '" + shown(line) + "'");
    return;
  }
  std::string_view name = line.substr(0, colon);
  if (!is_header_name(name)) {
    head.refusal = bad_request("invalid header name '" + shown(name) + "'");
    return;
  }
  std::string_view value = trim(line.substr(colon + 1));
  if (!is_header_value(value)) {  // a LF cannot be in a line
    head.refusal = bad_request("header " + std::string(name) + ": value holds NUL or CR");
    return;
  }
  head.headers.emplace(std::string(name), std::string(value));
}

// Every comma-separated element of every value of name, trimmed.
std::vector<std::string> list_elements(const httplib::Headers& headers, const char* name) {
  std::vector<std::string> out;
  auto [begin, end] = headers.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    std::string_view v = it->second;
    for (;;) {
      auto comma = v.find(',');
      out.emplace_back(trim(v.substr(0, comma)));
      if (comma == std::string_view::npos) {
        break;
      }
      v.remove_prefix(comma + 1);
    }
  }
  return out;
}

std::optional<HeadRefusal> check_content_length(const httplib::Headers& headers) {
  auto values = list_elements(headers, "Content-Length");
  for (const auto& v : values) {
    if (v.empty() || v.size() > 18 ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad_request("invalid Content-Length '" + shown(v) + "' (expected a byte count)");
    }
    if (std::stoull(v) != std::stoull(values.front())) {
      return bad_request("conflicting Content-Length values " + values.front() + " and " + v);
    }
  }
  return std::nullopt;
}

std::optional<HeadRefusal> check_transfer_encoding(const httplib::Headers& headers) {
  if (!headers.count("Transfer-Encoding")) {
    return std::nullopt;
  }
  if (headers.count("Content-Length")) {
    return bad_request("Content-Length and Transfer-Encoding together (send one)");
  }
  auto codings = list_elements(headers, "Transfer-Encoding");
  if (codings.size() != 1 || strcasecmp(codings.front().c_str(), "chunked") != 0) {
    std::string all;
    for (const auto& c : codings) {
      all += (all.empty() ? "" : ", ") + c;
    }
    return HeadRefusal{501,
                       "Transfer-Encoding '" + shown(all) + "' is not supported (only chunked)"};
  }
  return std::nullopt;
}

std::optional<HeadRefusal> check_expect(const httplib::Headers& headers) {
  auto [begin, end] = headers.equal_range("Expect");
  for (auto it = begin; it != end; ++it) {
    if (strcasecmp(it->second.c_str(), "100-continue") != 0) {
      return HeadRefusal{417,
                         "Expect '" + shown(it->second) + "' is not supported (only 100-continue)"};
    }
  }
  return std::nullopt;
}

bool is_pseudo_header(const std::string& name) {
  for (const char* h : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"}) {
    if (name == h) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool is_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return is_token_char(static_cast<unsigned char>(c));
  });
}

bool is_header_value(std::string_view value) {
  return value.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos;
}

RequestHead parse_request_head(std::string_view block) {
  RequestHead head;
  auto eol = block.find('\n');  // past the request line, which httplib checks
  std::string_view request_line = block.substr(0, eol);
  if (!request_line.empty() && request_line.back() == '\r') {
    request_line.remove_suffix(1);
  }
  auto sp = request_line.find(' ');
  head.method = std::string(request_line.substr(0, sp));
  if (sp != std::string_view::npos) {
    auto target = request_line.substr(sp + 1);
    auto sp2 = target.find(' ');
    head.target = std::string(target.substr(0, sp2));
    if (sp2 != std::string_view::npos) {
      head.version = std::string(target.substr(sp2 + 1));
    }
  }
  while (eol != std::string_view::npos && !head.refusal) {
    block.remove_prefix(eol + 1);
    eol = block.find('\n');
    std::string_view line = block.substr(0, eol);
    if (line.empty() || line.back() != '\r') {
      if (eol != std::string_view::npos || !line.empty()) {
        head.refusal = bad_request("header line not ended by CRLF");
      }
      break;
    }
    line.remove_suffix(1);
    if (line.empty()) {
      break;  // the blank line: end of the headers
    }
    parse_line(line, head);
  }
  if (!head.refusal) {
    head.refusal = check_framing(head.headers);
  }
  return head;
}

std::optional<HeadRefusal> check_framing(const httplib::Headers& headers) {
  if (auto r = check_content_length(headers)) {
    return r;
  }
  if (auto r = check_transfer_encoding(headers)) {
    return r;
  }
  return check_expect(headers);
}

std::string header_value(const httplib::Headers& headers, const char* name) {
  auto [begin, end] = headers.equal_range(name);
  return begin == end ? std::string() : begin->second;
}

void install_headers(const RequestHead& head, httplib::Request& req) {
  for (auto it = req.headers.begin(); it != req.headers.end();) {
    it = is_pseudo_header(it->first) ? std::next(it) : req.headers.erase(it);
  }
  for (const auto& [name, value] : head.headers) {
    if (value.empty()) {
      continue;
    }
    if (strcasecmp(name.c_str(), "Range") == 0) {
      continue;
    }
    if (strcasecmp(name.c_str(), "Expect") == 0) {
      if (!head.refusal) {
        req.headers.emplace(name, "100-continue");
      }
      continue;
    }
    req.headers.emplace(name, value);
  }
}

std::optional<std::string> without_range_header(const std::string& request, std::size_t head_size) {
  std::string_view head = std::string_view(request).substr(0, head_size);
  std::string out;
  bool found = false;
  std::size_t pos = 0;
  while (pos < head.size()) {
    auto eol = head.find('\n', pos);
    std::size_t next = eol == std::string_view::npos ? head.size() : eol + 1;
    std::string_view line = head.substr(pos, next - pos);
    if (pos > 0 && line.size() > 6 && strncasecmp(line.data(), "range:", 6) == 0) {
      found = true;
    } else {
      out.append(line);
    }
    pos = next;
  }
  if (!found) {
    return std::nullopt;
  }
  out.append(request, head_size, std::string::npos);
  return out;
}

}  // namespace fnq
