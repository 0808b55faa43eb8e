#include "cli/args.h"

#include <cstring>

#include "cli/text.h"
#include "common/ids.h"
#include "common/timeutil.h"

namespace fnq::cli {

namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Checked<std::string> check_call_id(std::string_view text) {
  std::string id = to_lower(text);
  if (!is_call_id_prefix(id)) {
    return usage_failure("invalid call id '" + std::string(text) + "'",
                         "expected an id like 019a7f2e-5c1b-7d3a-9b2e-4f0a1c2d3e4f or its first 8 "
                         "or more characters",
                         "copy it from 'fnq submit' or 'fnq list'");
  }
  return id;
}

Checked<std::vector<std::string>> check_call_ids(const std::vector<std::string>& texts) {
  std::vector<std::string> ids;
  for (const auto& text : texts) {
    auto id = check_call_id(text);
    if (!id.ok()) {
      return id.failure();
    }
    ids.push_back(std::move(*id));
  }
  return ids;
}

Checked<std::pair<std::string, std::string>> parse_header(std::string_view text) {
  auto colon = text.find(':');
  std::string_view name = colon == std::string_view::npos ? text : trim(text.substr(0, colon));
  bool name_ok = !name.empty();
  for (char c : name) {
    name_ok = name_ok && is_token_char(c);
  }
  if (colon == std::string_view::npos || !name_ok) {
    return usage_failure("invalid header '" + std::string(text) + "'", "expected 'Name: value'",
                         "e.g. -H 'Content-Type: image/png'");
  }
  return std::pair{std::string(name), std::string(trim(text.substr(colon + 1)))};
}

Checked<json> parse_headers(const std::vector<std::string>& texts) {
  json headers = json::object();
  for (const auto& text : texts) {
    auto header = parse_header(text);
    if (!header.ok()) {
      return header.failure();
    }
    auto& [name, value] = *header;
    if (headers.contains(name)) {
      headers[name] = headers[name].get<std::string>() + ", " + value;
    } else {
      headers[name] = value;
    }
  }
  return headers;
}

Checked<std::map<std::string, std::string>> parse_env(const std::vector<std::string>& texts) {
  std::map<std::string, std::string> env;
  for (const auto& text : texts) {
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      return usage_failure("invalid --env '" + text + "'", "expected KEY=VALUE",
                           "e.g. --env LANG=C.UTF-8");
    }
    env[text.substr(0, eq)] = text.substr(eq + 1);
  }
  return env;
}

namespace {

Failure out_of_range(const char* option, const Error& error) {
  return Failure{k_exit_bad_input, option, error.message, ""};
}

}  // namespace

Checked<std::optional<Millis>> parse_duration_option(const char* option,
                                                     const std::optional<std::string>& text) {
  if (!text) {
    return std::optional<Millis>();
  }
  auto ms = parse_duration_ms(*text);
  if (!ms.ok()) {
    return usage_failure(option, ms.error().message);
  }
  auto d = check_duration(*ms, *text);
  if (!d.ok()) {
    return out_of_range(option, d.error());
  }
  return std::optional<Millis>(*d);
}

Checked<std::optional<std::uint64_t>> parse_size_option(const char* option,
                                                        const std::optional<std::string>& text) {
  if (!text) {
    return std::optional<std::uint64_t>();
  }
  auto bytes = parse_size_bytes(*text);
  if (!bytes.ok()) {
    return usage_failure(option, bytes.error().message);
  }
  auto s = check_size(*bytes, *text);
  if (!s.ok()) {
    return out_of_range(option, s.error());
  }
  return std::optional<std::uint64_t>(*s);
}

Checked<std::int64_t> parse_at_option(const char* option, const std::string& text,
                                      std::int64_t now) {
  bool well_formed = false;
  auto t = parse_time(text, &well_formed);
  if (!t.ok()) {
    return well_formed ? out_of_range(option, t.error()) : usage_failure(option, t.error().message);
  }
  auto in_range = check_run_at(*t, now, text);
  if (!in_range.ok()) {
    return out_of_range(option, in_range.error());
  }
  return *t;
}

std::optional<Failure> check_int_option(const char* option, const std::optional<int>& value,
                                        IntRange range) {
  if (!value || range.contains(*value)) {
    return std::nullopt;
  }
  return Failure{
      k_exit_bad_input, option,
      std::to_string(*value) + " is out of range (expected an integer " + range_text(range) + ")",
      ""};
}

std::optional<Failure> check_function_name(const std::string& name) {
  if (is_valid_function_name(name)) {
    return std::nullopt;
  }
  return Failure{k_exit_bad_input, "invalid function name '" + name + "'",
                 "use 1 to 64 lowercase letters, digits, '_', '.' or '-', starting with a letter "
                 "or digit",
                 "e.g. resize or img.thumb-2"};
}

}  // namespace fnq::cli
