#include "daemon/api/json_guard.h"

#include <algorithm>
#include <vector>

namespace fnq {

namespace {

// Bytes per part of nlohmann's DOM, malloc overhead included (64-bit glibc):
// a value slot in an array's std::vector (with room for the vector's
// growth); an array's vector or an object's std::map; a map node with its
// key; a string value's std::string (its text counted a byte a byte).
constexpr std::size_t k_slot = 32;
constexpr std::size_t k_container = 64;
constexpr std::size_t k_member = 96;
constexpr std::size_t k_string = 32;

struct Scan {
  std::vector<char> open;  // the containers around the position: '[' or '{'
  std::size_t deepest = 0;
  std::size_t cost = 0;
};

// One character outside strings.
void structural(char c, Scan& s) {
  switch (c) {
    case '"': s.cost += k_string; break;
    case '[':
    case '{':
      s.cost += k_container + (c == '[' ? k_slot : 0);  // an array's first slot
      s.open.push_back(c);
      s.deepest = std::max(s.deepest, s.open.size());
      break;
    case ']':
    case '}':
      if (!s.open.empty()) {
        s.open.pop_back();
      }
      break;
    // A key is a string followed by ':'; it lives inside its map node.
    case ':': s.cost += k_member - k_string; break;
    case ',': s.cost += !s.open.empty() && s.open.back() == '[' ? k_slot : 0; break;
    default: break;
  }
}

// Walks text once; stops early when depth or cost passes its bound.
Scan scan(std::string_view text, std::size_t max_depth, std::size_t max_cost) {
  Scan s;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      s.cost += 1;
      continue;
    }
    in_string = c == '"';
    structural(c, s);
    if (s.deepest > max_depth || s.cost > max_cost) {
      break;
    }
  }
  return s;
}

}  // namespace

std::size_t estimated_json_cost(std::string_view text) {
  return scan(text, static_cast<std::size_t>(-1), static_cast<std::size_t>(-1)).cost;
}

std::optional<std::string> check_json_shape(std::string_view text) {
  std::size_t max_cost = k_json_cost_floor + k_json_cost_per_byte * text.size();
  Scan s = scan(text, k_max_json_depth, max_cost);
  if (s.deepest > k_max_json_depth) {
    return "JSON body nested deeper than " + std::to_string(k_max_json_depth) + " levels";
  }
  if (s.cost > max_cost) {
    return "JSON body too dense: parsing its " + std::to_string(text.size()) +
           " bytes would take over " + std::to_string(max_cost / (1u << 20)) +
           " MiB of memory; send fewer, larger values";
  }
  return std::nullopt;
}

}  // namespace fnq
