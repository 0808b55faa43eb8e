#pragma once
// Every fnq command: its options, how it is added to the command line, and
// what it does. add_*_command defines a subcommand bound to an options
// struct (tests parse into these); run_* does the work and returns an
// Outcome that run() reports.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.h"
#include "cli/failure.h"
#include "cli/input.h"
#include "common/model.h"

namespace fnq::cli {

// ---- cmd_submit.cpp: submit, invoke

struct SubmitOptions {
  std::string function;
  InputOptions input;
  std::vector<std::string> needs;
  std::optional<std::string> input_from;
  std::optional<std::string> delay;
  std::optional<std::string> at;
  std::optional<int> priority;
  std::optional<std::string> key;
  std::optional<std::string> callback;
  std::optional<std::string> timeout;  // the call's exec_timeout
  std::optional<int> retries;
  std::vector<std::string> headers;
  bool lines = false;  // submit only
};

CLI::App* add_submit_command(CLI::App& app, SubmitOptions& options);
CLI::App* add_invoke_command(CLI::App& app, SubmitOptions& options);
// The POST /v1/calls body for these options, without the input.
Checked<json> build_call_request(const SubmitOptions& options);
Outcome run_submit(Context& ctx, const SubmitOptions& options);
Outcome run_invoke(Context& ctx, const SubmitOptions& options);

// ---- cmd_await.cpp: await, and waiting for invoke

struct AwaitOptions {
  std::vector<std::string> ids;
  std::optional<std::string> timeout;
};

CLI::App* add_await_command(CLI::App& app, AwaitOptions& options);
Outcome run_await(Context& ctx, const AwaitOptions& options);

struct WaitResult {
  bool done = false;
  std::vector<Call> calls;  // in the order asked
  // Each call's output when the answer carried it (see AwaitLoop), else none.
  std::vector<std::optional<std::string>> outputs;
};

// Polls POST /v1/await in chunks of at most 30s until every call is
// terminal or `timeout` passes (none: forever), showing progress on a
// terminal. Rides out a daemon restart of up to a minute.
Checked<WaitResult> wait_for_calls(Context& ctx, const std::vector<std::string>& ids,
                                   std::optional<Millis> timeout);
// Writes the outputs (or, with --json, the calls with their outputs) and
// sets the exit code of SPEC §5.
Outcome deliver_results(Context& ctx, const WaitResult& result, std::optional<Millis> timeout);

// ---- cmd_status.cpp: status, list, output, logs

struct StatusOptions {
  std::vector<std::string> ids;
};

struct ListOptions {
  std::optional<std::string> state;
  std::optional<std::string> function;
  std::optional<std::string> pipeline;
  std::optional<int> limit;
  std::optional<std::string> before;
};

struct CallIdOptions {
  std::string id;
};

CLI::App* add_status_command(CLI::App& app, StatusOptions& options);
CLI::App* add_list_command(CLI::App& app, ListOptions& options);
CLI::App* add_output_command(CLI::App& app, CallIdOptions& options);
CLI::App* add_logs_command(CLI::App& app, CallIdOptions& options);
Outcome run_status(Context& ctx, const StatusOptions& options);
Outcome run_list(Context& ctx, const ListOptions& options);
Outcome run_output(Context& ctx, const CallIdOptions& options);
Outcome run_logs(Context& ctx, const CallIdOptions& options);
// GET /v1/calls?... for these options.
Checked<std::string> list_path(const ListOptions& options);

// ---- cmd_control.cpp: cancel, retry

struct ControlOptions {
  std::vector<std::string> ids;
};

CLI::App* add_cancel_command(CLI::App& app, ControlOptions& options);
CLI::App* add_retry_command(CLI::App& app, ControlOptions& options);
Outcome run_cancel(Context& ctx, const ControlOptions& options);
Outcome run_retry(Context& ctx, const ControlOptions& options);

// ---- cmd_fn.cpp: fn add, fn ls, fn show, fn rm

struct FnAddOptions {
  std::string name;
  std::vector<std::string> command;
  std::vector<std::string> env;
  std::optional<std::string> workdir;
  std::optional<std::string> exec_timeout;
  std::optional<std::string> write_timeout;
  std::optional<std::string> kill_grace;
  std::optional<int> concurrency;
  std::optional<int> retries;
  std::optional<std::string> retry_backoff;
  std::optional<std::string> max_output;
  std::optional<std::string> callback;
};

struct FnNameOptions {
  std::string name;
  bool force = false;  // fn rm
};

CLI::App* add_fn_command(CLI::App& app);  // the "fn" group
CLI::App* add_fn_add_command(CLI::App& fn, FnAddOptions& options);
CLI::App* add_fn_ls_command(CLI::App& fn);
CLI::App* add_fn_show_command(CLI::App& fn, FnNameOptions& options);
CLI::App* add_fn_rm_command(CLI::App& fn, FnNameOptions& options);
Checked<Function> build_function(const FnAddOptions& options);
Outcome run_fn_add(Context& ctx, const FnAddOptions& options);
Outcome run_fn_ls(Context& ctx);
Outcome run_fn_show(Context& ctx, const FnNameOptions& options);
Outcome run_fn_rm(Context& ctx, const FnNameOptions& options);
// PUT /v1/functions/{name}; adds "created"/"updated" to the outcome's notes.
Checked<json> put_function(Context& ctx, const Function& function, Outcome& outcome);

// ---- cmd_fn_apply.cpp: fn apply

struct FnApplyOptions {
  std::string file;
};

struct FunctionFile {
  std::vector<Function> functions;
  std::vector<Failure> failures;  // every invalid definition, by index and field
};

CLI::App* add_fn_apply_command(CLI::App& fn, FnApplyOptions& options);
// One definition or an array of them; `label` names the file in errors.
FunctionFile parse_function_file(const std::string& label, const std::string& text);
Outcome run_fn_apply(Context& ctx, const FnApplyOptions& options);

// ---- cmd_pipeline.cpp: pipeline submit, run, status, cancel, ls

struct PipelineOptions {
  std::string file;               // "-": stdin
  std::vector<std::string> sets;  // --set NAME=VALUE
  std::optional<std::string> key;
};

struct PipelineRunOptions : PipelineOptions {
  std::optional<std::string> output;   // --output STAGE
  std::optional<std::string> timeout;  // --timeout D
};

struct PipelineIdOptions {
  std::string id;
};

struct PipelineListOptions {
  std::optional<int> limit;
  std::optional<std::string> before;
};

CLI::App* add_pipeline_command(CLI::App& app);  // the "pipeline" group
CLI::App* add_pipeline_submit_command(CLI::App& group, PipelineOptions& options);
CLI::App* add_pipeline_run_command(CLI::App& group, PipelineRunOptions& options);
CLI::App* add_pipeline_status_command(CLI::App& group, PipelineIdOptions& options);
CLI::App* add_pipeline_cancel_command(CLI::App& group, PipelineIdOptions& options);
CLI::App* add_pipeline_ls_command(CLI::App& group, PipelineListOptions& options);
Outcome run_pipeline_submit(Context& ctx, const PipelineOptions& options);
Outcome run_pipeline_run(Context& ctx, const PipelineRunOptions& options);
Outcome run_pipeline_status(Context& ctx, const PipelineIdOptions& options);
Outcome run_pipeline_cancel(Context& ctx, const PipelineIdOptions& options);
Outcome run_pipeline_ls(Context& ctx, const PipelineListOptions& options);

// ---- cmd_admin.cpp: prune, ping

struct PruneOptions {
  std::optional<std::string> older_than;
};

CLI::App* add_prune_command(CLI::App& app, PruneOptions& options);
CLI::App* add_ping_command(CLI::App& app);
Outcome run_prune(Context& ctx, const PruneOptions& options);
Outcome run_ping(Context& ctx);

}  // namespace fnq::cli
