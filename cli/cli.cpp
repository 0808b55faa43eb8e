#include "cli/cli.h"

#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "fnq/version.h"

namespace fnq::cli {

namespace {

using Action = std::function<Outcome()>;

constexpr const char* k_description =
    "fnq: the client of fnqd, a durable job queue. Queue calls of registered functions,\n"
    "look at them by ID, and await their results.";

constexpr const char* k_footer =
    "Example:\n"
    "  fnq fn add resize -- convert - -resize 50% png:-\n"
    "  id=$(fnq submit resize -f photo.png)\n"
    "  fnq await $id > small.png\n"
    "\n"
    "fnqd is found through --url, $FNQ_URL, else STATE_DIR/fnqd.json; the token through\n"
    "--token-file, $FNQ_TOKEN_FILE, $FNQ_TOKEN, else STATE_DIR/token. STATE_DIR is\n"
    "--state-dir, $FNQ_STATE_DIR, $XDG_STATE_HOME/fnq, else ~/.local/state/fnq; when no\n"
    "fnqd runs there, /var/lib/fnq if readable (the system service, for its group fnq).\n"
    "Global options may also follow the command. 'fnq COMMAND --help' tells more.\n"
    "Exit status: 0 ok; 64 usage; 65 bad input; 66 unknown call ID or unreadable file;\n"
    "69 fnqd unreachable; 77 token refused; await and invoke also pass on the calls'\n"
    "results (see 'fnq await --help'). The manual: fnq(1), fnqd(8), fnq-function(5),\n"
    "fnq-pipeline(5).";

struct NoOptions {};

// Adds a command whose options live in a shared struct; when it is the one
// parsed, `action` runs it.
template <class Options, class Add, class Run>
CLI::App* wire(CLI::App& parent, Context& ctx, Action& action, Add add, Run run_command) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = add(parent, *options);
  cmd->add_flag("--json", ctx.global().json, "Print JSON on stdout");
  cmd->callback([&ctx, &action, options, run_command] {
    action = [&ctx, options, run_command] { return run_command(ctx, *options); };
  });
  return cmd;
}

void add_global_options(CLI::App& app, GlobalOptions& g, bool& version) {
  app.add_option("--url", g.url, "fnqd's URL (default: $FNQ_URL, else STATE_DIR/fnqd.json)")
      ->type_name("URL");
  app.add_option("--token-file", g.token_file, "File holding the token (default: see below)")
      ->type_name("FILE");
  app.add_option("--state-dir", g.state_dir, "fnqd's state directory (default: see below)")
      ->type_name("DIR");
  app.add_flag("--json", g.json, "Print JSON on stdout");
  app.add_flag("--version", version, "Print fnq's version and exit");
}

void add_fn_commands(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* fn = add_fn_command(app);
  wire<FnAddOptions>(*fn, ctx, action, add_fn_add_command, run_fn_add);
  wire<FnApplyOptions>(*fn, ctx, action, add_fn_apply_command, run_fn_apply);
  wire<NoOptions>(
      *fn, ctx, action, [](CLI::App& p, NoOptions&) { return add_fn_ls_command(p); },
      [](Context& c, const NoOptions&) { return run_fn_ls(c); });
  wire<FnNameOptions>(*fn, ctx, action, add_fn_show_command, run_fn_show);
  wire<FnNameOptions>(*fn, ctx, action, add_fn_rm_command, run_fn_rm);
}

void add_pipeline_commands(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* group = add_pipeline_command(app);
  wire<PipelineOptions>(*group, ctx, action, add_pipeline_submit_command, run_pipeline_submit);
  wire<PipelineRunOptions>(*group, ctx, action, add_pipeline_run_command, run_pipeline_run);
  wire<PipelineIdOptions>(*group, ctx, action, add_pipeline_status_command, run_pipeline_status);
  wire<PipelineIdOptions>(*group, ctx, action, add_pipeline_cancel_command, run_pipeline_cancel);
  wire<PipelineListOptions>(*group, ctx, action, add_pipeline_ls_command, run_pipeline_ls);
}

using AddCommand = void (*)(CLI::App&, Context&, Action&);

struct Command {
  const char* name;
  AddCommand add;
};

// A command whose options, parser and run are the usual three.
template <class Options, CLI::App* (*Add)(CLI::App&, Options&),
          Outcome (*Run)(Context&, const Options&)>
void add_wired(CLI::App& app, Context& ctx, Action& action) {
  wire<Options>(app, ctx, action, Add, Run);
}

// Every command, in the order --help lists them.
const Command k_commands[] = {
    {"submit", add_wired<SubmitOptions, add_submit_command, run_submit>},
    {"invoke", add_wired<SubmitOptions, add_invoke_command, run_invoke>},
    {"status", add_wired<StatusOptions, add_status_command, run_status>},
    {"await", add_wired<AwaitOptions, add_await_command, run_await>},
    {"output", add_wired<CallIdOptions, add_output_command, run_output>},
    {"logs", add_wired<CallIdOptions, add_logs_command, run_logs>},
    {"cancel", add_wired<ControlOptions, add_cancel_command, run_cancel>},
    {"retry", add_wired<ControlOptions, add_retry_command, run_retry>},
    {"list", add_wired<ListOptions, add_list_command, run_list>},
    {"fn", add_fn_commands},
    {"pipeline", add_pipeline_commands},
    {"prune", add_wired<PruneOptions, add_prune_command, run_prune>},
    {"ping",
     [](CLI::App& a, Context& c, Action& x) {
       wire<NoOptions>(
           a, c, x, [](CLI::App& p, NoOptions&) { return add_ping_command(p); },
           [](Context& ctx, const NoOptions&) { return run_ping(ctx); });
     }},
};

// Global options that take a value ("--url URL"); see add_global_options.
bool takes_value(const std::string& arg) {
  return arg == "--url" || arg == "--token-file" || arg == "--state-dir";
}

// The command named in args (before CLI11 sees them), or null when there is
// none or it is not one of ours. A script runs fnq thousands of times: only
// the command it names is built, as building all of them is a fifth of fnq's
// start-up. Anything else (no command, --help, a typo) builds them all, so
// help and errors list every command.
const Command* named_command(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      return nullptr;
    }
    if (!arg.empty() && arg[0] == '-') {
      i += takes_value(arg) ? 1 : 0;
      continue;
    }
    for (const auto& command : k_commands) {
      if (arg == command.name) {
        return &command;
      }
    }
    return nullptr;
  }
  return nullptr;
}

// "fnq --version" (with global options, nothing else): it needs no command.
bool asks_only_version(const std::vector<std::string>& args) {
  bool version = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-' || arg == "--" || arg == "-h" || arg == "--help") {
      return false;
    }
    version = version || arg == "--version";
    i += takes_value(arg) ? 1 : 0;
  }
  return version;
}

void add_commands(CLI::App& app, Context& ctx, Action& action,
                  const std::vector<std::string>& args) {
  if (asks_only_version(args)) {
    return;
  }
  if (const Command* named = named_command(args)) {
    named->add(app, ctx, action);
    return;
  }
  for (const auto& command : k_commands) {
    command.add(app, ctx, action);
  }
}

// The last command parsed ("fn add" in "fnq fn add ..."), and its path
// "fnq fn add" for "see 'fnq fn add --help'".
CLI::App* last_command(CLI::App& app, std::string* path) {
  *path = "fnq";
  CLI::App* current = &app;
  for (;;) {
    auto subs = current->get_subcommands();
    if (subs.empty()) {
      return current;
    }
    current = subs.front();
    *path += " " + current->get_name();
  }
}

Failure parse_failure(const CLI::ParseError& e, CLI::App& app) {
  std::string path;
  CLI::App* command = last_command(app, &path);
  std::string hint = "see '" + path + " --help'";
  // "fnq fn lsx" would otherwise say "a subcommand is required".
  auto extra = app.remaining(true);
  if (!command->get_subcommands([](CLI::App*) { return true; }).empty() && !extra.empty() &&
      !extra.front().empty() && extra.front()[0] != '-') {
    return usage_failure("unknown command '" + extra.front() + "'", "", hint);
  }
  return usage_failure("invalid arguments", e.what(), hint);
}

Outcome run_action(const Action& action) {
  try {
    return action();
  } catch (const json::exception& e) {
    return Failure{k_exit_failure, "unexpected answer from fnqd", e.what(), ""};
  }
}

}  // namespace

bool builds_one_command(const std::vector<std::string>& args) {
  return named_command(args) != nullptr;
}

int run_cli(std::vector<std::string> args, Context& ctx) {
  CLI::App app{k_description, "fnq"};
  app.fallthrough();  // global options may follow the command
  app.footer(k_footer);
  bool version = false;
  add_global_options(app, ctx.global(), version);
  Action action;
  add_commands(app, ctx, action, args);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(std::move(args));
  } catch (const CLI::Success& e) {
    return app.exit(e, ctx.out(), ctx.err());  // --help: printed on stdout
  } catch (const CLI::ParseError& e) {
    print_outcome(ctx.err(), parse_failure(e, app));
    return k_exit_usage;
  }
  if (version) {
    ctx.out() << "fnq " << k_version << '\n';
    return k_exit_ok;
  }
  Outcome outcome =
      action ? run_action(action)
             : Outcome(usage_failure("no command given", "", "'fnq --help' lists the commands"));
  if (!ctx.out().flush()) {
    outcome.add(Failure{k_exit_io_error, "cannot write to stdout", "", ""});
  }
  print_outcome(ctx.err(), outcome);
  return outcome.exit_code;
}

int run(int argc, char** argv) {
  Context ctx(std::cin, std::cout, std::cerr, Terminal::detect(), http_api_factory());
  std::vector<std::string> args(argv + 1, argv + argc);
  return run_cli(std::move(args), ctx);
}

}  // namespace fnq::cli
