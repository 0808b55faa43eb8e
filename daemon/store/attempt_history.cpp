#include "daemon/store/attempt_history.h"

namespace fnq {
namespace {

template <class T>
std::optional<T> number(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer()) {
    return std::nullopt;
  }
  return it->get<T>();
}

std::optional<std::string> text(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

json stored_json(const AttemptRecord& a) {
  auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  return json{{"attempt", a.attempt},
              {"started_at", opt(a.started_at)},
              {"finished_at", opt(a.finished_at)},
              {"state", to_string(a.state)},
              {"exit_code", opt(a.exit_code)},
              {"signal", opt(a.signal)},
              {"error", opt(a.error)}};
}

}  // namespace

Result<std::vector<AttemptRecord>> parse_attempt_history(const std::string& call_id,
                                                         const std::string& text_in) {
  json list = json::parse(text_in, nullptr, false);
  if (!list.is_array()) {
    return make_error(ErrorKind::io, "call " + call_id + " has an invalid attempts column");
  }
  std::vector<AttemptRecord> out;
  out.reserve(list.size());
  for (const json& item : list) {
    auto state = item.is_object() ? text(item, "state") : std::nullopt;
    auto parsed = state ? parse_call_state(*state) : std::nullopt;
    if (!parsed) {
      return make_error(ErrorKind::io, "call " + call_id + " has an invalid attempts column");
    }
    AttemptRecord a;
    a.attempt = number<int>(item, "attempt").value_or(0);
    a.started_at = number<std::int64_t>(item, "started_at");
    a.finished_at = number<std::int64_t>(item, "finished_at");
    a.state = *parsed;
    a.exit_code = number<int>(item, "exit_code");
    a.signal = number<int>(item, "signal");
    a.error = text(item, "error");
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<std::string> history_with_last_attempt(const Call& c) {
  bool kept = !c.attempts.empty() && c.attempts.back().attempt >= c.attempt;
  if (c.attempt <= 0 || !c.started_at || kept) {
    return std::nullopt;
  }
  json list = json::array();
  for (const AttemptRecord& a : c.attempts) {
    list.push_back(stored_json(a));
  }
  AttemptRecord last;
  last.attempt = c.attempt;
  last.started_at = c.started_at;
  last.finished_at = c.finished_at;
  last.state = c.state;
  last.exit_code = c.exit_code;
  last.signal = c.signal;
  last.error = c.error;
  list.push_back(stored_json(last));
  return list.dump();
}

}  // namespace fnq
