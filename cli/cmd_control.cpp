// fnq cancel, fnq retry: change calls. Each prints "<full id> <what happened>"
// per call on stdout, so a script can read what became of every ID.
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace fnq::cli {

namespace {

// Posts to /v1/calls/{id}/{action} for each ID; an unknown or refused ID is
// reported and the others still go. `line` turns an answer into stdout's line.
template <class Line>
Outcome for_each_call(Context& ctx, const ControlOptions& o, const std::string& action,
                      const std::string& json_key, Line line) {
  auto ids = check_call_ids(o.ids);
  if (!ids.ok()) {
    return ids.failure();
  }
  Outcome outcome;
  json answers = json::array();
  for (const auto& id : *ids) {
    ApiRequest request{"POST", "/v1/calls/" + id + "/" + action, json::object(), k_request_timeout};
    auto reply = ctx.fetch_json(request, "cannot " + action + " call " + id, Subject::call);
    if (!reply.ok()) {
      outcome.add(reply.failure());
      int code = reply.failure().exit_code;
      if (code == k_exit_no_input || code == k_exit_failure) {
        continue;  // this ID only: unknown, ambiguous, or in the wrong state
      }
      break;
    }
    if (!ctx.json()) {
      ctx.out() << line(reply->body) << '\n';
    }
    answers.push_back(std::move(reply->body));
  }
  if (ctx.json()) {
    write_json(ctx.out(), json{{json_key, answers}});
  }
  return outcome;
}

}  // namespace

CLI::App* add_cancel_command(CLI::App& app, ControlOptions& o) {
  auto* cmd = app.add_subcommand("cancel", "Cancel calls that have not finished");
  cmd->add_option("id", o.ids, "Call IDs (or unique prefixes of 8+ characters)")
      ->required()
      ->type_name("ID");
  cmd->footer(
      "Prints \"<id> <result>\" per call on stdout, the ID in full, the result one of:\n"
      "  cancelled         it was waiting or queued, and now is cancelled\n"
      "  cancelling        it is running; it gets SIGTERM (SIGKILL after kill_grace)\n"
      "  already_terminal  it had finished; left as it was\n"
      "  finishing         it has finished, but its outcome is not yet recorded (the\n"
      "                    database refused it; fnqd retries); left as it was\n"
      "With --json, prints {\"results\": [{\"result\": ..., \"call\": call}, ...]}.\n\n"
      "Example:\n"
      "  fnq cancel $id");
  return cmd;
}

CLI::App* add_retry_command(CLI::App& app, ControlOptions& o) {
  auto* cmd =
      app.add_subcommand("retry", "Run finished unsuccessful calls again, under the same IDs");
  cmd->add_option("id", o.ids, "Call IDs (or unique prefixes of 8+ characters)")
      ->required()
      ->type_name("ID");
  cmd->footer(
      "Prints \"<id> <state>\" per call on stdout (the new state: queued or waiting).\n"
      "With --json, prints {\"calls\": [call, ...]}.\n\n"
      "Example:\n"
      "  fnq retry $id && fnq await $id");
  return cmd;
}

Outcome run_cancel(Context& ctx, const ControlOptions& o) {
  return for_each_call(ctx, o, "cancel", "results", [](const json& answer) {
    return answer.at("call").at("id").get<std::string>() + " " +
           answer.at("result").get<std::string>();
  });
}

Outcome run_retry(Context& ctx, const ControlOptions& o) {
  return for_each_call(ctx, o, "retry", "calls", [](const json& call) {
    return call.at("id").get<std::string>() + " " + call.at("state").get<std::string>();
  });
}

}  // namespace fnq::cli
