// fnq status, fnq list, fnq output, fnq logs: look at calls.
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/text.h"
#include "common/encoding.h"
#include "common/timeutil.h"

namespace fnq::cli {

namespace {

Checked<Call> parse_call(const json& j) {
  auto call = call_from_json(j);
  if (!call.ok()) {
    return Failure{k_exit_failure, "unexpected answer from fnqd", call.error().message, ""};
  }
  return std::move(*call);
}

std::vector<Cell> status_row(const Call& call, std::int64_t now) {
  return {Cell{call.id, ""}, Cell{call.function, ""},
          Cell{to_string(call.state), state_color(call.state)}, Cell{call_exit_text(call), ""},
          Cell{call_duration_text(call, now), ""}};
}

// With --json: {"id": full id, "<key>": text} for UTF-8, else "<key>_base64",
// as /v1/await does for outputs.
Outcome write_raw_json(Context& ctx, const std::string& id, const std::string& bytes,
                       const char* key) {
  auto call = ctx.fetch_json(ApiRequest{"GET", "/v1/calls/" + id, {}, k_request_timeout},
                             "cannot get call " + id, Subject::call);
  if (!call.ok()) {
    return call.failure();
  }
  json answer = {{"id", call->body.value("id", id)}};
  if (is_valid_utf8(bytes)) {
    answer[key] = bytes;
  } else {
    answer[std::string(key) + "_base64"] = base64_encode(bytes);
  }
  write_json(ctx.out(), answer);
  return {};
}

Outcome write_raw(Context& ctx, const CallIdOptions& o, const char* what, const char* part,
                  const char* json_key) {
  auto id = check_call_id(o.id);
  if (!id.ok()) {
    return id.failure();
  }
  auto bytes =
      ctx.fetch_raw(ApiRequest{"GET", "/v1/calls/" + *id + "/" + part, {}, k_request_timeout},
                    std::string("cannot get the ") + what + " of call " + *id, Subject::call);
  if (!bytes.ok()) {
    return bytes.failure();
  }
  if (ctx.json()) {
    return write_raw_json(ctx, *id, *bytes, json_key);
  }
  ctx.out().write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  return {};
}

// The same list command, one page further.
std::string next_page_command(const ListOptions& o, const std::string& before) {
  std::string cmd = "fnq list";
  if (o.state) {
    cmd += " --state " + *o.state;
  }
  if (o.function) {
    cmd += " --function " + shell_join({*o.function});
  }
  if (o.limit) {
    cmd += " --limit " + std::to_string(*o.limit);
  }
  return cmd + " --before " + before;
}

}  // namespace

CLI::App* add_status_command(CLI::App& app, StatusOptions& o) {
  auto* cmd = app.add_subcommand("status", "Show the state of calls, one line each");
  cmd->add_option("id", o.ids, "Call IDs (or unique prefixes of 8+ characters)")
      ->required()
      ->type_name("ID");
  cmd->footer(
      "Columns: ID, FUNCTION, STATE, EXIT (exit code, sigN if killed, - if none), DURATION.\n"
      "With --json, prints {\"calls\": [call, ...]} (always an array, even for one ID).\n"
      "An unknown ID is reported and the others are still shown (exit 66).\n\n"
      "Example:\n"
      "  fnq status $id");
  return cmd;
}

CLI::App* add_list_command(CLI::App& app, ListOptions& o) {
  auto* cmd = app.add_subcommand("list", "List calls, newest first");
  cmd->add_option("--state", o.state,
                  "Only calls in STATE: waiting, queued, running, succeeded, failed, "
                  "timed_out, cancelled, skipped")
      ->type_name("STATE");
  cmd->add_option("--function", o.function, "Only calls of FN")->type_name("FN");
  cmd->add_option("--pipeline", o.pipeline, "Only the calls (stages) of pipeline ID")
      ->type_name("ID");
  cmd->add_option("--limit", o.limit, "At most N calls, 1 to 1000 (default 50)")->type_name("N");
  cmd->add_option("--before", o.before, "Only calls older than call ID (the next page)")
      ->type_name("ID");
  cmd->footer(
      "Columns: ID, FUNCTION, STATE, EXIT, CREATED (local time), DURATION.\n"
      "With --json, prints the daemon's answer: {\"calls\": [...], \"next_before\": ID or "
      "null}.\n\n"
      "Example:\n"
      "  fnq list --state failed --limit 20");
  return cmd;
}

CLI::App* add_output_command(CLI::App& app, CallIdOptions& o) {
  auto* cmd = app.add_subcommand("output", "Write a call's stdout, as is, without waiting");
  cmd->add_option("id", o.id, "Call ID (or a unique prefix of 8+ characters)")
      ->required()
      ->type_name("ID");
  cmd->footer(
      "Does not wait: a call that has not finished has no output yet ('fnq await' waits).\n"
      "With --json, prints {\"id\": ID, \"output\": text} (\"output_base64\" if not UTF-8).\n\n"
      "Example:\n"
      "  fnq output $id > small.png");
  return cmd;
}

CLI::App* add_logs_command(CLI::App& app, CallIdOptions& o) {
  auto* cmd = app.add_subcommand("logs", "Write the end of a call's stderr (its last 64 KiB)");
  cmd->add_option("id", o.id, "Call ID (or a unique prefix of 8+ characters)")
      ->required()
      ->type_name("ID");
  cmd->footer(
      "With --json, prints {\"id\": ID, \"stderr\": text} (\"stderr_base64\" if not UTF-8).\n\n"
      "Example:\n"
      "  fnq logs $id");
  return cmd;
}

Outcome run_status(Context& ctx, const StatusOptions& o) {
  auto ids = check_call_ids(o.ids);
  if (!ids.ok()) {
    return ids.failure();
  }
  Outcome outcome;
  json calls = json::array();
  Table table({}, ctx.terminal().color);
  std::int64_t now = now_ms();
  for (const auto& id : *ids) {
    auto reply = ctx.fetch_json(ApiRequest{"GET", "/v1/calls/" + id, {}, k_request_timeout},
                                "cannot get call " + id, Subject::call);
    if (!reply.ok()) {
      outcome.add(reply.failure());
      if (reply.failure().exit_code == k_exit_no_input) {
        continue;  // an unknown ID does not hide the others
      }
      return outcome;
    }
    auto call = parse_call(reply->body);
    if (!call.ok()) {
      return call.failure();
    }
    table.add_row(status_row(*call, now));
    calls.push_back(std::move(reply->body));
  }
  if (ctx.json()) {
    write_json(ctx.out(), json{{"calls", calls}});
  } else {
    ctx.out() << table.render();
  }
  return outcome;
}

Checked<std::string> list_path(const ListOptions& o) {
  std::string query;
  auto add = [&](const char* name, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + url_encode(value);
  };
  if (o.state) {
    if (!parse_call_state(*o.state)) {
      return usage_failure("--state", "unknown state '" + *o.state + "'",
                           "use waiting, queued, running, succeeded, failed, timed_out, "
                           "cancelled or skipped");
    }
    add("state", *o.state);
  }
  if (o.function) {
    add("function", *o.function);
  }
  if (o.pipeline) {
    add("pipeline", *o.pipeline);
  }
  if (o.limit) {
    if (auto bad = check_int_option("--limit", o.limit, k_list_limit_range)) {
      return *bad;
    }
    add("limit", std::to_string(*o.limit));
  }
  if (o.before) {
    auto id = check_call_id(*o.before);
    if (!id.ok()) {
      return id.failure();
    }
    add("before", *id);
  }
  return "/v1/calls" + query;
}

Outcome run_list(Context& ctx, const ListOptions& o) {
  auto path = list_path(o);
  if (!path.ok()) {
    return path.failure();
  }
  auto reply = ctx.fetch_json(ApiRequest{"GET", *path, {}, k_request_timeout}, "cannot list calls",
                              Subject::other);
  if (!reply.ok()) {
    return reply.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), reply->body);
    return {};
  }
  Table table({"ID", "FUNCTION", "STATE", "EXIT", "CREATED", "DURATION"}, ctx.terminal().color);
  std::int64_t now = now_ms();
  for (const auto& j : reply->body.at("calls")) {
    auto call = parse_call(j);
    if (!call.ok()) {
      return call.failure();
    }
    auto row = status_row(*call, now);
    row.insert(row.begin() + 4, Cell{format_local_time(call->created_at), ""});
    table.add_row(std::move(row));
  }
  ctx.out() << table.render();
  Outcome outcome;
  auto next = reply->body.find("next_before");
  if (ctx.terminal().stderr_tty && next != reply->body.end() && next->is_string()) {
    outcome.notes.push_back("more: " + next_page_command(o, next->get<std::string>()));
  }
  return outcome;
}

Outcome run_output(Context& ctx, const CallIdOptions& o) {
  return write_raw(ctx, o, "output", "output", "output");
}

Outcome run_logs(Context& ctx, const CallIdOptions& o) {
  return write_raw(ctx, o, "stderr", "stderr", "stderr");
}

}  // namespace fnq::cli
