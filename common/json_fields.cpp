#include "common/json_fields.h"

#include "common/model.h"
#include "common/timeutil.h"

namespace fnq {

namespace {

constexpr std::size_t k_max_shown = 40;

// A value as the error shows it: its JSON text, cut short.
std::string shown(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() > k_max_shown ? text.substr(0, k_max_shown) + "..." : text;
}

// The key in force where a number overflowed, found by parsing again with a
// callback (only on that rare failure: the callback slows every parse).
std::string key_of_overflow(std::string_view text) {
  std::string last_key;
  auto track = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && parsed.is_string()) {
      last_key = parsed.get<std::string>();
    }
    return true;
  };
  try {
    json ignored = json::parse(text, track);
  } catch (const json::exception&) {
    // the overflow again: last_key holds its field
  }
  return last_key;
}

// "number overflow parsing '1e309'" -> "1e309"
std::string overflowed_token(const std::string& what) {
  auto open = what.find('\'');
  auto close = what.rfind('\'');
  std::string token = open != std::string::npos && close > open
                          ? what.substr(open + 1, close - open - 1)
                          : std::string("a number");
  return token.size() > k_max_shown ? token.substr(0, k_max_shown) + "..." : token;
}

// Finds `field`; absent when missing or null.
const json* find_field(const json& object, const char* field) {
  auto it = object.find(field);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

Error field_error(std::string_view field, std::string_view why) {
  return make_error(ErrorKind::invalid_input, std::string(field) + ": " + std::string(why));
}

Result<json> parse_json_text(std::string_view text, std::string_view what) {
  try {
    return json::parse(text);
  } catch (const json::out_of_range& e) {
    std::string why =
        overflowed_token(e.what()) + " is out of range (a JSON number must fit a double)";
    std::string key = key_of_overflow(text);
    return key.empty() ? make_error(ErrorKind::invalid_input, why) : field_error(key, why);
  } catch (const json::exception& e) {
    std::string detail = e.what();
    auto pos = detail.find("parse error");
    return make_error(
        ErrorKind::invalid_input,
        "malformed " + std::string(what) + ": " +
            (pos == std::string::npos ? std::string("cannot parse") : detail.substr(pos)));
  }
}

Status check_known_fields(const json& object, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (std::string_view k : known) {
      found = found || key == k;
    }
    if (!found) {
      return field_error(key, "unknown field");
    }
  }
  return {};
}

Status read_int(const json& object, const char* field, IntRange range, std::optional<int>* out) {
  const json* v = find_field(object, field);
  if (!v) {
    return {};
  }
  // Unsigned past INT64_MAX (2^63, 2^64-1) is out of every range; floats
  // (1e3, 1.5) are not integers.
  bool fits =
      v->is_number_integer() &&
      !(v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(range.max));
  if (!fits || !range.contains(v->get<std::int64_t>())) {
    return field_error(field, "expected an integer " + range_text(range) + ", got " + shown(*v));
  }
  *out = static_cast<int>(v->get<std::int64_t>());
  return {};
}

Status read_bool(const json& object, const char* field, std::optional<bool>* out) {
  const json* v = find_field(object, field);
  if (!v) {
    return {};
  }
  if (!v->is_boolean()) {
    return field_error(field, "expected true or false, got " + shown(*v));
  }
  *out = v->get<bool>();
  return {};
}

Status read_string(const json& object, const char* field, std::optional<std::string>* out) {
  const json* v = find_field(object, field);
  if (!v) {
    return {};
  }
  if (!v->is_string()) {
    return field_error(field, "expected a string, got " + shown(*v));
  }
  *out = v->get<std::string>();
  return {};
}

Status read_function_name(const json& object, const char* field, std::optional<std::string>* out) {
  std::optional<std::string> name;
  FNQ_TRY(read_string(object, field, &name));
  if (name && !is_valid_function_name(*name)) {
    return field_error(field, "invalid function name '" + name->substr(0, 100) +
                                  "' (lowercase letters, digits, '_', '.', '-'; "
                                  "starts with a letter or digit; at most 64)");
  }
  if (name) {
    *out = std::move(name);
  }
  return {};
}

Status read_duration(const json& object, const char* field, std::optional<Millis>* out) {
  const json* v = find_field(object, field);
  if (!v) {
    return {};
  }
  FNQ_TRY_ASSIGN(auto d, duration_from_json(*v, field));
  *out = d;
  return {};
}

Status read_size(const json& object, const char* field, std::optional<std::uint64_t>* out) {
  const json* v = find_field(object, field);
  if (!v) {
    return {};
  }
  FNQ_TRY_ASSIGN(auto s, size_from_json(*v, field));
  *out = s;
  return {};
}

Status read_time(const json& object, const char* field, std::optional<std::int64_t>* out) {
  const json* v = find_field(object, field);
  if (!v) {
    return {};
  }
  if (!v->is_string()) {
    return field_error(field, "expected an RFC 3339 time, got " + shown(*v));
  }
  auto t = parse_time(v->get<std::string>());
  if (!t) {
    return field_error(field, t.error().message);
  }
  *out = *t;
  return {};
}

}  // namespace fnq
