#include "common/url.h"

#include <strings.h>

namespace fnq {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool has_control(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

Error bad(std::string why) { return make_error(ErrorKind::invalid_input, std::move(why)); }

// Splits "host[:port]" or "[v6]:port"; the port stays empty when absent.
Status split_authority(std::string_view authority, Url& url, std::string_view& port) {
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return bad("unclosed '[' in the host");
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return bad("expected ':' after ']'");
      }
      port = rest.substr(1);
    }
    return {};
  }
  auto colon = authority.rfind(':');
  url.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    port = authority.substr(colon + 1);
  }
  return {};
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) {
    return false;
  }
  unsigned n = 0;
  for (char c : port) {
    if (c < '0' || c > '9') {
      return false;
    }
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n >= 1 && n <= 65535;
}

}  // namespace

Result<Url> parse_url(std::string_view text, std::string_view default_scheme) {
  if (has_control(text)) {
    return bad("control characters in the URL");
  }
  Url url;
  std::string_view s = text;
  auto sep = s.find("://");
  if (sep != std::string_view::npos) {
    std::string_view scheme = s.substr(0, sep);
    if (iequals(scheme, "http")) {
      url.scheme = "http";
    } else if (iequals(scheme, "https")) {
      url.scheme = "https";
    } else {
      return bad("only http:// and https:// URLs are supported");
    }
    s.remove_prefix(sep + 3);
  } else if (!default_scheme.empty()) {
    url.scheme = std::string(default_scheme);
  } else {
    return bad("not an http:// or https:// URL");
  }
  auto slash = s.find_first_of("/?#");
  std::string_view authority = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    url.target = std::string(s.substr(slash));
  }
  if (authority.find('@') != std::string_view::npos) {
    return bad("credentials in the URL are not supported");
  }
  std::string_view port;
  FNQ_TRY(split_authority(authority, url, port));
  if (url.host.empty()) {
    return bad("no host");
  }
  if (url.host.find_first_of(" \t") != std::string::npos) {
    return bad("spaces in the host");
  }
  if (!port.empty() && !valid_port(port)) {
    return bad("the port must be a number from 1 to 65535");
  }
  if (port.empty() && authority.back() == ':') {
    return bad("the port must be a number from 1 to 65535");
  }
  url.port = port.empty() ? (url.scheme == "https" ? "443" : "80") : std::string(port);
  url.authority = std::string(authority);
  return url;
}

}  // namespace fnq
