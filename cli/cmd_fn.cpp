// fnq fn add, fn ls, fn show, fn rm: manage functions.
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace fnq::cli {

namespace {

std::string function_path(const std::string& name) { return "/v1/functions/" + name; }

// The duration and size options of fn add, into `f`.
std::optional<Failure> read_limits(const FnAddOptions& o, Function& f) {
  struct DurationField {
    const char* option;
    const std::optional<std::string>* text;
    std::optional<Millis>* out;
  };
  for (const auto& d : {DurationField{"--exec-timeout", &o.exec_timeout, &f.exec_timeout},
                        DurationField{"--write-timeout", &o.write_timeout, &f.write_timeout},
                        DurationField{"--kill-grace", &o.kill_grace, &f.kill_grace},
                        DurationField{"--retry-backoff", &o.retry_backoff, &f.retry_backoff}}) {
    auto value = parse_duration_option(d.option, *d.text);
    if (!value.ok()) {
      return value.failure();
    }
    *d.out = *value;
  }
  auto size = parse_size_option("--max-output", o.max_output);
  if (!size.ok()) {
    return size.failure();
  }
  f.max_output = *size;
  if (auto bad = check_int_option("--concurrency", o.concurrency, k_concurrency_range)) {
    return bad;
  }
  return check_int_option("--retries", o.retries, k_max_retries_range);
}

std::string json_text(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    return "-";
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (std::string(field) == "exec_timeout" && it->is_number_integer()) {
    return format_duration(Millis(it->get<std::int64_t>()));
  }
  return it->dump();
}

std::string command_text(const json& fn) {
  std::vector<std::string> argv;
  for (const auto& arg : fn.value("command", json::array())) {
    argv.push_back(arg.is_string() ? arg.get<std::string>() : arg.dump());
  }
  return shell_join(argv);
}

}  // namespace

CLI::App* add_fn_command(CLI::App& app) {
  auto* fn = app.add_subcommand("fn", "Manage functions: add, apply, ls, show, rm");
  fn->require_subcommand(1);
  fn->footer("Example:\n  fnq fn add resize -- convert - -resize 50% png:-");
  return fn;
}

CLI::App* add_fn_add_command(CLI::App& fn, FnAddOptions& o) {
  auto* cmd = fn.add_subcommand("add", "Register a function, or replace its whole definition");
  cmd->add_option("name", o.name, "Function name: [a-z0-9][a-z0-9_.-]{0,63}")
      ->required()
      ->type_name("NAME");
  cmd->add_option("command", o.command,
                  "After '--': the argv to run (no shell unless you write one)")
      ->required()
      ->type_name("COMMAND");
  cmd->add_option("--env", o.env, "Environment variable for the command; repeatable")
      ->allow_extra_args(false)
      ->type_name("KEY=VALUE");
  cmd->add_option("--workdir", o.workdir, "Working directory")->type_name("DIR");
  cmd->add_option("--exec-timeout", o.exec_timeout, "Time limit of one attempt (0: none)")
      ->type_name("D");
  cmd->add_option("--write-timeout", o.write_timeout,
                  "How long a sync call (/function/NAME) waits for the result")
      ->type_name("D");
  cmd->add_option("--kill-grace", o.kill_grace, "From SIGTERM to SIGKILL")->type_name("D");
  cmd->add_option("--concurrency", o.concurrency, "Calls of it running at once (0: no limit)")
      ->type_name("N");
  cmd->add_option("--retries", o.retries, "Retries after a failed or timed-out attempt")
      ->type_name("N");
  cmd->add_option("--retry-backoff", o.retry_backoff, "First retry delay, doubled each time")
      ->type_name("D");
  cmd->add_option("--max-output", o.max_output, "Cap of the stored stdout (e.g. 4MiB)")
      ->type_name("SIZE");
  cmd->add_option("--callback", o.callback, "POST each result to URL")->type_name("URL");
  cmd->footer(
      "Unset options fall back to fnqd's defaults. Replacing a definition affects calls\n"
      "that start afterwards. Says \"created\" or \"updated\" on stderr; --json prints it.\n\n"
      "Example:\n"
      "  fnq fn add resize --concurrency 2 --exec-timeout 30s -- convert - -resize 50% png:-");
  return cmd;
}

CLI::App* add_fn_ls_command(CLI::App& fn) {
  auto* cmd = fn.add_subcommand("ls", "List functions");
  cmd->footer(
      "Columns: NAME, COMMAND, CONCURRENCY, TIMEOUT (exec_timeout); - is fnqd's default.\n"
      "With --json, prints {\"functions\": [definition, ...]}.\n\n"
      "Example:\n"
      "  fnq fn ls");
  return cmd;
}

CLI::App* add_fn_show_command(CLI::App& fn, FnNameOptions& o) {
  auto* cmd = fn.add_subcommand("show", "Print a function's definition as JSON");
  cmd->add_option("name", o.name, "Function name")->required()->type_name("NAME");
  cmd->footer(
      "Prints JSON, with or without --json; it is valid input for 'fnq fn apply -f'.\n\n"
      "Example:\n"
      "  fnq fn show resize > resize.json");
  return cmd;
}

CLI::App* add_fn_rm_command(CLI::App& fn, FnNameOptions& o) {
  auto* cmd = fn.add_subcommand("rm", "Delete a function");
  cmd->add_option("name", o.name, "Function name")->required()->type_name("NAME");
  cmd->add_flag("--force", o.force, "Also cancel its unfinished calls (else refused: exit 1)");
  cmd->footer(
      "With --json, prints {\"deleted\": NAME, \"cancelled\": [id, ...]}.\n\n"
      "Example:\n"
      "  fnq fn rm resize --force");
  return cmd;
}

Checked<Function> build_function(const FnAddOptions& o) {
  if (auto bad = check_function_name(o.name)) {
    return *bad;
  }
  Function f;
  f.name = o.name;
  f.command = o.command;
  auto env = parse_env(o.env);
  if (!env.ok()) {
    return env.failure();
  }
  f.env = *env;
  f.workdir = o.workdir.value_or("");
  if (auto bad = read_limits(o, f)) {
    return *bad;
  }
  f.concurrency = o.concurrency;
  f.max_retries = o.retries;
  f.callback_url = o.callback;
  // The daemon's own rules, checked here so nothing half-valid is sent.
  auto checked = function_from_json(to_json(f));
  if (!checked.ok()) {
    return Failure{k_exit_bad_input, "invalid function '" + o.name + "'", checked.error().message,
                   ""};
  }
  return f;
}

Checked<json> put_function(Context& ctx, const Function& f, Outcome& outcome) {
  auto reply =
      ctx.fetch_json(ApiRequest{"PUT", function_path(f.name), to_json(f), k_request_timeout},
                     "cannot save function '" + f.name + "'", Subject::function);
  if (!reply.ok()) {
    return reply.failure();
  }
  outcome.notes.push_back("function '" + f.name + "' " +
                          (reply->status == 201 ? "created" : "updated"));
  return std::move(reply->body);
}

Outcome run_fn_add(Context& ctx, const FnAddOptions& o) {
  auto f = build_function(o);
  if (!f.ok()) {
    return f.failure();
  }
  Outcome outcome;
  auto saved = put_function(ctx, *f, outcome);
  if (!saved.ok()) {
    return saved.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), *saved);
  }
  return outcome;
}

Outcome run_fn_ls(Context& ctx) {
  auto reply = ctx.fetch_json(ApiRequest{"GET", "/v1/functions", {}, k_request_timeout},
                              "cannot list functions", Subject::other);
  if (!reply.ok()) {
    return reply.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), reply->body);
    return {};
  }
  Table table({"NAME", "COMMAND", "CONCURRENCY", "TIMEOUT"}, ctx.terminal().color);
  for (const auto& fn : reply->body.at("functions")) {
    table.add_row({Cell{json_text(fn, "name"), ""}, Cell{command_text(fn), ""},
                   Cell{json_text(fn, "concurrency"), ""},
                   Cell{json_text(fn, "exec_timeout"), ""}});
  }
  ctx.out() << table.render();
  return {};
}

Outcome run_fn_show(Context& ctx, const FnNameOptions& o) {
  if (auto bad = check_function_name(o.name)) {
    return *bad;
  }
  auto reply = ctx.fetch_json(ApiRequest{"GET", function_path(o.name), {}, k_request_timeout},
                              "cannot show function '" + o.name + "'", Subject::function);
  if (!reply.ok()) {
    return reply.failure();
  }
  write_json(ctx.out(), reply->body);
  return {};
}

Outcome run_fn_rm(Context& ctx, const FnNameOptions& o) {
  if (auto bad = check_function_name(o.name)) {
    return *bad;
  }
  std::string path = function_path(o.name) + (o.force ? "?force=true" : "");
  auto reply = ctx.fetch_json(ApiRequest{"DELETE", path, {}, k_request_timeout},
                              "cannot delete function '" + o.name + "'", Subject::function);
  if (!reply.ok()) {
    Failure f = reply.failure();
    if (f.exit_code == k_exit_failure && !o.force) {
      // The daemon's own hint speaks of the HTTP API; give the CLI's instead.
      auto paren = f.why.rfind(" (");
      if (paren != std::string::npos && !f.why.empty() && f.why.back() == ')') {
        f.why.erase(paren);
      }
      f.hint = "add --force to cancel its unfinished calls and delete it";
    }
    return f;
  }
  if (ctx.json()) {
    write_json(ctx.out(), reply->body);
  }
  Outcome outcome;
  std::size_t cancelled = reply->body.value("cancelled", json::array()).size();
  outcome.notes.push_back("function '" + o.name + "' deleted" +
                          (cancelled > 0
                               ? "; " + std::to_string(cancelled) + " unfinished calls cancelled"
                               : std::string()));
  return outcome;
}

}  // namespace fnq::cli
