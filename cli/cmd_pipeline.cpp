// fnq pipeline submit|run|status|cancel|ls: named stages as one request.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/pipeline_file.h"
#include "cli/text.h"
#include "common/ids.h"
#include "common/timeutil.h"

namespace fnq::cli {

namespace {

using Clock = std::chrono::steady_clock;

// How long one GET ?wait= is held: short on a terminal, to redraw progress.
constexpr Millis k_server_chunk = std::chrono::seconds(30);
constexpr Millis k_progress_chunk = std::chrono::seconds(1);
constexpr Millis k_read_margin = std::chrono::seconds(30);

constexpr const char* k_file_help =
    "Pipeline file (YAML or JSON, see fnq-pipeline(5)); - reads it from stdin";

void add_file_options(CLI::App* cmd, PipelineOptions& o) {
  cmd->add_option("file", o.file, k_file_help)->required()->type_name("FILE");
  cmd->add_option("--set", o.sets,
                  "Variable NAME=VALUE for ${NAME} in the name, key and data (repeatable)")
      ->type_name("NAME=VALUE");
  cmd->add_option("--key", o.key, "Idempotency key of the pipeline (overrides the file's)")
      ->type_name("K");
}

Checked<std::string> check_pipeline_id(const std::string& text) {
  auto id = check_call_id(text);
  if (!id.ok() || id->size() != 36) {
    return usage_failure("invalid pipeline id '" + text + "'",
                         "expected the full id printed by 'fnq pipeline submit'",
                         "'fnq pipeline ls' lists them");
  }
  return id;
}

// POST /v1/pipelines with the file's definition.
Checked<json> submit_file(Context& ctx, const PipelineOptions& o) {
  auto sets = parse_set_options(o.sets);
  if (!sets.ok()) {
    return sets.failure();
  }
  VariableLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (auto it = sets->find(name); it != sets->end()) {
      return it->second;
    }
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  auto body = load_pipeline_file(o.file, ctx.in(), lookup);
  if (!body.ok()) {
    return body.failure();
  }
  if (o.key) {
    (*body)["key"] = *o.key;
  }
  auto reply = ctx.fetch_json(ApiRequest{"POST", "/v1/pipelines", std::move(*body)},
                              "cannot submit the pipeline", Subject::submission);
  if (!reply.ok()) {
    return reply.failure();
  }
  return reply->body;
}

Checked<json> get_pipeline(Context& ctx, const std::string& id, Millis wait) {
  std::string path = "/v1/pipelines/" + url_encode(id);
  if (wait.count() > 0) {
    path += "?wait=" + format_duration(wait);
  }
  auto reply = ctx.fetch_json(ApiRequest{"GET", path, {}, wait + k_read_margin},
                              "cannot get pipeline " + id, Subject::call);
  if (!reply.ok()) {
    return reply.failure();
  }
  return reply->body;
}

std::vector<Call> stage_calls(const json& pipeline) {
  std::vector<Call> calls;
  for (const auto& j : pipeline.value("stages", json::array())) {
    if (auto c = call_from_json(j); c.ok()) {
      calls.push_back(std::move(*c));
    }
  }
  return calls;
}

std::string stage_of(const Call& c) { return c.stage.value_or(c.id); }

// "2/4 stages done: parse running"
void show_progress(ProgressLine& progress, const std::vector<Call>& calls) {
  std::size_t done = 0;
  std::size_t failed = 0;
  std::string running;
  for (const Call& c : calls) {
    if (is_terminal(c.state)) {
      ++done;
      failed += c.state != CallState::succeeded ? 1 : 0;
    } else if (c.state == CallState::running) {
      running += (running.empty() ? "running: " : ", ") + stage_of(c);
    }
  }
  progress.show(done, calls.size(), failed,
                running.size() > 60 ? running.substr(0, 57) + "..." : running);
}

// Stages no other stage needs: what `run` writes by default.
std::vector<Call> final_stages(const std::vector<Call>& calls) {
  std::vector<Call> out;
  for (const Call& c : calls) {
    bool needed = std::any_of(calls.begin(), calls.end(), [&](const Call& other) {
      return std::find(other.needs.begin(), other.needs.end(), c.id) != other.needs.end();
    });
    if (!needed) {
      out.push_back(c);
    }
  }
  return out;
}

// The exit code of SPEC §5 for a finished pipeline: the stage that failed
// first, else the first cancelled or skipped one.
int pipeline_exit_code(const json& pipeline, const std::vector<Call>& calls) {
  auto failed = pipeline.find("failed_stage");
  for (const Call& c : calls) {
    if (failed != pipeline.end() && failed->is_string() && stage_of(c) == *failed) {
      return exit_code_for_call(c);
    }
  }
  for (const Call& c : calls) {
    if (c.state != CallState::succeeded) {
      return exit_code_for_call(c);
    }
  }
  return k_exit_ok;
}

std::optional<Failure> write_stage_output(Context& ctx, const Call& c) {
  if (c.output_size == 0) {
    return std::nullopt;
  }
  auto bytes =
      ctx.fetch_raw(ApiRequest{"GET", "/v1/calls/" + c.id + "/output", {}, k_request_timeout},
                    "cannot get the output of stage " + stage_of(c), Subject::call);
  if (!bytes.ok()) {
    return bytes.failure();
  }
  ctx.out().write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  return std::nullopt;
}

Checked<json> wait_for_pipeline(Context& ctx, const std::string& id,
                                std::optional<Millis> timeout) {
  ProgressLine progress(ctx.err(), ctx.terminal().stderr_tty);
  auto start = Clock::now();
  for (;;) {
    Millis chunk = ctx.terminal().stderr_tty ? k_progress_chunk : k_server_chunk;
    if (timeout) {
      auto left = std::chrono::duration_cast<Millis>(start + *timeout - Clock::now());
      chunk = std::max(Millis(0), std::min(chunk, left));
    }
    auto asked_at = Clock::now();
    auto pipeline = get_pipeline(ctx, id, chunk);
    if (!pipeline.ok()) {
      return pipeline.failure();
    }
    bool running = pipeline->value("state", "running") == "running";
    if (!running || (timeout && Clock::now() - start >= *timeout)) {
      progress.clear();
      return pipeline;
    }
    show_progress(progress, stage_calls(*pipeline));
    if (Clock::now() - asked_at < Millis(250)) {
      std::this_thread::sleep_for(Millis(250));  // the daemon answered at once: no hammering
    }
  }
}

void add_stage_notes(const std::vector<Call>& calls, Outcome& outcome) {
  for (const Call& c : calls) {
    if (is_terminal(c.state) && c.state != CallState::succeeded) {
      std::string note = "stage " + stage_of(c) + " (" + c.id + ") " + to_string(c.state);
      if (c.error && *c.error != to_string(c.state)) {
        note += ": " + *c.error;
      }
      outcome.notes.push_back(note);
    }
  }
}

Outcome deliver_pipeline(Context& ctx, const json& pipeline, const PipelineRunOptions& o,
                         std::optional<Millis> timeout) {
  std::vector<Call> calls = stage_calls(pipeline);
  std::string id = pipeline.value("id", "");
  if (pipeline.value("state", "running") == "running") {
    Outcome outcome = Outcome::with_code(k_exit_wait_timeout);
    outcome.add(Failure{k_exit_wait_timeout, "gave up waiting for pipeline " + id,
                        "not finished after " + format_duration(timeout.value_or(Millis(0))),
                        "'fnq pipeline status " + id + "' shows it"});
    return outcome;
  }
  if (ctx.json()) {
    write_json(ctx.out(), pipeline);
  } else {
    std::vector<Call> to_write;
    for (const Call& c : o.output ? calls : final_stages(calls)) {
      if (!o.output || stage_of(c) == *o.output) {
        to_write.push_back(c);
      }
    }
    for (const Call& c : to_write) {
      if (auto bad = write_stage_output(ctx, c)) {
        return *bad;
      }
    }
    ctx.out().flush();
  }
  Outcome outcome = Outcome::with_code(pipeline_exit_code(pipeline, calls));
  add_stage_notes(calls, outcome);
  return outcome;
}

}  // namespace

CLI::App* add_pipeline_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("pipeline", "Submit and follow pipelines: named stages as one");
  cmd->require_subcommand(1);
  cmd->footer(
      "A pipeline is a set of named stages, each a call, submitted at once: checked whole\n"
      "(functions, stage names, needs, cycles) and stored in one transaction, or refused.\n"
      "The file format: fnq-pipeline(5).\n\n"
      "Example:\n"
      "  fnq pipeline run etl.yaml --set day=2026-11-30 > report.txt");
  return cmd;
}

CLI::App* add_pipeline_submit_command(CLI::App& group, PipelineOptions& o) {
  auto* cmd = group.add_subcommand("submit", "Submit a pipeline; print its ID");
  add_file_options(cmd, o);
  cmd->footer(
      "Prints the pipeline's ID. With --json, prints {\"id\": ..., \"stages\": {name: call id}}.\n"
      "${NAME} in the pipeline's name and key and in a stage's data is replaced by --set\n"
      "NAME=VALUE, else by the environment variable NAME (nothing is evaluated by a shell;\n"
      "$${ is a literal ${).\n"
      "An invalid definition is refused whole (exit 65), naming the stage.\n\n"
      "Example:\n"
      "  id=$(fnq pipeline submit etl.yaml --set day=2026-11-30)");
  return cmd;
}

CLI::App* add_pipeline_run_command(CLI::App& group, PipelineRunOptions& o) {
  auto* cmd = group.add_subcommand("run", "Submit a pipeline, wait, write the final outputs");
  add_file_options(cmd, o);
  cmd->add_option("--output", o.output, "Write this stage's output instead of the final ones")
      ->type_name("STAGE");
  cmd->add_option("--timeout", o.timeout, "Give up after D (exit 75); default: wait forever")
      ->type_name("D");
  cmd->footer(
      "Shows the stages' progress on stderr when it is a terminal. Once every stage has\n"
      "finished, writes the outputs of the final stages (those no stage needs), in the\n"
      "order submitted, or of --output STAGE. With --json, prints the pipeline instead.\n"
      "Exit status: 0 if every stage succeeded; else, for the stage that failed first, its\n"
      "exit code, 128+N if killed by signal N, 124 if timed out; 125 if a stage was\n"
      "cancelled or skipped (and none failed); 75 if --timeout passed first.\n\n"
      "Example:\n"
      "  fnq pipeline run etl.yaml > report.txt");
  return cmd;
}

CLI::App* add_pipeline_status_command(CLI::App& group, PipelineIdOptions& o) {
  auto* cmd = group.add_subcommand("status", "Show a pipeline's state and its stages");
  cmd->add_option("id", o.id, "Pipeline ID")->required()->type_name("ID");
  cmd->footer(
      "Prints the pipeline's state (running, succeeded, failed, cancelled; a failed one\n"
      "names the stage that failed first), then one line per stage.\n"
      "With --json, prints the pipeline with each stage's call.\n\n"
      "Example:\n"
      "  fnq pipeline status $id");
  return cmd;
}

CLI::App* add_pipeline_cancel_command(CLI::App& group, PipelineIdOptions& o) {
  auto* cmd = group.add_subcommand("cancel", "Cancel every unfinished stage of a pipeline");
  cmd->add_option("id", o.id, "Pipeline ID")->required()->type_name("ID");
  cmd->footer(
      "Waiting and queued stages end cancelled; running ones get SIGTERM (SIGKILL after\n"
      "kill_grace). Prints \"<stage> <result>\" per stage it cancelled (see 'fnq cancel').\n"
      "With --json, prints {\"results\": {...}, \"pipeline\": ...}.\n\n"
      "Example:\n"
      "  fnq pipeline cancel $id");
  return cmd;
}

CLI::App* add_pipeline_ls_command(CLI::App& group, PipelineListOptions& o) {
  auto* cmd = group.add_subcommand("ls", "List pipelines, newest first");
  cmd->add_option("--limit", o.limit, "At most N, 1 to 1000 (default 50)")->type_name("N");
  cmd->add_option("--before", o.before, "Only pipelines older than this ID (paging)")
      ->type_name("ID");
  cmd->footer(
      "With --json, prints {\"pipelines\": [...], \"next_before\": ID or null}.\n\n"
      "Example:\n"
      "  fnq pipeline ls --limit 10");
  return cmd;
}

Outcome run_pipeline_submit(Context& ctx, const PipelineOptions& o) {
  auto answer = submit_file(ctx, o);
  if (!answer.ok()) {
    return answer.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), *answer);
  } else {
    ctx.out() << answer->value("id", "") << '\n';
  }
  Outcome outcome;
  if (answer->value("existing", false)) {
    outcome.notes.push_back("pipeline " + answer->value("id", "") + " already existed for key '" +
                            answer->value("key", "") + "'");
  }
  return outcome;
}

Outcome run_pipeline_run(Context& ctx, const PipelineRunOptions& o) {
  auto timeout = parse_duration_option("--timeout", o.timeout);
  if (!timeout.ok()) {
    return timeout.failure();
  }
  auto answer = submit_file(ctx, o);
  if (!answer.ok()) {
    return answer.failure();
  }
  const json& stages = answer->at("stages");
  if (o.output && !stages.contains(*o.output)) {
    return usage_failure("--output", "no stage '" + *o.output + "' in the pipeline");
  }
  auto pipeline = wait_for_pipeline(ctx, answer->value("id", ""), *timeout);
  if (!pipeline.ok()) {
    return pipeline.failure();
  }
  return deliver_pipeline(ctx, *pipeline, o, *timeout);
}

Outcome run_pipeline_status(Context& ctx, const PipelineIdOptions& o) {
  auto id = check_pipeline_id(o.id);
  if (!id.ok()) {
    return id.failure();
  }
  auto pipeline = get_pipeline(ctx, *id, Millis(0));
  if (!pipeline.ok()) {
    return pipeline.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), *pipeline);
    return {};
  }
  std::string state = pipeline->value("state", "");
  ctx.out() << "pipeline " << *id << ' ' << state;
  if (auto failed = pipeline->find("failed_stage");
      failed != pipeline->end() && failed->is_string()) {
    ctx.out() << " (stage " << failed->get<std::string>() << " failed)";
  }
  ctx.out() << '\n';
  Table table({"STAGE", "ID", "FUNCTION", "STATE", "EXIT", "DURATION"}, ctx.terminal().color);
  std::int64_t now = now_ms();
  for (const Call& c : stage_calls(*pipeline)) {
    table.add_row({Cell{stage_of(c), ""}, Cell{c.id, ""}, Cell{c.function, ""},
                   Cell{to_string(c.state), state_color(c.state)}, Cell{call_exit_text(c), ""},
                   Cell{call_duration_text(c, now), ""}});
  }
  ctx.out() << table.render();
  return {};
}

Outcome run_pipeline_cancel(Context& ctx, const PipelineIdOptions& o) {
  auto id = check_pipeline_id(o.id);
  if (!id.ok()) {
    return id.failure();
  }
  auto reply = ctx.fetch_json(
      ApiRequest{"POST", "/v1/pipelines/" + *id + "/cancel", json::object(), k_request_timeout},
      "cannot cancel pipeline " + *id, Subject::call);
  if (!reply.ok()) {
    return reply.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), reply->body);
    return {};
  }
  json results = reply->body.value("results", json::object());
  for (const auto& [stage, result] : results.items()) {
    ctx.out() << stage << ' ' << result.get<std::string>() << '\n';
  }
  return {};
}

Outcome run_pipeline_ls(Context& ctx, const PipelineListOptions& o) {
  std::string query;
  if (o.limit) {
    if (auto bad = check_int_option("--limit", o.limit, k_list_limit_range)) {
      return *bad;
    }
    query += "?limit=" + std::to_string(*o.limit);
  }
  if (o.before) {
    auto before = check_pipeline_id(*o.before);
    if (!before.ok()) {
      return before.failure();
    }
    query += (query.empty() ? "?" : "&") + std::string("before=") + *before;
  }
  auto reply = ctx.fetch_json(ApiRequest{"GET", "/v1/pipelines" + query, {}, k_request_timeout},
                              "cannot list pipelines", Subject::other);
  if (!reply.ok()) {
    return reply.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), reply->body);
    return {};
  }
  Table table({"ID", "NAME", "STATE", "STAGES", "CREATED"}, ctx.terminal().color);
  for (const auto& p : reply->body.value("pipelines", json::array())) {
    auto created = parse_time(p.value("created_at", ""));
    table.add_row({Cell{p.value("id", ""), ""},
                   Cell{p["name"].is_string() ? p["name"].get<std::string>() : "-", ""},
                   Cell{p.value("state", ""), ""},
                   Cell{std::to_string(p.value("stage_count", 0)), ""},
                   Cell{created ? format_local_time(*created) : "-", ""}});
  }
  ctx.out() << table.render();
  return {};
}

}  // namespace fnq::cli
