// Whole commands, from the command line to the requests sent and what is
// printed, against a fake daemon.
#include <cstdio>

#include "common/encoding.h"
#include "support/temp_dir.h"
#include "unit/cli_fake_daemon.h"

namespace fnq::cli {
namespace {

using namespace fnq::cli::fake;  // NOLINT
using CliCommands = FakeDaemonTest;

TEST_F(CliCommands, SubmitPrintsOnlyTheId) {
  script({reply(202, call_json(k_id1, CallState::queued))});
  EXPECT_EQ(run({"submit", "resize", "-d", "hi", "--priority", "3"}), 0);
  EXPECT_EQ(m_out.str(), std::string(k_id1) + "\n");
  EXPECT_EQ(m_err.str(), "");
  ASSERT_EQ(m_sent.size(), 1u);
  EXPECT_EQ(m_sent[0].method, "POST");
  EXPECT_EQ(m_sent[0].path, "/v1/calls");
  EXPECT_EQ(m_sent[0].json_body(),
            (json{{"function", "resize"}, {"input", "hi"}, {"priority", 3}}));
}

TEST_F(CliCommands, SubmitReadsStdinOnlyWhenNotATerminal) {
  m_in.str("from a pipe");
  script({reply(202, call_json(k_id1, CallState::queued)),
          reply(202, call_json(k_id1, CallState::queued))});
  EXPECT_EQ(run({"submit", "resize"}), 0);
  EXPECT_FALSE(m_sent[0].json_body().contains("input"));
  m_terminal.stdin_tty = false;
  EXPECT_EQ(run({"submit", "resize"}), 0);
  EXPECT_EQ(m_sent[1].json_body().at("input"), "from a pipe");
}

TEST_F(CliCommands, SubmitBinaryFileGoesAsBase64) {
  test::TempDir dir;
  test::write_file(dir.file("p.png"), std::string("\x89PNG\0", 5));
  script({reply(202, call_json(k_id1, CallState::queued))});
  EXPECT_EQ(run({"submit", "resize", "-f", dir.file("p.png")}), 0);
  EXPECT_EQ(m_sent[0].json_body().at("input_base64"), "iVBORwA=");
}

TEST_F(CliCommands, SubmitLinesIsOneBatch) {
  m_in.str("a.png\n\nb.png\n");
  m_terminal.stdin_tty = false;
  script({reply(
      202, json{{"calls",
                 {call_json(k_id1, CallState::queued), call_json(k_id2, CallState::queued)}}})});
  EXPECT_EQ(run({"submit", "resize", "--lines", "--retries", "1"}), 0);
  EXPECT_EQ(m_out.str(), std::string(k_id1) + "\n" + k_id2 + "\n");
  ASSERT_EQ(m_sent.size(), 1u);
  json expected = {{"calls",
                    {{{"function", "resize"}, {"max_retries", 1}, {"input", "a.png\n"}},
                     {{"function", "resize"}, {"max_retries", 1}, {"input", "b.png\n"}}}}};
  EXPECT_EQ(m_sent[0].json_body(), expected);
}

TEST_F(CliCommands, JsonAfterTheCommand) {
  json call = call_json(k_id1, CallState::queued);
  script({reply(202, call)});
  EXPECT_EQ(run({"submit", "resize", "-d", "", "--json"}), 0);
  EXPECT_EQ(json::parse(m_out.str()), call);
}

TEST_F(CliCommands, UnknownFunctionIsBadInput) {
  script({reply(404, json{{"error", "unknown function 'resiz'"}})});
  EXPECT_EQ(run({"submit", "resiz", "-d", "x"}), 65);
  EXPECT_EQ(m_out.str(), "");
  EXPECT_EQ(m_err.str(),
            "fnq: error: cannot submit a call of 'resiz': unknown function 'resiz' ('fnq fn ls' "
            "lists the functions)\n");
}

TEST_F(CliCommands, UnreachableAndRefusedToken) {
  m_unreachable = true;
  EXPECT_EQ(run({"status", k_id1}), 69);
  EXPECT_EQ(m_err.str(),
            "fnq: error: cannot find fnqd: /s/fnqd.json does not exist (is fnqd running? or set "
            "--url)\n");
  m_unreachable = false;
  m_err.str("");
  script({reply(401, json{{"error", "missing or wrong token"}})});
  EXPECT_EQ(run({"ping"}), 77);
  EXPECT_EQ(m_err.str().rfind("fnq: error: fnqd refused the token: missing or wrong token (", 0),
            0u);
}

TEST_F(CliCommands, UsageErrors) {
  EXPECT_EQ(run({"submit", "resize", "--bogus"}), 64);
  EXPECT_NE(m_err.str().find("(see 'fnq submit --help')"), std::string::npos) << m_err.str();
  EXPECT_EQ(m_err.str().rfind("fnq: error: invalid arguments: ", 0), 0u);
  m_err.str("");
  EXPECT_EQ(run({}), 64);
  EXPECT_EQ(m_err.str(), "fnq: error: no command given ('fnq --help' lists the commands)\n");
  m_err.str("");
  EXPECT_EQ(run({"await", k_id1, "--timeout", "forever"}), 64);
  EXPECT_EQ(run({"status", "abc"}), 64);
  EXPECT_EQ(run({"fn"}), 64);
  EXPECT_TRUE(m_sent.empty());
}

TEST_F(CliCommands, HelpAndVersionGoToStdout) {
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_NE(m_out.str().find("id=$(fnq submit resize -f photo.png)"), std::string::npos);
  EXPECT_NE(m_out.str().find("await"), std::string::npos);
  m_out.str("");
  EXPECT_EQ(run({"fn", "add", "--help"}), 0);
  EXPECT_NE(m_out.str().find("Example:"), std::string::npos);
  m_out.str("");
  EXPECT_EQ(run({"--version"}), 0);
  EXPECT_EQ(m_out.str().rfind("fnq ", 0), 0u);
}

TEST_F(CliCommands, StatusShowsFoundCallsAndReportsUnknown) {
  script({reply(200, call_json(k_id1, CallState::failed, 3)),
          reply(404, json{{"error", "unknown call '019a7f2e-5c1b'"}})});
  EXPECT_EQ(run({"status", k_id1, "019A7F2E-5C1B"}), 66);
  EXPECT_EQ(m_sent[1].path, "/v1/calls/019a7f2e-5c1b");
  EXPECT_EQ(m_out.str(), std::string(k_id1) + "  resize  failed  3  12ms\n");
  EXPECT_EQ(m_err.str().rfind("fnq: error: cannot get call 019a7f2e-5c1b: unknown call", 0), 0u);
}

TEST_F(CliCommands, StatusJsonIsAlwaysAnArray) {
  script({reply(200, call_json(k_id1, CallState::queued))});
  EXPECT_EQ(run({"--json", "status", k_id1}), 0);
  json out = json::parse(m_out.str());
  ASSERT_EQ(out.at("calls").size(), 1u);
  EXPECT_EQ(out["calls"][0]["id"], k_id1);
}

TEST_F(CliCommands, AwaitWritesOutputsInOrderAndPassesOnTheFirstFailure) {
  json running = {
      {"done", false},
      {"calls", {call_json(k_id1, CallState::running), call_json(k_id2, CallState::queued)}}};
  json done = {
      {"done", true},
      {"calls",
       {call_json(k_id1, CallState::failed, 3, 4), call_json(k_id2, CallState::succeeded, 0, 3)}}};
  script({reply(200, running), reply(200, done), raw_reply("one\n"), raw_reply("two")});
  EXPECT_EQ(run({"await", k_id1, k_id2}), 3);
  EXPECT_EQ(m_out.str(), "one\ntwo");
  ASSERT_EQ(m_sent.size(), 4u);
  json first = m_sent[0].json_body();
  EXPECT_EQ(first.at("ids"), (json{k_id1, k_id2}));
  EXPECT_EQ(first.at("timeout"), "30s");
  EXPECT_EQ(first.at("output"), true);           // carried back when the answer has them
  EXPECT_GT(m_sent[0].timeout, Millis(30'000));  // read timeout beyond the server's wait
  EXPECT_EQ(m_sent[2].path, std::string("/v1/calls/") + k_id1 + "/output");
  EXPECT_EQ(m_err.str(), std::string("fnq: call ") + k_id1 + " (resize) failed: exit status 3\n");
}

// A script's await of a few calls gets their outputs in the answer that
// says they are done: one round trip. Outputs left out are fetched.
TEST_F(CliCommands, AwaitWritesTheOutputsTheAnswerCarried) {
  json done = {
      {"done", true},
      {"calls",
       {call_json(k_id1, CallState::succeeded, 0, 4), call_json(k_id2, CallState::succeeded, 0, 3),
        call_json(k_id3, CallState::succeeded, 0, 5)}}};
  done["calls"][0]["output"] = "one\n";
  done["calls"][1]["output_base64"] = base64_encode(std::string("\0\x01\xff", 3));
  done["calls"][2]["output_omitted"] = true;
  script({reply(200, done), raw_reply("three")});
  EXPECT_EQ(run({"await", k_id1, k_id2, k_id3}), 0);
  EXPECT_EQ(m_out.str(), std::string("one\n") + std::string("\0\x01\xff", 3) + "three");
  ASSERT_EQ(m_sent.size(), 2u);
  EXPECT_EQ(m_sent[0].json_body().at("output"), true);
  EXPECT_EQ(m_sent[1].path, std::string("/v1/calls/") + k_id3 + "/output");
}

TEST_F(CliCommands, AwaitAsksWithoutOutputsOnATerminalOrForManyCalls) {
  json done = {{"done", true}, {"calls", {call_json(k_id1, CallState::succeeded, 0, 0)}}};
  m_terminal.stderr_tty = true;  // 1 s chunks would carry the outputs each second
  script({reply(200, done)});
  EXPECT_EQ(run({"await", k_id1}), 0);
  EXPECT_EQ(m_sent.back().json_body().at("output"), false);
  m_terminal.stderr_tty = false;
  std::vector<std::string> args = {"await"};
  json many = {{"done", true}, {"calls", json::array()}};
  for (int i = 0; i < 17; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "019a7f2e-5c1b-7000-8000-%012d", i);
    args.push_back(id);
    many["calls"].push_back(call_json(id, CallState::succeeded, 0, 0));
  }
  script({reply(200, many)});
  EXPECT_EQ(run(args), 0);
  EXPECT_EQ(m_sent.back().json_body().at("output"), false);
}

TEST_F(CliCommands, AwaitRefusesAMalformedOutput) {
  json done = {{"done", true}, {"calls", {call_json(k_id1, CallState::succeeded, 0, 4)}}};
  done["calls"][0]["output_base64"] = "not base64!";
  script({reply(200, done)});
  EXPECT_EQ(run({"await", k_id1}), 1);
  EXPECT_NE(m_err.str().find("malformed output_base64"), std::string::npos) << m_err.str();
  EXPECT_EQ(m_out.str(), "");
}

TEST_F(CliCommands, AwaitTimeoutIsSeventyFiveAndWritesNothing) {
  json running = {{"done", false}, {"calls", {call_json(k_id1, CallState::running)}}};
  script({reply(200, running)});
  EXPECT_EQ(run({"await", k_id1, "--timeout", "0"}), 75);
  EXPECT_EQ(m_sent[0].json_body().at("timeout"), "0s");
  EXPECT_EQ(m_out.str(), "");
  EXPECT_EQ(m_err.str(),
            "fnq: error: gave up waiting: 1 of 1 calls not finished after 0s (run 'fnq await' "
            "again later)\n");
}

TEST_F(CliCommands, AwaitJsonFetchesOutputsOnce) {
  json done = {{"done", true}, {"calls", {call_json(k_id1, CallState::succeeded, 0, 2)}}};
  json with_output = done;
  with_output["calls"][0]["output"] = "ok";
  script({reply(200, done), reply(200, with_output)});
  EXPECT_EQ(run({"await", k_id1, "--json"}), 0);
  EXPECT_EQ(json::parse(m_out.str()), with_output);
  EXPECT_EQ(m_sent[1].json_body().at("output"), true);
  EXPECT_EQ(m_sent[1].json_body().at("timeout"), "0s");
}

TEST_F(CliCommands, AwaitDashReadsTheIdsFromStdin) {
  m_in.str(std::string(k_id1) + "\n  " + k_id2 + " \n\n");
  m_terminal.stdin_tty = false;
  json done = {{"done", true},
               {"calls",
                {call_json(k_id1, CallState::succeeded, 0, 0),
                 call_json(k_id2, CallState::succeeded, 0, 0)}}};
  script({reply(200, done)});
  EXPECT_EQ(run({"await", "-"}), 0);
  ASSERT_EQ(m_sent.size(), 1u);
  EXPECT_EQ(m_sent[0].json_body().at("ids"), (json{k_id1, k_id2}));
}

TEST_F(CliCommands, AwaitDashNeedsIdsAndMustStandAlone) {
  m_in.str(" \n");
  EXPECT_EQ(run({"await", "-"}), 64);
  EXPECT_NE(m_err.str().find("no call IDs on stdin"), std::string::npos) << m_err.str();
  m_err.str("");
  EXPECT_EQ(run({"await", k_id1, "-"}), 64);
  EXPECT_NE(m_err.str().find("'-' must be the only ID"), std::string::npos) << m_err.str();
  m_in.clear();
  m_in.str("not-an-id");
  m_err.str("");
  EXPECT_EQ(run({"await", "-"}), 64);
  EXPECT_NE(m_err.str().find("invalid call id 'not-an-id'"), std::string::npos) << m_err.str();
  EXPECT_TRUE(m_sent.empty());
}

TEST_F(CliCommands, AwaitUnknownIdIsSixtySix) {
  script({reply(404, json{{"error", "unknown call '019a7f2e'"}})});
  EXPECT_EQ(run({"await", "019a7f2e"}), 66);
}

TEST_F(CliCommands, AwaitRidesOutADaemonRestart) {
  json running = {{"done", false}, {"calls", {call_json(k_id1, CallState::running)}}};
  json done = {{"done", true}, {"calls", {call_json(k_id1, CallState::succeeded, 0)}}};
  script({reply(200, running), make_error(ErrorKind::unavailable, "cannot reach fnqd"),
          reply(200, done)});
  EXPECT_EQ(run({"await", k_id1}), 0);
  EXPECT_EQ(m_sent.size(), 3u);
  EXPECT_EQ(m_connects, 2);  // looked up again: a restarted fnqd may listen elsewhere
}

TEST_F(CliCommands, AwaitFailsAtOnceWhenTheDaemonWasNeverReached) {
  script({make_error(ErrorKind::unavailable,
                     "cannot reach fnqd at http://fake:7850: connection "
                     "refused (is fnqd running?)")});
  EXPECT_EQ(run({"await", k_id1}), 69);
  EXPECT_EQ(m_sent.size(), 1u);
}

TEST_F(CliCommands, InvokeSubmitsSyncAndWaits) {
  script({reply(202, call_json(k_id1, CallState::queued)),
          reply(200, json{{"done", true}, {"calls", {call_json(k_id1, CallState::failed, 7, 3)}}}),
          raw_reply("out")});
  EXPECT_EQ(run({"invoke", "resize", "-d", "x"}), 7);
  EXPECT_EQ(m_sent[0].json_body().at("sync"), true);
  EXPECT_EQ(m_sent[1].json_body().at("ids"), (json{k_id1}));
  EXPECT_EQ(m_out.str(), "out");
}

TEST_F(CliCommands, CancelPrintsIdAndResultPerCall) {
  script(
      {reply(200, json{{"result", "cancelled"}, {"call", call_json(k_id1, CallState::cancelled)}}),
       reply(404, json{{"error", "unknown call '019a7f2f'"}}),
       reply(200, json{{"result", "already_terminal"},
                       {"call", call_json(k_id2, CallState::succeeded, 0)}})});
  EXPECT_EQ(run({"cancel", "019a7f2e-5c1b", "019a7f2f", k_id2}), 66);
  EXPECT_EQ(m_sent[0].path, "/v1/calls/019a7f2e-5c1b/cancel");
  EXPECT_EQ(m_out.str(), std::string(k_id1) + " cancelled\n" + k_id2 + " already_terminal\n");
}

TEST_F(CliCommands, RetryPrintsNewState) {
  script({reply(202, call_json(k_id1, CallState::queued))});
  EXPECT_EQ(run({"retry", k_id1}), 0);
  EXPECT_EQ(m_out.str(), std::string(k_id1) + " queued\n");
}

TEST_F(CliCommands, ListTable) {
  script({reply(
      200, json{{"calls",
                 {call_json(k_id2, CallState::succeeded, 0), call_json(k_id1, CallState::waiting)}},
                {"next_before", nullptr}})});
  EXPECT_EQ(run({"list", "--state", "succeeded"}), 0);
  EXPECT_EQ(m_sent[0].path, "/v1/calls?state=succeeded");
  std::istringstream lines(m_out.str());
  std::string header, row1, row2;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_EQ(header.rfind("ID", 0), 0u);
  EXPECT_EQ(header.find("FUNCTION"), row1.find("resize"));
  EXPECT_EQ(header.find("STATE"), row2.find("waiting"));
  EXPECT_EQ(header.find("DURATION"), row1.find("12ms"));
}

TEST_F(CliCommands, OutputAndLogsAreRaw) {
  script({raw_reply(std::string("\x89PNG\0", 5)), raw_reply("warning\n")});
  EXPECT_EQ(run({"output", k_id1}), 0);
  EXPECT_EQ(run({"logs", k_id1}), 0);
  EXPECT_EQ(m_out.str(), std::string("\x89PNG\0", 5) + "warning\n");
  EXPECT_EQ(m_sent[1].path, std::string("/v1/calls/") + k_id1 + "/stderr");
}

TEST_F(CliCommands, FnAddPutsTheDefinition) {
  script({[] {
    HttpResponse r = reply(201, json{{"name", "resize"}});
    return r;
  }()});
  EXPECT_EQ(
      run({"fn", "add", "resize", "--concurrency", "2", "--", "convert", "-", "-resize", "50%"}),
      0);
  EXPECT_EQ(m_sent[0].method, "PUT");
  EXPECT_EQ(m_sent[0].path, "/v1/functions/resize");
  json body = m_sent[0].json_body();
  EXPECT_EQ(body.at("command"), (json{"convert", "-", "-resize", "50%"}));
  EXPECT_EQ(body.at("concurrency"), 2);
  EXPECT_EQ(m_out.str(), "");
  EXPECT_EQ(m_err.str(), "fnq: function 'resize' created\n");
}

TEST_F(CliCommands, FnAddInvalidNameSendsNothing) {
  EXPECT_EQ(run({"fn", "add", "Resize", "--", "convert"}), 65);
  EXPECT_TRUE(m_sent.empty());
  EXPECT_EQ(m_err.str().rfind("fnq: error: invalid function name 'Resize': ", 0), 0u);
}

TEST_F(CliCommands, FnApplyChecksAllBeforeSendingAny) {
  test::TempDir dir;
  test::write_file(dir.file("f.json"), R"([{"name": "a", "command": ["x"]},
                                           {"name": "b", "command": ["y"], "concurrency": -1}])");
  EXPECT_EQ(run({"fn", "apply", "-f", dir.file("f.json")}), 65);
  EXPECT_TRUE(m_sent.empty());
  EXPECT_NE(m_err.str().find("at index 1: concurrency: "), std::string::npos) << m_err.str();
}

TEST_F(CliCommands, FnApplyFromStdin) {
  m_in.str(R"({"name": "a", "command": ["x"]})");
  script({reply(200, json{{"name", "a"}})});
  EXPECT_EQ(run({"fn", "apply", "-f", "-"}), 0);
  EXPECT_EQ(m_sent[0].path, "/v1/functions/a");
  EXPECT_EQ(m_err.str(), "fnq: function 'a' updated\n");
}

TEST_F(CliCommands, FnRmConflictSuggestsForce) {
  script({reply(409, json{{"error",
                           "function 'resize' has 2 unfinished calls "
                           "(delete with ?force=true to cancel them)"}})});
  EXPECT_EQ(run({"fn", "rm", "resize"}), 1);
  EXPECT_EQ(m_sent[0].method, "DELETE");
  EXPECT_NE(m_err.str().find("has 2 unfinished calls (add --force"), std::string::npos)
      << m_err.str();
  EXPECT_EQ(m_err.str().find("?force=true"), std::string::npos) << m_err.str();
  script({reply(200, json{{"deleted", "resize"}, {"cancelled", {k_id1}}})});
  EXPECT_EQ(run({"fn", "rm", "resize", "--force"}), 0);
  EXPECT_EQ(m_sent[1].path, "/v1/functions/resize?force=true");
}

TEST_F(CliCommands, FnLsTable) {
  script({reply(200, json{{"functions",
                           {{{"name", "resize"},
                             {"command", {"convert", "-"}},
                             {"concurrency", 2},
                             {"exec_timeout", "30s"}},
                            {{"name", "x"},
                             {"command", {"sh", "-c", "echo hi"}},
                             {"concurrency", nullptr},
                             {"exec_timeout", nullptr}}}}})});
  EXPECT_EQ(run({"fn", "ls"}), 0);
  EXPECT_EQ(m_out.str(),
            "NAME    COMMAND          CONCURRENCY  TIMEOUT\n"
            "resize  convert -        2            30s\n"
            "x       sh -c 'echo hi'  -            -\n");
}

TEST_F(CliCommands, PruneAndPing) {
  script({reply(200, json{{"deleted", 4}}),
          reply(200, json{{"version", "0.1.0"}, {"url", "http://127.0.0.1:7850"}})});
  EXPECT_EQ(run({"prune", "--older-than", "1d"}), 0);
  EXPECT_EQ(m_sent[0].json_body(), (json{{"older_than", "1d"}}));
  EXPECT_EQ(m_err.str(), "fnq: deleted 4 finished calls\n");
  EXPECT_EQ(run({"ping"}), 0);
  EXPECT_EQ(m_sent[1].path, "/v1/info");
  EXPECT_EQ(m_out.str(), "fnqd 0.1.0 at http://fake:7850: ok\n");
}

}  // namespace
}  // namespace fnq::cli
