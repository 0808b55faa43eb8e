#pragma once
// One URL parser for every place fnq reads an http:// or https:// URL: the
// CLI's fnqd URL (common/http_client.h adds its own rules on top) and the
// daemon's callback URLs.
#include <string>
#include <string_view>

#include "common/result.h"

namespace fnq {

struct Url {
  std::string scheme;     // "http" or "https", lowercase
  std::string host;       // "127.0.0.1", "::1" (no brackets), "fnq.example.org"
  std::string port;       // as written, else the scheme's default ("80", "443")
  std::string authority;  // host[:port] as written: "[::1]:7850"
  std::string target;     // path, query and fragment as written: "/a?b=c"; "" if none

  std::string origin() const { return scheme + "://" + authority; }
};

// Parses "scheme://host[:port][/target]"; with default_scheme set, also
// "host[:port][/target]". Refused, with invalid_input and a short reason:
// other schemes, credentials ("user@host"), an empty host or one with
// spaces or control characters, a port that is not 1 to 65535, and control
// characters anywhere.
Result<Url> parse_url(std::string_view text, std::string_view default_scheme = {});

}  // namespace fnq
