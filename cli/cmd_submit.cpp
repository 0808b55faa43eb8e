// fnq submit, fnq invoke: queue a call (or a batch); run one and wait.
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/timeutil.h"

namespace fnq::cli {

namespace {

void add_call_options(CLI::App& cmd, SubmitOptions& o) {
  cmd.add_option("function", o.function, "The function to call")->required()->type_name("FN");
  auto* data =
      cmd.add_option("-d,--data", o.input.data, "The input, given inline")->type_name("DATA");
  auto* file = cmd.add_option("-f,--file", o.input.file, "Read the input from FILE ('-': stdin)")
                   ->type_name("FILE");
  data->excludes(file);
  cmd.add_option("--needs", o.needs,
                 "Run only after call ID succeeded; repeatable or comma-separated")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("ID");
  cmd.add_option("--input-from", o.input_from,
                 "Use the output of call ID as the input (implies --needs ID)")
      ->type_name("ID");
  auto* delay = cmd.add_option("--delay", o.delay, "Run no earlier than D from now (30s, 5m, 2h)")
                    ->type_name("D");
  auto* at = cmd.add_option("--at", o.at,
                            "Run no earlier than TIME: RFC 3339, or local 'YYYY-MM-DD HH:MM[:SS]'")
                 ->type_name("TIME");
  delay->excludes(at);
  cmd.add_option("--priority", o.priority, "Higher runs first; default 0")->type_name("N");
  cmd.add_option("--key", o.key,
                 "Idempotency key: while a call of FN with key K exists, return it instead")
      ->type_name("K");
  cmd.add_option("--callback", o.callback, "POST the result to URL when the call finishes")
      ->type_name("URL");
  cmd.add_option("--timeout", o.timeout, "Time limit of one attempt (the call's exec_timeout)")
      ->type_name("D");
  cmd.add_option("--retries", o.retries, "Retries after a failed or timed-out attempt")
      ->type_name("N");
  cmd.add_option("-H,--header", o.headers,
                 "Header passed to the function as Http_<Name>; repeatable")
      ->allow_extra_args(false)
      ->type_name("'NAME: VALUE'");
}

// Options that need parsing or checking, into `request`.
std::optional<Failure> add_checked_fields(const SubmitOptions& o, json& request) {
  if (!o.needs.empty()) {
    auto needs = check_call_ids(o.needs);
    if (!needs.ok()) {
      return needs.failure();
    }
    request["needs"] = *needs;
  }
  if (o.input_from) {
    auto id = check_call_id(*o.input_from);
    if (!id.ok()) {
      return id.failure();
    }
    request["input_from"] = *id;
  }
  auto delay = parse_duration_option("--delay", o.delay);
  if (!delay.ok()) {
    return delay.failure();
  }
  if (*delay) {
    request["delay"] = format_duration(**delay);
  }
  if (o.at) {
    auto t = parse_at_option("--at", *o.at, now_ms());
    if (!t.ok()) {
      return t.failure();
    }
    request["run_at"] = format_time(*t);
  }
  auto timeout = parse_duration_option("--timeout", o.timeout);
  if (!timeout.ok()) {
    return timeout.failure();
  }
  if (*timeout) {
    request["exec_timeout"] = format_duration(**timeout);
  }
  auto headers = parse_headers(o.headers);
  if (!headers.ok()) {
    return headers.failure();
  }
  if (!headers->empty()) {
    request["headers"] = *headers;
  }
  return std::nullopt;
}

std::optional<Failure> check_combinations(const SubmitOptions& o) {
  bool explicit_input = o.input.data || o.input.file;
  if (o.input_from && explicit_input) {
    return usage_failure("--input-from cannot be combined with -d or -f",
                         "the input comes from the other call");
  }
  if (o.lines && o.input_from) {
    return usage_failure("--lines cannot be combined with --input-from",
                         "--lines makes one call per line of this command's input");
  }
  if (o.lines && o.key) {
    return usage_failure("--lines cannot be combined with --key",
                         "every call of the batch would get the same key",
                         "submit the lines one by one, each with its own key");
  }
  if (auto bad = check_int_option("--retries", o.retries, k_max_retries_range)) {
    return bad;
  }
  return check_int_option("--priority", o.priority, k_priority_range);
}

std::string submit_what(const SubmitOptions& o) {
  return "cannot submit a call of '" + o.function + "'";
}

Outcome submit_lines(Context& ctx, const SubmitOptions& o, const json& base,
                     const std::string& input) {
  json calls = json::array();
  for (const auto& line : split_lines(input)) {
    json request = base;
    set_call_input(request, line);
    calls.push_back(std::move(request));
  }
  if (calls.empty()) {
    return {};  // nothing to do, as xargs -r
  }
  // Without --json only the ids are printed: ask for nothing else (the full
  // calls are ten times the bytes to send and to parse).
  std::string path = ctx.json() ? "/v1/calls" : "/v1/calls?fields=id";
  ApiRequest request{"POST", path, json{{"calls", calls}}, k_request_timeout};
  auto reply = ctx.fetch_json(request, submit_what(o), Subject::submission);
  if (!reply.ok()) {
    return reply.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), reply->body);
    return {};
  }
  for (const auto& call : reply->body.at("calls")) {
    ctx.out() << call.at("id").get<std::string>() << '\n';
  }
  return {};
}

// The request for one call, with its input; a failure when an option is bad.
Checked<json> prepare(Context& ctx, const SubmitOptions& o, std::string* input) {
  auto request = build_call_request(o);
  if (!request.ok()) {
    return request.failure();
  }
  if (!o.input_from) {
    auto bytes = read_input(o.input, ctx.in(), ctx.terminal().stdin_tty);
    if (!bytes.ok()) {
      return bytes.failure();
    }
    *input = std::move(*bytes);
  }
  return request;
}

}  // namespace

CLI::App* add_submit_command(CLI::App& app, SubmitOptions& o) {
  auto* cmd = app.add_subcommand("submit", "Queue a call of a function and print its ID");
  add_call_options(*cmd, o);
  cmd->add_flag("--lines", o.lines,
                "One call per non-empty input line (the line and its newline are the input); "
                "one request; prints one ID per line, in order");
  cmd->footer(
      "The input is -d DATA, else -f FILE, else stdin when it is not a terminal, else empty.\n"
      "In a loop that reads stdin, give -d '' (or </dev/null) so submit does not eat it.\n"
      "Prints the ID; with --json, the call (with --lines, {\"calls\": [...]}).\n\n"
      "Example:\n"
      "  id=$(fnq submit resize -f photo.png --retries 2)");
  return cmd;
}

CLI::App* add_invoke_command(CLI::App& app, SubmitOptions& o) {
  auto* cmd = app.add_subcommand(
      "invoke", "Run a call ahead of queued calls, wait for it and write its output");
  add_call_options(*cmd, o);
  cmd->footer(
      "Exit status as 'fnq await'. Interrupting fnq does not cancel the call.\n"
      "With --json, prints {\"done\": ..., \"calls\": [call with its output]}.\n\n"
      "Example:\n"
      "  fnq invoke resize -f photo.png > small.png");
  return cmd;
}

Checked<json> build_call_request(const SubmitOptions& o) {
  if (auto bad = check_function_name(o.function)) {
    return *bad;
  }
  if (auto bad = check_combinations(o)) {
    return *bad;
  }
  json request = {{"function", o.function}};
  if (auto bad = add_checked_fields(o, request)) {
    return *bad;
  }
  if (o.priority) {
    request["priority"] = *o.priority;
  }
  if (o.key) {
    request["key"] = *o.key;
  }
  if (o.callback) {
    request["callback_url"] = *o.callback;
  }
  if (o.retries) {
    request["max_retries"] = *o.retries;
  }
  return request;
}

Outcome run_submit(Context& ctx, const SubmitOptions& o) {
  std::string input;
  auto request = prepare(ctx, o, &input);
  if (!request.ok()) {
    return request.failure();
  }
  if (o.lines) {
    return submit_lines(ctx, o, *request, input);
  }
  set_call_input(*request, input);
  auto reply = ctx.fetch_json(ApiRequest{"POST", "/v1/calls", *request, k_request_timeout},
                              submit_what(o), Subject::submission);
  if (!reply.ok()) {
    return reply.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), reply->body);
  } else {
    ctx.out() << reply->body.at("id").get<std::string>() << '\n';
  }
  return {};
}

Outcome run_invoke(Context& ctx, const SubmitOptions& o) {
  std::string input;
  auto request = prepare(ctx, o, &input);
  if (!request.ok()) {
    return request.failure();
  }
  set_call_input(*request, input);
  (*request)["sync"] = true;
  auto reply = ctx.fetch_json(ApiRequest{"POST", "/v1/calls", *request, k_request_timeout},
                              "cannot invoke '" + o.function + "'", Subject::submission);
  if (!reply.ok()) {
    return reply.failure();
  }
  auto result = wait_for_calls(ctx, {reply->body.at("id").get<std::string>()}, std::nullopt);
  if (!result.ok()) {
    return result.failure();
  }
  return deliver_results(ctx, *result, std::nullopt);
}

}  // namespace fnq::cli
