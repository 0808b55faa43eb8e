#include "common/units.h"

#include <cctype>
#include <limits>

#include <nlohmann/json.hpp>

namespace fnq {
namespace {

struct Unit {
  const char* suffix;
  std::uint64_t factor;
};

// Splits "30s" into 30 and "s"; fails on empty, signs, and overflow.
bool split_number(std::string_view text, std::uint64_t* number, std::string_view* suffix) {
  std::size_t i = 0;
  std::uint64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    std::uint64_t digit = static_cast<std::uint64_t>(text[i] - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      return false;
    }
    n = n * 10 + digit;
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
  auto bad = [&] {
    return make_error(ErrorKind::invalid_input, "invalid " + std::string(what) + " '" +
                                                    std::string(text) + "' (use " + examples + ")");
  };
  if (!split_number(text, &n, &suffix)) {
    return bad();
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (suffix == units[i].suffix) {
      if (n > std::numeric_limits<std::int64_t>::max() / units[i].factor) {
        return bad();
      }
      return n * units[i].factor;
    }
  }
  return bad();
}

constexpr Unit k_duration_units[] = {
    {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000},
};

constexpr Unit k_size_units[] = {
    {"", 1},          {"B", 1},          {"KiB", 1ull << 10}, {"MiB", 1ull << 20},
    {"GiB", 1ull << 30}, {"KB", 1000},   {"MB", 1000'000},    {"GB", 1000'000'000},
    {"K", 1ull << 10},   {"M", 1ull << 20}, {"G", 1ull << 30},
};

}  // namespace

Result<Millis> parse_duration(std::string_view text) {
  auto n = parse_with_units(text, k_duration_units, std::size(k_duration_units), "duration",
                            "e.g. 250ms, 30s, 5m, 2h, 1d");
  if (!n) {
    return n.error();
  }
  return Millis(static_cast<std::int64_t>(*n));
}

Result<Millis> duration_from_json(const nlohmann::json& value, std::string_view field) {
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return Millis(value.get<std::int64_t>());
  }
  if (value.is_string()) {
    auto d = parse_duration(value.get<std::string>());
    if (!d) {
      return make_error(ErrorKind::invalid_input, std::string(field) + ": " + d.error().message);
    }
    return d;
  }
  return make_error(ErrorKind::invalid_input,
                    std::string(field) + ": expected a duration string or milliseconds");
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

Result<std::uint64_t> parse_size(std::string_view text) {
  return parse_with_units(text, k_size_units, std::size(k_size_units), "size",
                          "e.g. 512, 64KiB, 4MiB");
}

Result<std::uint64_t> size_from_json(const nlohmann::json& value, std::string_view field) {
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return value.get<std::uint64_t>();
  }
  if (value.is_string()) {
    auto s = parse_size(value.get<std::string>());
    if (!s) {
      return make_error(ErrorKind::invalid_input, std::string(field) + ": " + s.error().message);
    }
    return s;
  }
  return make_error(ErrorKind::invalid_input,
                    std::string(field) + ": expected a size string or a number of bytes");
}

std::string format_size(std::uint64_t bytes) {
  constexpr std::pair<std::uint64_t, const char*> k_steps[] = {
      {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
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
