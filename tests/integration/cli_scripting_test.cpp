// What scripts rely on (issue: the fnq command line): submit --lines makes a
// batch in one request, await keeps the order given, fn apply is all or
// nothing, stderr stays clean off a terminal, and every --help has an example.
#include <httplib.h>

#include <cctype>

#include "integration/cli_support.h"
#include "integration/docs_help.h"

namespace fnq::test {
namespace {

using CliScripting = CliTest;

// The value of one counter in fnqd's /metrics, or -1.
long metric(httplib::Client& client, const std::string& series) {
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) {
    ADD_FAILURE() << "GET /metrics failed";
    return -1;
  }
  for (const auto& line : lines_of(res->body)) {
    if (line.rfind(series + " ", 0) == 0) {
      return std::stol(line.substr(series.size() + 1));
    }
  }
  return -1;
}

TEST_F(CliScripting, SubmitLinesMakesOneCallPerLineInOneRequest) {
  add_function("cat", {"cat"});
  // Line i is i+1 "x"s, so each call's input size tells which line it got.
  std::string input;
  for (int i = 0; i < 1000; ++i) {
    input += std::string(static_cast<std::size_t>(i + 1), 'x') + "\n";
  }
  RunResult r = fnq({"submit", "cat", "--lines", "--delay", "1h"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto ids = lines_of(r.out);
  ASSERT_EQ(ids.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1000u) << "repeated IDs";
  for (const auto& id : ids) {
    ASSERT_TRUE(is_call_id(id)) << id;
  }
  EXPECT_EQ(metric(*http(), R"(fnq_http_requests_total{route="/v1/calls",status="202"})"), 1)
      << "submit --lines should send one request";

  json list = json_of({"list", "--json", "--limit", "1000"});
  ASSERT_EQ(list["calls"].size(), 1000u);
  std::map<std::string, int> size_of;
  for (const auto& call : list["calls"]) {
    size_of[call["id"]] = call["input_size"];
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ(size_of[ids[i]], static_cast<int>(i) + 2) << "ID " << i << " is not line " << i;
  }
}

TEST_F(CliScripting, SubmitLinesGivesEachCallItsLine) {
  add_function("cat", {"cat"});
  std::string ids = fnq_ok({"submit", "cat", "--lines"}, "alpha\r\n\nbeta\ngamma");
  std::vector<std::string> args = {"await"};
  for (const auto& id : lines_of(ids)) {
    args.push_back(id);
  }
  ASSERT_EQ(args.size(), 4u) << "empty lines make no call";
  EXPECT_EQ(expect_exit(0, args).out, "alpha\nbeta\ngamma\n");
  RunResult none = expect_exit(0, {"submit", "cat", "--lines"}, "\n\n");
  EXPECT_EQ(none.out, "");
}

TEST_F(CliScripting, AwaitDashTakesTheIdsThatSubmitLinesPrints) {
  add_function("cat", {"cat"});
  std::string ids = fnq_ok({"submit", "cat", "--lines"}, "one\ntwo\nthree\n");
  EXPECT_EQ(expect_exit(0, {"await", "-"}, ids).out, "one\ntwo\nthree\n");
}

TEST_F(CliScripting, AwaitWritesOutputsInTheOrderGiven) {
  add_function("cat", {"cat"}, {"--concurrency", "3"});
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    ids.push_back(fnq_ok({"submit", "cat", "-d", "<" + std::to_string(i) + ">"}));
  }
  // Shuffled the same way every time: 0, 5, 10, 3, 8, 1, ...
  std::vector<std::string> args = {"await"};
  std::string expected;
  for (int k = 0; k < 12; ++k) {
    int i = (k * 5) % 12;
    args.push_back(ids[static_cast<std::size_t>(i)]);
    expected += "<" + std::to_string(i) + ">";
  }
  RunResult r = expect_exit(0, args);
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(r.err, "");
  args.push_back(ids[0]);  // asked twice, written twice
  EXPECT_EQ(expect_exit(0, args).out, expected + "<0>");
}

TEST_F(CliScripting, FnApplyWithOneInvalidDefinitionChangesNothing) {
  add_function("existing", {"cat"}, {"--concurrency", "1"});
  std::string before = fnq_ok({"fn", "ls", "--json"});
  write_file(file("mixed.json"), R"([
    {"name": "existing", "command": ["tr", "a-z", "A-Z"], "concurrency": 5},
    {"name": "fresh", "command": ["cat"]},
    {"name": "broken", "command": ["cat"], "exec_timeout": "soon"}
  ])");
  RunResult r = expect_exit(65, {"fn", "apply", "-f", file("mixed.json")});
  EXPECT_NE(r.err.find("index 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exec_timeout"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing was applied"), std::string::npos) << r.err;
  EXPECT_EQ(fnq_ok({"fn", "ls", "--json"}), before);
  expect_exit(65, {"fn", "show", "fresh"});

  write_file(file("good.json"), R"([{"name": "fresh", "command": ["cat"]}])");
  RunResult ok = expect_exit(0, {"fn", "apply", "-f", file("good.json")});
  EXPECT_NE(ok.err.find("function 'fresh' created"), std::string::npos) << ok.err;
}

TEST_F(CliScripting, NoProgressLineWhenStderrIsNotATerminal) {
  add_function("cat", {"cat"});
  std::string now = fnq_ok({"submit", "cat", "-d", "a"});
  std::string later = fnq_ok({"submit", "cat", "-d", "b", "--delay", "1500ms"});
  RunResult r = expect_exit(0, {"await", now, later});
  EXPECT_EQ(r.out, "ab");
  EXPECT_EQ(r.err, "") << "stderr is a pipe here: no progress line";
  r = expect_exit(0, {"invoke", "cat", "-d", "c"});
  EXPECT_EQ(r.err, "");
}

TEST_F(CliScripting, ProgressLineOnATerminal) {
  if (run_program({"sh", "-c", "script -qec true /dev/null"}).exit_code != 0) {
    GTEST_SKIP() << "script(1) from util-linux is needed for a terminal";
  }
  add_function("cat", {"cat"});
  std::string now = fnq_ok({"submit", "cat", "-d", "a"});
  // Still waiting when the first one-second poll of a terminal answers.
  std::string later = fnq_ok({"submit", "cat", "-d", "b", "--delay", "3s"});
  std::string command = std::string(FNQ_BIN) + " await " + now + " " + later + " >/dev/null";
  RunResult r =
      run_program({"script", "-qec", command, "/dev/null"}, {}, {{"FNQ_STATE_DIR", state_dir()}});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("1/2 done"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\r\033[K"), std::string::npos) << "the line is erased at the end";
}

TEST(CliHelp, EveryCommandsHelpHasAnExample) {
  auto helps = fnq_command_helps();
  helps[{}] = help_of({FNQ_BIN});
  for (const auto& [path, help] : helps) {
    std::string title = "fnq";
    for (const auto& p : path) {
      title += " " + p;
    }
    auto at = help.text.find("Example:\n");
    EXPECT_NE(at, std::string::npos) << title << " --help has no example:\n" << help.text;
    if (at != std::string::npos) {
      auto use = help.text.find(title, at);
      bool whole = use != std::string::npos &&
                   (use + title.size() == help.text.size() ||
                    std::isspace(static_cast<unsigned char>(help.text[use + title.size()])));
      EXPECT_TRUE(whole) << title << " --help: the example does not use " << title << ":\n"
                         << help.text;
    }
  }
}

}  // namespace
}  // namespace fnq::test
