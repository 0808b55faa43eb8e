// Every exit code of SPEC §5, from the real fnq against a real fnqd (issue:
// the fnq command line).
#include <sys/stat.h>

#include "integration/cli_support.h"

namespace fnq::test {
namespace {

using CliExitCodes = CliTest;

constexpr const char* k_unknown_id = "01a20c24-107f-7012-acfd-c5804144c57f";

TEST_F(CliExitCodes, ZeroWhenEveryCallSucceeded) {
  add_function("ok", {"cat"});
  std::string a = fnq_ok({"submit", "ok", "-d", "a"});
  std::string b = fnq_ok({"submit", "ok", "-d", "b"});
  EXPECT_EQ(expect_exit(0, {"await", a, b}).out, "ab");
  EXPECT_EQ(expect_exit(0, {"invoke", "ok", "-d", "c"}).out, "c");
}

TEST_F(CliExitCodes, TheCallsOwnCodeForTheFirstUnsuccessfulInTheOrderGiven) {
  add_function("ok", {"cat"});
  add_function("exit", {"sh", "-c", "exit $(cat)"});
  std::string ok = fnq_ok({"submit", "ok", "-d", ""});
  std::string three = fnq_ok({"submit", "exit", "-d", "3"});
  std::string four = fnq_ok({"submit", "exit", "-d", "4"});
  std::string high = fnq_ok({"submit", "exit", "-d", "200"});
  expect_exit(3, {"await", ok, three, four});
  expect_exit(4, {"await", ok, four, three});
  expect_exit(200, {"await", high, three});
  RunResult r = expect_exit(3, {"invoke", "exit", "-d", "3"});
  EXPECT_NE(r.err.find("failed: exit status 3"), std::string::npos) << r.err;
}

TEST_F(CliExitCodes, TimedOutIs124) {
  add_function("slow", {"sleep", "30"}, {"--exec-timeout", "200ms"});
  std::string id = fnq_ok({"submit", "slow"});
  RunResult r = expect_exit(124, {"await", id});
  EXPECT_NE(r.err.find("timed_out"), std::string::npos) << r.err;
  expect_exit(124, {"invoke", "slow"});
}

TEST_F(CliExitCodes, KilledBySignalNIs128PlusN) {
  add_function("kill", {"sh", "-c", "kill -$(cat) $$"});
  expect_exit(128 + 9, {"await", fnq_ok({"submit", "kill", "-d", "KILL"})});
  expect_exit(128 + 15, {"invoke", "kill", "-d", "TERM"});
}

TEST_F(CliExitCodes, CancelledAndSkippedAre125) {
  add_function("ok", {"cat"});
  std::string first = submit_parked("ok");
  std::string after = fnq_ok({"submit", "ok", "--needs", first, "-d", ""});
  EXPECT_EQ(fnq_ok({"cancel", first}), first + " cancelled");
  ASSERT_TRUE(wait_for_state(after, "skipped"));
  expect_exit(125, {"await", first});
  expect_exit(125, {"await", after});
  expect_exit(125, {"await", first, after});
}

TEST_F(CliExitCodes, TimeoutBeforeEveryCallFinishedIs75AndWritesNothing) {
  add_function("ok", {"cat"});
  std::string done = fnq_ok({"submit", "ok", "-d", "output"});
  expect_exit(0, {"await", done});
  std::string parked = submit_parked("ok");
  RunResult r = expect_exit(75, {"await", "--timeout", "100ms", done, parked});
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("1 of 2 calls not finished"), std::string::npos) << r.err;
  expect_exit(75, {"await", "--timeout", "0", parked});
}

TEST_F(CliExitCodes, UsageErrorsAre64) {
  add_function("ok", {"cat"});
  const std::vector<std::vector<std::string>> usage_errors = {
      {},
      {"nosuchcommand"},
      {"fn"},
      {"fn", "nosuch"},
      {"submit"},
      {"submit", "ok", "--no-such-flag"},
      {"submit", "ok", "--priority", "high"},
      {"submit", "ok", "--delay", "soon"},
      {"submit", "ok", "--delay", "1s", "--at", "2030-01-01T00:00:00Z"},
      {"submit", "ok", "-d", "x", "-f", "file"},
      {"submit", "ok", "-H", "no colon"},
      {"submit", "ok", "--lines", "--key", "k"},
      {"await", "--timeout", "forever", k_unknown_id},
      {"status", "01a2"},
      {"status", "not-an-id-at-all"},
      {"list", "--state", "done"},
      {"list", "--limit", "many"},
      {"fn", "add", "x"},
      {"fn", "add", "x", "--env", "NOEQUALS", "--", "cat"},
      {"fn", "apply"},
      {"prune", "--older-than", "old"},
      {"--url"},
      {"--url", "https://127.0.0.1:7850", "ping"},
      {"--url", "http://127.0.0.1:99999", "ping"},
  };
  for (const auto& args : usage_errors) {
    expect_one_error(expect_exit(64, args), command_line(args));
  }
}

TEST_F(CliExitCodes, BadInputIs65) {
  add_function("ok", {"cat"});
  write_file(file("malformed.json"), "{\"name\": \"x\", \"command\": [\"cat\"]");
  write_file(file("invalid.json"), R"({"name": "x", "command": "cat"})");
  write_file(file("unknown_field.json"), R"({"name": "x", "command": ["cat"], "timeout": "1s"})");
  const std::vector<std::vector<std::string>> bad_inputs = {
      {"submit", "Bad_Name", "-d", "x"},
      {"submit", "nosuch", "-d", "x"},
      {"invoke", "nosuch", "-d", "x"},
      {"fn", "add", "Bad", "--", "cat"},
      {"fn", "add", "x", "--callback", "ftp://nowhere", "--", "cat"},
      {"fn", "show", "nosuch"},
      {"fn", "rm", "nosuch"},
      {"fn", "apply", "-f", file("malformed.json")},
      {"fn", "apply", "-f", file("invalid.json")},
      {"fn", "apply", "-f", file("unknown_field.json")},
      {"list", "--limit", "0"},  // out of range, as for every bounded value
      {"list", "--limit", "1001"},
      {"pipeline", "ls", "--limit", "0"},
  };
  for (const auto& args : bad_inputs) {
    expect_one_error(expect_exit(65, args), command_line(args));
  }
  RunResult r = expect_exit(65, {"fn", "apply", "-f", "-"}, "[1, 2");
  EXPECT_NE(r.err.find("malformed JSON"), std::string::npos) << r.err;
}

TEST_F(CliExitCodes, UnknownCallIdIs66) {
  add_function("ok", {"cat"});
  for (const std::string command : {"status", "await", "output", "logs", "cancel", "retry"}) {
    RunResult r = expect_exit(66, {command, k_unknown_id});
    EXPECT_NE(r.err.find("unknown call"), std::string::npos) << command << ": " << r.err;
  }
  expect_exit(66, {"status", "01a20c24"});  // a prefix of nothing
  expect_exit(66, {"submit", "ok", "--needs", k_unknown_id, "-d", ""});
  expect_exit(66, {"submit", "ok", "-f", file("no-such-input")});
}

TEST_F(CliExitCodes, UnknownIdAmongKnownOnesStillShowsTheOthers) {
  add_function("ok", {"cat"});
  std::string id = fnq_ok({"submit", "ok", "-d", "x"});
  RunResult r = expect_exit(66, {"status", id, k_unknown_id});
  EXPECT_EQ(r.out.rfind(id, 0), 0u) << r.out;
}

TEST_F(CliExitCodes, NoDaemonIs69) {
  ::mkdir(file("empty").c_str(), 0700);
  RunResult r = expect_exit(69, {"ping"}, {}, {{"FNQ_STATE_DIR", file("empty")}});
  expect_one_error(r, "ping without fnqd.json");
  EXPECT_NE(r.err.find("fnqd.json"), std::string::npos) << r.err;
  std::string url = m_daemon->url();
  EXPECT_EQ(m_daemon->stop(), 0);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"ping"},
                                               {"submit", "ok", "-d", "x"},
                                               {"await", k_unknown_id},
                                               {"fn", "ls"}}) {
    std::vector<std::string> with_url = {"--url", url};
    with_url.insert(with_url.end(), args.begin(), args.end());
    r = expect_exit(69, with_url);
    expect_one_error(r, command_line(with_url));
    EXPECT_NE(r.err.find("cannot reach fnqd at " + url), std::string::npos) << r.err;
  }
}

TEST_F(CliExitCodes, RefusedTokenIs77) {
  add_function("ok", {"cat"});
  for (const std::vector<std::string>& args : {std::vector<std::string>{"ping"},
                                               {"submit", "ok", "-d", "x"},
                                               {"status", k_unknown_id},
                                               {"fn", "ls"}}) {
    RunResult r = expect_exit(77, args, {}, {{"FNQ_TOKEN", "wrong"}});
    expect_one_error(r, command_line(args));
  }
  write_file(file("wrong-token"), "0123\n");
  expect_exit(77, {"--token-file", file("wrong-token"), "ping"});
  expect_exit(77, {"ping"}, {}, {{"FNQ_TOKEN_FILE", file("no-such-token")}});
  expect_exit(0, {"ping"}, {}, {{"FNQ_TOKEN_FILE", state_dir() + "/token"}});
}

}  // namespace
}  // namespace fnq::test
