// Parsing each command's arguments into its options struct, as run() does.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli/commands.h"

namespace fnq::cli {
namespace {

// Parses `args` (after the program name) into an app holding one command.
template <class Add, class Options>
void parse(Add add, Options& options, std::vector<std::string> args) {
  CLI::App app{"test", "fnq"};
  add(app, options);
  std::reverse(args.begin(), args.end());
  app.parse(std::move(args));
}

TEST(CliParse, SubmitTakesEveryOption) {
  SubmitOptions o;
  parse(add_submit_command, o, {"submit",    "resize",   "-f",         "photo.png",
                                "--needs",   "019a7f2e", "--needs",    "019a7f2f,019a7f30",
                                "--delay",   "2s",       "--priority", "-5",
                                "--key",     "k1",       "--callback", "http://cb",
                                "--timeout", "30s",      "--retries",  "3",
                                "-H",        "X-A: 1",   "--header",   "X-B: 2",
                                "--lines"});
  EXPECT_EQ(o.function, "resize");
  EXPECT_EQ(o.input.file, "photo.png");
  EXPECT_FALSE(o.input.data);
  EXPECT_EQ(o.needs, (std::vector<std::string>{"019a7f2e", "019a7f2f", "019a7f30"}));
  EXPECT_EQ(o.delay, "2s");
  EXPECT_EQ(o.priority, -5);
  EXPECT_EQ(o.key, "k1");
  EXPECT_EQ(o.callback, "http://cb");
  EXPECT_EQ(o.timeout, "30s");
  EXPECT_EQ(o.retries, 3);
  EXPECT_EQ(o.headers, (std::vector<std::string>{"X-A: 1", "X-B: 2"}));
  EXPECT_TRUE(o.lines);
}

TEST(CliParse, SubmitExclusions) {
  SubmitOptions o;
  EXPECT_THROW(parse(add_submit_command, o, {"submit", "f", "-d", "x", "-f", "y"}),
               CLI::ParseError);
  SubmitOptions o2;
  EXPECT_THROW(
      parse(add_submit_command, o2, {"submit", "f", "--delay", "1s", "--at", "2030-01-01 10:00"}),
      CLI::ParseError);
  SubmitOptions o3;
  EXPECT_THROW(parse(add_submit_command, o3, {"submit"}), CLI::ParseError);
  SubmitOptions o4;
  EXPECT_THROW(parse(add_submit_command, o4, {"submit", "f", "--priority", "high"}),
               CLI::ParseError);
}

TEST(CliParse, SubmitDataMayLookLikeAnOption) {
  SubmitOptions o;
  parse(add_submit_command, o, {"submit", "f", "-d", "-x"});
  EXPECT_EQ(o.input.data, "-x");
}

TEST(CliParse, InvokeHasNoLines) {
  SubmitOptions o;
  parse(add_invoke_command, o, {"invoke", "resize", "-d", "hi", "--at", "2030-01-01T10:00:00Z"});
  EXPECT_EQ(o.input.data, "hi");
  EXPECT_EQ(o.at, "2030-01-01T10:00:00Z");
  SubmitOptions o2;
  EXPECT_THROW(parse(add_invoke_command, o2, {"invoke", "resize", "--lines"}), CLI::ParseError);
}

TEST(CliParse, AwaitIdsAndTimeout) {
  AwaitOptions o;
  parse(add_await_command, o, {"await", "019a7f2e", "019a7f2f", "--timeout", "5m"});
  EXPECT_EQ(o.ids.size(), 2u);
  EXPECT_EQ(o.timeout, "5m");
  AwaitOptions none;
  EXPECT_THROW(parse(add_await_command, none, {"await"}), CLI::ParseError);
}

TEST(CliParse, StatusListOutputLogs) {
  StatusOptions s;
  parse(add_status_command, s, {"status", "a", "b", "c"});
  EXPECT_EQ(s.ids.size(), 3u);
  ListOptions l;
  parse(add_list_command, l,
        {"list", "--state", "failed", "--function", "resize", "--limit", "20", "--before",
         "019a7f2e"});
  EXPECT_EQ(l.state, "failed");
  EXPECT_EQ(l.function, "resize");
  EXPECT_EQ(l.limit, 20);
  EXPECT_EQ(l.before, "019a7f2e");
  CallIdOptions out;
  parse(add_output_command, out, {"output", "019a7f2e"});
  EXPECT_EQ(out.id, "019a7f2e");
  CallIdOptions two;
  EXPECT_THROW(parse(add_logs_command, two, {"logs", "a", "b"}), CLI::ParseError);
}

TEST(CliParse, CancelRetry) {
  ControlOptions c;
  parse(add_cancel_command, c, {"cancel", "019a7f2e", "019a7f2f"});
  EXPECT_EQ(c.ids.size(), 2u);
  ControlOptions r;
  parse(add_retry_command, r, {"retry", "019a7f2e"});
  EXPECT_EQ(r.ids.size(), 1u);
}

TEST(CliParse, FnAddCommandAfterDoubleDash) {
  FnAddOptions o;
  auto add = [](CLI::App& app, FnAddOptions& opts) {
    return add_fn_add_command(*add_fn_command(app), opts);
  };
  parse(add, o, {"fn",        "add",
                 "resize",    "--env",
                 "A=1",       "--env",
                 "B=2",       "--workdir",
                 "/srv",      "--exec-timeout",
                 "30s",       "--write-timeout",
                 "1m",        "--kill-grace",
                 "2s",        "--concurrency",
                 "2",         "--retries",
                 "3",         "--retry-backoff",
                 "1s",        "--max-output",
                 "1MiB",      "--callback",
                 "http://cb", "--",
                 "convert",   "-",
                 "-resize",   "50%",
                 "--json"});
  EXPECT_EQ(o.name, "resize");
  EXPECT_EQ(o.env, (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(o.workdir, "/srv");
  EXPECT_EQ(o.exec_timeout, "30s");
  EXPECT_EQ(o.write_timeout, "1m");
  EXPECT_EQ(o.kill_grace, "2s");
  EXPECT_EQ(o.concurrency, 2);
  EXPECT_EQ(o.retries, 3);
  EXPECT_EQ(o.retry_backoff, "1s");
  EXPECT_EQ(o.max_output, "1MiB");
  EXPECT_EQ(o.callback, "http://cb");
  // After "--" everything is the command, even what looks like fnq's options.
  EXPECT_EQ(o.command, (std::vector<std::string>{"convert", "-", "-resize", "50%", "--json"}));
}

TEST(CliParse, FnApplyShowRmPrune) {
  FnApplyOptions a;
  parse([](CLI::App& app,
           FnApplyOptions& o) { return add_fn_apply_command(*add_fn_command(app), o); },
        a, {"fn", "apply", "-f", "defs.json"});
  EXPECT_EQ(a.file, "defs.json");
  FnNameOptions rm;
  parse([](CLI::App& app, FnNameOptions& o) { return add_fn_rm_command(*add_fn_command(app), o); },
        rm, {"fn", "rm", "resize", "--force"});
  EXPECT_EQ(rm.name, "resize");
  EXPECT_TRUE(rm.force);
  FnNameOptions show;
  parse(
      [](CLI::App& app, FnNameOptions& o) { return add_fn_show_command(*add_fn_command(app), o); },
      show, {"fn", "show", "resize"});
  EXPECT_EQ(show.name, "resize");
  EXPECT_FALSE(show.force);
  PruneOptions p;
  parse(add_prune_command, p, {"prune", "--older-than", "1d"});
  EXPECT_EQ(p.older_than, "1d");
}

SubmitOptions submit_options(std::string fn) {
  SubmitOptions o;
  o.function = std::move(fn);
  return o;
}

TEST(CliSubmitRequest, OnlyGivenFieldsAreSent) {
  EXPECT_EQ(*build_call_request(submit_options("resize")), (json{{"function", "resize"}}));
  SubmitOptions o = submit_options("resize");
  o.needs = {"019A7F2E"};
  o.input_from = "019a7f2f";
  o.delay = "90s";
  o.priority = 5;
  o.key = "k";
  o.callback = "http://cb";
  o.timeout = "30000";
  o.retries = 2;
  o.headers = {"Content-Type: image/png"};
  json expected = {{"function", "resize"},
                   {"needs", {"019a7f2e"}},
                   {"input_from", "019a7f2f"},
                   {"delay", "90s"},
                   {"priority", 5},
                   {"key", "k"},
                   {"callback_url", "http://cb"},
                   {"exec_timeout", "30s"},
                   {"max_retries", 2},
                   {"headers", {{"Content-Type", "image/png"}}}};
  EXPECT_EQ(*build_call_request(o), expected);
}

TEST(CliSubmitRequest, AtIsSentAsRunAt) {
  SubmitOptions o = submit_options("resize");
  o.at = "2030-01-02T03:04:05Z";
  EXPECT_EQ(build_call_request(o)->at("run_at"), "2030-01-02T03:04:05.000Z");
  o.at = "tomorrow";
  auto bad = build_call_request(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.failure().exit_code, 64);
  EXPECT_EQ(bad.failure().what, "--at");
}

TEST(CliSubmitRequest, RefusedCombinationsAndValues) {
  auto code = [](SubmitOptions o) { return build_call_request(o).failure().exit_code; };
  SubmitOptions o = submit_options("Resize");
  EXPECT_EQ(code(o), 65);
  o = submit_options("resize");
  o.delay = "1 minute";
  EXPECT_EQ(code(o), 64);
  o = submit_options("resize");
  o.needs = {"short"};
  EXPECT_EQ(code(o), 64);
  o = submit_options("resize");
  o.input_from = "019a7f2e";
  o.input.data = "x";
  EXPECT_EQ(code(o), 64);
  o = submit_options("resize");
  o.lines = true;
  o.key = "k";
  EXPECT_EQ(code(o), 64);
  o = submit_options("resize");
  o.retries = -1;
  EXPECT_EQ(code(o), 65);  // out of its range (0 to 1000), not malformed
  o = submit_options("resize");
  o.priority = 1'000'000'001;
  EXPECT_EQ(code(o), 65);
  o = submit_options("resize");
  o.headers = {"nocolon"};
  EXPECT_EQ(code(o), 64);
}

TEST(CliListPath, QueryFromOptions) {
  EXPECT_EQ(*list_path({}), "/v1/calls");
  ListOptions o;
  o.state = "failed";
  o.function = "img resize";
  o.limit = 5;
  o.before = "019A7F2E";
  EXPECT_EQ(*list_path(o), "/v1/calls?state=failed&function=img%20resize&limit=5&before=019a7f2e");
  o.state = "broken";
  EXPECT_EQ(list_path(o).failure().exit_code, 64);
  o.state.reset();
  o.limit = 0;  // out of range, like every bounded value: 65, naming the range
  EXPECT_EQ(list_path(o).failure().exit_code, 65);
  EXPECT_NE(list_path(o).failure().why.find("from 1 to 1000"), std::string::npos);
  o.limit = 1001;
  EXPECT_EQ(list_path(o).failure().exit_code, 65);
}

}  // namespace
}  // namespace fnq::cli
