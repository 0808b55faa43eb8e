// fnq prune, fnq ping: the daemon itself.
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace fnq::cli {

CLI::App* add_prune_command(CLI::App& app, PruneOptions& o) {
  auto* cmd = app.add_subcommand("prune", "Delete finished calls older than an age, now");
  cmd->add_option("--older-than", o.older_than,
                  "Age of the finished calls to delete (default: fnqd's --retention)")
      ->type_name("D");
  cmd->footer(
      "Says how many calls were deleted on stderr; --json prints {\"deleted\": N}.\n\n"
      "Example:\n"
      "  fnq prune --older-than 1d");
  return cmd;
}

CLI::App* add_ping_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("ping", "Check that fnqd is reachable and accepts the token");
  cmd->footer(
      "Prints \"fnqd VERSION at URL: ok\". Exit 0 if so, 69 if unreachable, 77 if the token\n"
      "is refused. With --json, prints the daemon's /v1/info.\n\n"
      "Example:\n"
      "  fnq ping || systemctl --user start fnqd");
  return cmd;
}

Outcome run_prune(Context& ctx, const PruneOptions& o) {
  auto older_than = parse_duration_option("--older-than", o.older_than);
  if (!older_than.ok()) {
    return older_than.failure();
  }
  json body = json::object();
  if (*older_than) {
    body["older_than"] = format_duration(**older_than);
  }
  auto reply = ctx.fetch_json(ApiRequest{"POST", "/v1/prune", body, k_request_timeout},
                              "cannot prune", Subject::other);
  if (!reply.ok()) {
    return reply.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), reply->body);
  }
  Outcome outcome;
  outcome.notes.push_back("deleted " + std::to_string(reply->body.value("deleted", 0)) +
                          " finished calls");
  return outcome;
}

Outcome run_ping(Context& ctx) {
  // /v1/info, not /healthz: it also proves the token is accepted.
  auto reply = ctx.fetch_json(ApiRequest{"GET", "/v1/info", {}, std::chrono::seconds(10)},
                              "cannot ping fnqd", Subject::other);
  if (!reply.ok()) {
    return reply.failure();
  }
  if (ctx.json()) {
    write_json(ctx.out(), reply->body);
    return {};
  }
  auto api = ctx.api();
  std::string url = api.ok() ? (*api)->url() : reply->body.value("url", "?");
  ctx.out() << "fnqd " << reply->body.value("version", "?") << " at " << url << ": ok\n";
  return {};
}

}  // namespace fnq::cli
