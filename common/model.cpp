#include "common/model.h"

#include <algorithm>
#include <climits>
#include <string_view>
#include <type_traits>

#include "common/json_fields.h"
#include "common/timeutil.h"

namespace fnq {

namespace {
constexpr const char* k_state_names[] = {"waiting", "queued",    "running",   "succeeded",
                                         "failed",  "timed_out", "cancelled", "skipped"};
}

const char* to_string(CallState state) { return k_state_names[static_cast<int>(state)]; }

std::optional<CallState> parse_call_state(std::string_view text) {
  for (int i = 0; i < static_cast<int>(std::size(k_state_names)); ++i) {
    if (text == k_state_names[i]) {
      return static_cast<CallState>(i);
    }
  }
  return std::nullopt;
}

bool is_terminal(CallState state) {
  return state != CallState::waiting && state != CallState::queued && state != CallState::running;
}

bool is_valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name[0])) {
    return false;
  }
  for (char c : name) {
    if (!lower_or_digit(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

namespace {

Status read_function_command(const json& j, Function* f) {
  auto cmd = j.find("command");
  if (cmd == j.end()) {
    return field_error("command", "required");
  }
  if (!cmd->is_array() || cmd->empty()) {
    return field_error("command", "expected a non-empty array of strings (argv)");
  }
  for (const auto& arg : *cmd) {
    if (!arg.is_string()) {
      return field_error("command", "expected a non-empty array of strings (argv)");
    }
    f->command.push_back(arg.get<std::string>());
    if (f->command.back().find('\0') != std::string::npos) {
      return field_error("command", "an argument holds a NUL byte (exec would cut it there)");
    }
  }
  if (f->command[0].empty()) {
    return field_error("command", "the program name is empty");
  }
  return {};
}

Status read_function_strings(const json& j, Function* f) {
  if (auto env = j.find("env"); env != j.end() && !env->is_null()) {
    if (!env->is_object()) {
      return field_error("env", "expected an object of strings");
    }
    for (const auto& [k, v] : env->items()) {
      if (!v.is_string() || k.empty() ||
          k.find_first_of(std::string_view("=\0", 2)) != std::string::npos ||
          v.get<std::string>().find('\0') != std::string::npos) {
        return field_error(
            "env." + k, "expected a string value and a name without '=', neither with a NUL byte");
      }
      f->env[k] = v.get<std::string>();
    }
  }
  std::optional<std::string> workdir;
  FNQ_TRY(read_string(j, "workdir", &workdir));
  f->workdir = workdir.value_or("");
  if (f->workdir.find('\0') != std::string::npos) {
    return field_error("workdir", "holds a NUL byte");
  }
  FNQ_TRY(read_string(j, "callback_url", &f->callback_url));
  if (f->callback_url && f->callback_url->rfind("http", 0) != 0) {
    return field_error("callback_url", "expected an http:// or https:// URL");
  }
  return {};
}

// Brings the ranged fields of a definition stored before the ranges held
// into them: a huge timeout becomes the longest one, not a refusal to load.
json clamp_stored_ranges(json j) {
  for (const char* field : {"exec_timeout", "write_timeout", "kill_grace", "retry_backoff"}) {
    auto it = j.find(field);
    if (it != j.end() && it->is_string()) {
      if (auto ms = parse_duration_ms(it->get<std::string>())) {
        *it = format_duration(Millis(std::min<std::uint64_t>(*ms, k_max_duration.count())));
      }
    }
  }
  if (auto it = j.find("max_output"); it != j.end() && it->is_string()) {
    if (auto bytes = parse_size_bytes(it->get<std::string>())) {
      *it = format_size(std::min(*bytes, k_max_size));
    }
  }
  for (auto [field, range] : {std::pair{"concurrency", k_concurrency_range},
                              std::pair{"max_retries", k_max_retries_range}}) {
    auto it = j.find(field);
    if (it != j.end() && it->is_number_integer()) {
      *it = it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t(range.max)
                ? range.max
                : std::clamp(it->get<std::int64_t>(), range.min, range.max);
    }
  }
  return j;
}

// A definition stored before NUL bytes were refused: each string is cut at
// its first NUL, as exec and the environment cut it when the call ran.
json cut_stored_nuls(json j) {
  auto cut = [](json& value) {
    if (value.is_string()) {
      std::string s = value.get<std::string>();
      if (auto nul = s.find('\0'); nul != std::string::npos) {
        value = s.substr(0, nul);
      }
    }
  };
  if (auto cmd = j.find("command"); cmd != j.end() && cmd->is_array()) {
    for (auto& arg : *cmd) {
      cut(arg);
    }
  }
  if (auto env = j.find("env"); env != j.end() && env->is_object()) {
    json kept = json::object();
    for (auto& [k, v] : env->items()) {
      json value = v;
      cut(value);
      kept[k.substr(0, k.find('\0'))] = value;
    }
    *env = kept;
  }
  if (auto workdir = j.find("workdir"); workdir != j.end()) {
    cut(*workdir);
  }
  return j;
}

}  // namespace

Result<Function> function_from_json(const json& j) {
  if (!j.is_object()) {
    return make_error(ErrorKind::invalid_input, "a function definition must be a JSON object");
  }
  FNQ_TRY(check_known_fields(
      j, {"name", "command", "env", "workdir", "exec_timeout", "write_timeout", "kill_grace",
          "concurrency", "max_retries", "retry_backoff", "max_output", "callback_url"}));
  Function f;
  std::optional<std::string> name;
  FNQ_TRY(read_function_name(j, "name", &name));
  if (!name) {
    return field_error("name", "required, a string");
  }
  f.name = *name;
  FNQ_TRY(read_function_command(j, &f));
  FNQ_TRY(read_function_strings(j, &f));
  FNQ_TRY(read_duration(j, "exec_timeout", &f.exec_timeout));
  FNQ_TRY(read_duration(j, "write_timeout", &f.write_timeout));
  FNQ_TRY(read_duration(j, "kill_grace", &f.kill_grace));
  FNQ_TRY(read_duration(j, "retry_backoff", &f.retry_backoff));
  FNQ_TRY(read_int(j, "concurrency", k_concurrency_range, &f.concurrency));
  FNQ_TRY(read_int(j, "max_retries", k_max_retries_range, &f.max_retries));
  FNQ_TRY(read_size(j, "max_output", &f.max_output));
  return f;
}

Result<Function> stored_function_from_json(const json& j) {
  return function_from_json(j.is_object() ? cut_stored_nuls(clamp_stored_ranges(j)) : j);
}

json to_json(const Function& f) {
  json j = {{"name", f.name}, {"command", f.command}};
  j["env"] = f.env.empty() ? json::object() : json(f.env);
  j["workdir"] = f.workdir.empty() ? json(nullptr) : json(f.workdir);
  auto dur = [](const std::optional<Millis>& d) {
    return d ? json(format_duration(*d)) : json(nullptr);
  };
  j["exec_timeout"] = dur(f.exec_timeout);
  j["write_timeout"] = dur(f.write_timeout);
  j["kill_grace"] = dur(f.kill_grace);
  j["concurrency"] = f.concurrency ? json(*f.concurrency) : json(nullptr);
  j["max_retries"] = f.max_retries ? json(*f.max_retries) : json(nullptr);
  j["retry_backoff"] = dur(f.retry_backoff);
  j["max_output"] = f.max_output ? json(format_size(*f.max_output)) : json(nullptr);
  j["callback_url"] = f.callback_url ? json(*f.callback_url) : json(nullptr);
  return j;
}

json to_json(const RequestInfo& r) {
  json headers = json::array();
  for (const auto& [k, v] : r.headers) {
    headers.push_back(json::array({k, v}));
  }
  return {{"method", r.method}, {"path", r.path}, {"query", r.query}, {"headers", headers}};
}

RequestInfo request_info_from_json(const json& j) {
  RequestInfo r;
  if (!j.is_object()) {
    return r;
  }
  // As lenient as with the headers: a field of another type keeps its
  // default (json::value would throw for it).
  auto text = [&j](const char* field, const char* fallback) {
    auto v = j.find(field);
    return v != j.end() && v->is_string() ? v->get<std::string>() : std::string(fallback);
  };
  r.method = text("method", "POST");
  r.path = text("path", "");
  r.query = text("query", "");
  if (auto h = j.find("headers"); h != j.end() && h->is_array()) {
    for (const auto& pair : *h) {
      if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
        r.headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
      }
    }
  }
  return r;
}

std::optional<std::int64_t> duration_ms(const Call& c) {
  if (!c.started_at || !c.finished_at) {
    return std::nullopt;
  }
  return *c.finished_at - *c.started_at;
}

namespace {
template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
json opt_time(const std::optional<std::int64_t>& v) {
  return v ? json(format_time(*v)) : json(nullptr);
}

json attempt_json(const AttemptRecord& a) {
  return json{{"attempt", a.attempt},
              {"started_at", opt_time(a.started_at)},
              {"finished_at", opt_time(a.finished_at)},
              {"state", to_string(a.state)},
              {"exit_code", opt(a.exit_code)},
              {"signal", opt(a.signal)},
              {"error", opt(a.error)}};
}
}  // namespace

json to_json(const Call& c) {
  json j = {
      {"id", c.id},
      {"function", c.function},
      {"state", to_string(c.state)},
      {"attempt", c.attempt},
      {"max_retries", c.max_retries},
      {"exit_code", opt(c.exit_code)},
      {"signal", opt(c.signal)},
      {"error", opt(c.error)},
      {"priority", c.priority},
      {"sync", c.sync},
      {"key", opt(c.key)},
      {"needs", c.needs},
      {"input_from", opt(c.input_from)},
      {"created_at", format_time(c.created_at)},
      {"run_at", format_time(c.run_at)},
      {"started_at", opt_time(c.started_at)},
      {"finished_at", opt_time(c.finished_at)},
      {"duration_ms", opt(duration_ms(c))},
      {"exec_timeout", c.exec_timeout ? json(format_duration(*c.exec_timeout)) : json(nullptr)},
      {"input_size", c.input_size},
      {"output_size", c.output_size},
      {"output_truncated", c.output_truncated},
      {"pipeline", opt(c.pipeline)},
      {"stage", opt(c.stage)},
  };
  if (c.callback) {
    j["callback"] = {{"url", c.callback->url},
                     {"state", c.callback->state},
                     {"attempts", c.callback->attempts},
                     {"last_status", opt(c.callback->last_status)}};
  } else {
    j["callback"] = nullptr;
  }
  if (!c.attempts.empty()) {
    json& list = j["attempts"] = json::array();
    for (const AttemptRecord& a : c.attempts) {
      list.push_back(attempt_json(a));
    }
  }
  return j;
}

namespace {

// The daemon's answers are read leniently: a field that is missing, of
// another type or out of range (as an older fnqd could have sent) reads as
// absent, never as an error or an exception.
std::optional<int> loose_int(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<std::uint64_t>() > INT32_MAX)) {
    return std::nullopt;
  }
  std::int64_t v = it->get<std::int64_t>();
  return v >= INT32_MIN && v <= INT32_MAX ? std::optional<int>(static_cast<int>(v)) : std::nullopt;
}

std::optional<std::uint64_t> loose_count(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer() ||
      (!it->is_number_unsigned() && it->get<std::int64_t>() < 0)) {
    return std::nullopt;
  }
  return it->get<std::uint64_t>();
}

template <class T>
std::optional<T> loose(const json& j, const char* field) {
  auto it = j.find(field);
  bool fits = it != j.end() && (std::is_same_v<T, bool> ? it->is_boolean() : it->is_string());
  return fits ? std::optional<T>(it->get<T>()) : std::nullopt;
}

std::optional<std::int64_t> loose_time(const json& j, const char* field) {
  auto text = loose<std::string>(j, field);
  auto t = text ? parse_time(*text) : Result<std::int64_t>(Error{});
  return t ? std::optional<std::int64_t>(*t) : std::nullopt;
}

std::vector<std::string> loose_strings(const json& j, const char* field) {
  std::vector<std::string> out;
  if (auto it = j.find(field); it != j.end() && it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) {
        out.push_back(v.get<std::string>());
      }
    }
  }
  return out;
}

std::vector<AttemptRecord> loose_attempts(const json& j) {
  std::vector<AttemptRecord> out;
  auto it = j.find("attempts");
  if (it == j.end() || !it->is_array()) {
    return out;
  }
  for (const json& a : *it) {
    const auto state = a.is_object() ? loose<std::string>(a, "state") : std::nullopt;
    const auto parsed = state ? parse_call_state(*state) : std::nullopt;
    if (!parsed) {
      continue;
    }
    AttemptRecord r;
    r.attempt = loose_int(a, "attempt").value_or(0);
    r.started_at = loose_time(a, "started_at");
    r.finished_at = loose_time(a, "finished_at");
    r.state = *parsed;
    r.exit_code = loose_int(a, "exit_code");
    r.signal = loose_int(a, "signal");
    r.error = loose<std::string>(a, "error");
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<CallbackInfo> loose_callback(const json& j) {
  auto cb = j.find("callback");
  if (cb == j.end() || !cb->is_object()) {
    return std::nullopt;
  }
  CallbackInfo info;
  info.url = loose<std::string>(*cb, "url").value_or("");
  info.state = loose<std::string>(*cb, "state").value_or("pending");
  info.attempts = loose_int(*cb, "attempts").value_or(0);
  info.last_status = loose_int(*cb, "last_status");
  return info;
}

}  // namespace

Result<Call> call_from_json(const json& j) {
  auto id = j.is_object() ? loose<std::string>(j, "id") : std::nullopt;
  auto state_name = j.is_object() ? loose<std::string>(j, "state") : std::nullopt;
  if (!id || !state_name) {
    return make_error(ErrorKind::invalid_input, "not a call object");
  }
  auto state = parse_call_state(*state_name);
  if (!state) {
    return field_error("state", "unknown state '" + state_name->substr(0, 40) + "'");
  }
  Call c;
  c.id = *id;
  c.function = loose<std::string>(j, "function").value_or("");
  c.state = *state;
  c.attempt = loose_int(j, "attempt").value_or(0);
  c.max_retries = loose_int(j, "max_retries").value_or(0);
  c.exit_code = loose_int(j, "exit_code");
  c.signal = loose_int(j, "signal");
  c.error = loose<std::string>(j, "error");
  c.priority = loose_int(j, "priority").value_or(0);
  c.sync = loose<bool>(j, "sync").value_or(false);
  c.key = loose<std::string>(j, "key");
  c.needs = loose_strings(j, "needs");
  c.input_from = loose<std::string>(j, "input_from");
  c.created_at = loose_time(j, "created_at").value_or(0);
  c.run_at = loose_time(j, "run_at").value_or(0);
  c.started_at = loose_time(j, "started_at");
  c.finished_at = loose_time(j, "finished_at");
  if (auto et = loose<std::string>(j, "exec_timeout")) {
    if (auto ms = parse_duration_ms(*et)) {
      c.exec_timeout = Millis(std::min<std::uint64_t>(*ms, k_max_duration.count()));
    }
  }
  c.input_size = loose_count(j, "input_size").value_or(0);
  c.output_size = loose_count(j, "output_size").value_or(0);
  c.output_truncated = loose<bool>(j, "output_truncated").value_or(false);
  c.callback = loose_callback(j);
  c.pipeline = loose<std::string>(j, "pipeline");
  c.stage = loose<std::string>(j, "stage");
  c.attempts = loose_attempts(j);
  return c;
}

}  // namespace fnq
