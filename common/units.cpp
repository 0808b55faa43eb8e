#include "common/units.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "common/json.h"

namespace fnq {
namespace {

constexpr std::uint64_t k_saturated = std::numeric_limits<std::uint64_t>::max();

struct Unit {
  const char* suffix;
  std::uint64_t factor;
};

// Splits "30s" into 30 and "s"; fails on empty and signs. A number past
// UINT64_MAX saturates: it is out of range, not malformed.
bool split_number(std::string_view text, std::uint64_t* number, std::string_view* suffix) {
  std::size_t i = 0;
  std::uint64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    std::uint64_t digit = static_cast<std::uint64_t>(text[i] - '0');
    n = n > (k_saturated - digit) / 10 ? k_saturated : n * 10 + digit;
    ++i;
  }
  if (i == 0) {
    return false;
  }
  *number = n;
  *suffix = text.substr(i);
  return true;
}

Result<std::uint64_t> parse_with_units(std::string_view text, const Unit* units, std::size_t count,
                                       const char* what, const char* examples) {
  std::uint64_t n = 0;
  std::string_view suffix;
  if (split_number(text, &n, &suffix)) {
    for (std::size_t i = 0; i < count; ++i) {
      if (suffix == units[i].suffix) {
        return n > k_saturated / units[i].factor ? k_saturated : n * units[i].factor;
      }
    }
  }
  return make_error(ErrorKind::invalid_input, "invalid " + std::string(what) + " '" +
                                                  std::string(text) + "' (use " + examples + ")");
}

Error out_of_range(std::string_view shown, const char* what, const std::string& range) {
  return make_error(ErrorKind::invalid_input, "'" + std::string(shown) + "' is out of range (" +
                                                  what + " are " + range + ")");
}

Error with_field(std::string_view field, const Error& e) {
  return make_error(e.kind, std::string(field) + ": " + e.message);
}

// Parsed JSON keeps non-negative integers unsigned; a json built in code may
// hold them signed.
bool is_non_negative_integer(const nlohmann::json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
}

constexpr Unit k_duration_units[] = {
    {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000},
};

constexpr Unit k_size_units[] = {
    {"", 1},
    {"B", 1},
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
    {"KB", 1000},
    {"MB", 1000'000},
    {"GB", 1000'000'000},
    {"K", 1ull << 10},
    {"M", 1ull << 20},
    {"G", 1ull << 30},
    {"TiB", 1ull << 40},
    {"TB", 1000'000'000'000},
    {"T", 1ull << 40},
};

}  // namespace

Result<std::uint64_t> parse_duration_ms(std::string_view text) {
  return parse_with_units(text, k_duration_units, std::size(k_duration_units), "duration",
                          "e.g. 250ms, 30s, 5m, 2h, 1d");
}

Result<Millis> check_duration(std::uint64_t ms, std::string_view shown) {
  if (ms > static_cast<std::uint64_t>(k_max_duration.count())) {
    return out_of_range(shown, "durations", duration_range_text());
  }
  return Millis(static_cast<std::int64_t>(ms));
}

Result<Millis> parse_duration(std::string_view text) {
  FNQ_TRY_ASSIGN(auto ms, parse_duration_ms(text));
  return check_duration(ms, text);
}

Result<Millis> duration_from_json(const nlohmann::json& value, std::string_view field) {
  Result<Millis> d = make_error(
      ErrorKind::invalid_input,
      "expected a duration like 30s or integer milliseconds (" + duration_range_text() + ")");
  if (is_non_negative_integer(value)) {
    d = check_duration(value.get<std::uint64_t>(), value.dump());
  } else if (value.is_number_integer()) {
    d = out_of_range(value.dump(), "durations", duration_range_text());
  } else if (value.is_string()) {
    d = parse_duration(value.get<std::string>());
  }
  return d ? d : with_field(field, d.error());
}

std::string format_duration(Millis d) {
  std::int64_t ms = d.count();
  if (ms == 0) {
    return "0s";
  }
  constexpr std::pair<std::int64_t, const char*> k_steps[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  for (const auto& [factor, suffix] : k_steps) {
    if (ms % factor == 0) {
      return std::to_string(ms / factor) + suffix;
    }
  }
  return std::to_string(ms) + "ms";
}

Millis clamp_duration(Millis d) { return std::clamp(d, Millis(0), k_max_duration); }

Result<std::uint64_t> parse_size_bytes(std::string_view text) {
  return parse_with_units(text, k_size_units, std::size(k_size_units), "size",
                          "e.g. 512, 64KiB, 4MiB");
}

Result<std::uint64_t> check_size(std::uint64_t bytes, std::string_view shown) {
  if (bytes > k_max_size) {
    return out_of_range(shown, "sizes", size_range_text());
  }
  return bytes;
}

Result<std::uint64_t> parse_size(std::string_view text) {
  FNQ_TRY_ASSIGN(auto bytes, parse_size_bytes(text));
  return check_size(bytes, text);
}

Result<std::uint64_t> size_from_json(const nlohmann::json& value, std::string_view field) {
  Result<std::uint64_t> s =
      make_error(ErrorKind::invalid_input,
                 "expected a size like 4MiB or a number of bytes (" + size_range_text() + ")");
  if (is_non_negative_integer(value)) {
    s = check_size(value.get<std::uint64_t>(), value.dump());
  } else if (value.is_number_integer()) {
    s = out_of_range(value.dump(), "sizes", size_range_text());
  } else if (value.is_string()) {
    s = parse_size(value.get<std::string>());
  }
  return s ? s : with_field(field, s.error());
}

std::string format_size(std::uint64_t bytes) {
  constexpr std::pair<std::uint64_t, const char*> k_steps[] = {
      {1ull << 40, "TiB"}, {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  if (bytes != 0) {
    for (const auto& [factor, suffix] : k_steps) {
      if (bytes % factor == 0) {
        return std::to_string(bytes / factor) + suffix;
      }
    }
  }
  return std::to_string(bytes);
}

}  // namespace fnq
