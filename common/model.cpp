#include "common/model.h"

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
  return state != CallState::waiting && state != CallState::queued &&
         state != CallState::running;
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

Error field_error(const std::string& field, const std::string& why) {
  return make_error(ErrorKind::invalid_input, field + ": " + why);
}

// Reads an optional non-negative int field; null counts as absent.
Status read_count(const json& j, const char* field, std::optional<int>* out) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    return {};
  }
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
      it->get<std::int64_t>() > 1'000'000) {
    return field_error(field, "expected a non-negative integer");
  }
  *out = it->get<int>();
  return {};
}

Status read_duration(const json& j, const char* field, std::optional<Millis>* out) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    return {};
  }
  auto d = duration_from_json(*it, field);
  if (!d) {
    return d.error();
  }
  *out = *d;
  return {};
}

const char* k_function_fields[] = {
    "name",        "command",       "env",           "workdir",    "exec_timeout",
    "write_timeout", "kill_grace",  "concurrency",   "max_retries", "retry_backoff",
    "max_output",  "callback_url",
};

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
      if (!v.is_string() || k.empty() || k.find('=') != std::string::npos) {
        return field_error("env." + k, "expected a string value and a name without '='");
      }
      f->env[k] = v.get<std::string>();
    }
  }
  if (auto wd = j.find("workdir"); wd != j.end() && !wd->is_null()) {
    if (!wd->is_string()) {
      return field_error("workdir", "expected a string");
    }
    f->workdir = wd->get<std::string>();
  }
  if (auto cb = j.find("callback_url"); cb != j.end() && !cb->is_null()) {
    if (!cb->is_string() || cb->get<std::string>().rfind("http", 0) != 0) {
      return field_error("callback_url", "expected an http:// or https:// URL");
    }
    f->callback_url = cb->get<std::string>();
  }
  return {};
}

}  // namespace

Result<Function> function_from_json(const json& j) {
  if (!j.is_object()) {
    return make_error(ErrorKind::invalid_input, "a function definition must be a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const char* f : k_function_fields) {
      known = known || key == f;
    }
    if (!known) {
      return field_error(key, "unknown field");
    }
  }
  Function f;
  auto name = j.find("name");
  if (name == j.end() || !name->is_string()) {
    return field_error("name", "required, a string");
  }
  f.name = name->get<std::string>();
  if (!is_valid_function_name(f.name)) {
    return field_error("name", "invalid function name '" + f.name +
                                   "' (lowercase letters, digits, '_', '.', '-'; "
                                   "starts with a letter or digit; at most 64)");
  }
  FNQ_TRY(read_function_command(j, &f));
  FNQ_TRY(read_function_strings(j, &f));
  FNQ_TRY(read_duration(j, "exec_timeout", &f.exec_timeout));
  FNQ_TRY(read_duration(j, "write_timeout", &f.write_timeout));
  FNQ_TRY(read_duration(j, "kill_grace", &f.kill_grace));
  FNQ_TRY(read_duration(j, "retry_backoff", &f.retry_backoff));
  FNQ_TRY(read_count(j, "concurrency", &f.concurrency));
  FNQ_TRY(read_count(j, "max_retries", &f.max_retries));
  if (auto mo = j.find("max_output"); mo != j.end() && !mo->is_null()) {
    auto s = size_from_json(*mo, "max_output");
    if (!s) {
      return s.error();
    }
    f.max_output = *s;
  }
  return f;
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
  r.method = j.value("method", "POST");
  r.path = j.value("path", "");
  r.query = j.value("query", "");
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
  };
  if (c.callback) {
    j["callback"] = {{"url", c.callback->url},
                     {"state", c.callback->state},
                     {"attempts", c.callback->attempts},
                     {"last_status", opt(c.callback->last_status)}};
  } else {
    j["callback"] = nullptr;
  }
  return j;
}

namespace {

Result<std::optional<std::int64_t>> read_time(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    return std::optional<std::int64_t>();
  }
  if (!it->is_string()) {
    return field_error(field, "expected an RFC 3339 time");
  }
  auto t = parse_time(it->get<std::string>());
  if (!t) {
    return field_error(field, t.error().message);
  }
  return std::optional<std::int64_t>(*t);
}

template <class T>
std::optional<T> read_opt(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    return std::nullopt;
  }
  return it->get<T>();
}

}  // namespace

Result<Call> call_from_json(const json& j) {
  if (!j.is_object() || !j.contains("id") || !j.contains("state")) {
    return make_error(ErrorKind::invalid_input, "not a call object");
  }
  try {
    Call c;
    c.id = j.at("id").get<std::string>();
    c.function = j.value("function", "");
    auto state = parse_call_state(j.at("state").get<std::string>());
    if (!state) {
      return field_error("state", "unknown state");
    }
    c.state = *state;
    c.attempt = j.value("attempt", 0);
    c.max_retries = j.value("max_retries", 0);
    c.exit_code = read_opt<int>(j, "exit_code");
    c.signal = read_opt<int>(j, "signal");
    c.error = read_opt<std::string>(j, "error");
    c.priority = j.value("priority", 0);
    c.sync = j.value("sync", false);
    c.key = read_opt<std::string>(j, "key");
    c.needs = j.value("needs", std::vector<std::string>{});
    c.input_from = read_opt<std::string>(j, "input_from");
    for (auto [field, out] : {std::pair{"created_at", &c.created_at}, {"run_at", &c.run_at}}) {
      auto t = read_time(j, field);
      if (!t) {
        return t.error();
      }
      *out = t->value_or(0);
    }
    auto started = read_time(j, "started_at");
    auto finished = read_time(j, "finished_at");
    if (!started || !finished) {
      return !started ? started.error() : finished.error();
    }
    c.started_at = *started;
    c.finished_at = *finished;
    if (auto et = read_opt<std::string>(j, "exec_timeout")) {
      auto d = parse_duration(*et);
      if (d) {
        c.exec_timeout = *d;
      }
    }
    c.input_size = j.value("input_size", std::uint64_t{0});
    c.output_size = j.value("output_size", std::uint64_t{0});
    c.output_truncated = j.value("output_truncated", false);
    if (auto cb = j.find("callback"); cb != j.end() && cb->is_object()) {
      CallbackInfo info;
      info.url = cb->value("url", "");
      info.state = cb->value("state", "pending");
      info.attempts = cb->value("attempts", 0);
      info.last_status = read_opt<int>(*cb, "last_status");
      c.callback = info;
    }
    return c;
  } catch (const json::exception& e) {
    return make_error(ErrorKind::invalid_input, std::string("malformed call: ") + e.what());
  }
}

}  // namespace fnq
