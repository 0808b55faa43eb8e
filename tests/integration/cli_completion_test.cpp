// Shell completion (contrib/fnq.bash-completion, contrib/_fnq): it loads
// cleanly, and offers what fnq's own --help lists, and the functions of the
// running fnqd (issue: the fnq command line).
#include <regex>

#include "integration/cli_support.h"
#include "integration/docs_help.h"

namespace fnq::test {
namespace {

const std::string k_bash_completion = std::string(FNQ_SOURCE_DIR) + "/contrib/fnq.bash-completion";

bool have(const std::string& program) {
  return run_program({"sh", "-c", "command -v " + program}).exit_code == 0;
}

// Runs _fnq on a command line whose last word is being completed; returns
// COMPREPLY, sorted.
std::vector<std::string> complete(const std::vector<std::string>& words,
                                  std::map<std::string, std::string> env = {}) {
  for (const char* var : {"FNQ_URL", "FNQ_TOKEN", "FNQ_TOKEN_FILE", "FNQ_STATE_DIR"}) {
    env.emplace(var, "");  // unset unless given
  }
  std::vector<std::string> argv = {
      "bash", "-c",
      "source \"$1\" && shift && COMP_WORDS=(\"$@\") && COMP_CWORD=$(($# - 1)) && _fnq && "
      "printf '%s\\n' \"${COMPREPLY[@]}\"",
      "bash", k_bash_completion};
  argv.insert(argv.end(), words.begin(), words.end());
  RunResult r = run_program(argv, {}, env, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "") << "completing: " << command_line(words);
  std::vector<std::string> reply;
  for (const auto& line : lines_of(r.out)) {
    if (!line.empty()) {
      reply.push_back(line);
    }
  }
  std::sort(reply.begin(), reply.end());
  return reply;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class CliCompletion : public CliTest {
 protected:
  void SetUp() override {
    if (!have("bash")) {
      GTEST_SKIP() << "bash is not installed";
    }
    CliTest::SetUp();
  }
};

TEST(CliCompletionScript, LoadsWithoutErrorsAndRegistersFnq) {
  if (!have("bash")) {
    GTEST_SKIP() << "bash is not installed";
  }
  RunResult r =
      run_program({"bash", "-c", "source \"$1\" && complete -p fnq", "bash", k_bash_completion});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "complete -F _fnq fnq\n");
  r = run_program({"bash", "-n", k_bash_completion});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (have("shellcheck")) {
    r = run_program({"shellcheck", "-s", "bash", k_bash_completion});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
}

TEST(CliCompletionScript, OffersTheCommandsAndFlagsFnqHelpLists) {
  if (!have("bash")) {
    GTEST_SKIP() << "bash is not installed";
  }
  HelpPage top = help_of({FNQ_BIN});
  EXPECT_EQ(complete({"fnq", ""}), sorted(top.subcommands));
  EXPECT_EQ(complete({"fnq", "-"}), sorted(top.flags));
  EXPECT_EQ(complete({"fnq", "su"}), std::vector<std::string>{"submit"});
  for (const auto& [path, help] : fnq_command_helps()) {
    std::vector<std::string> words = {"fnq"};
    words.insert(words.end(), path.begin(), path.end());
    if (!help.subcommands.empty()) {
      words.push_back("");
      EXPECT_EQ(complete(words), sorted(help.subcommands)) << command_line(path);
      words.pop_back();
    }
    words.push_back("-");
    EXPECT_EQ(complete(words), sorted(help.flags))
        << "completing the flags of" << command_line(path).substr(3);
  }
}

TEST(CliCompletionScript, OffersStatesAndSkipsOptionValues) {
  if (!have("bash")) {
    GTEST_SKIP() << "bash is not installed";
  }
  // The states 'fnq list --help' names.
  HelpPage list = help_of({FNQ_BIN, "list"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(list.text, m, std::regex("STATE: ([a-z_, ]+)"))) << list.text;
  std::vector<std::string> states;
  std::string names = m[1];
  std::regex word("[a-z_]+");
  for (auto it = std::sregex_iterator(names.begin(), names.end(), word);
       it != std::sregex_iterator(); ++it) {
    states.push_back(it->str());
  }
  ASSERT_EQ(states.size(), 8u) << names;
  EXPECT_EQ(complete({"fnq", "list", "--state", ""}), sorted(states));
  EXPECT_EQ(complete({"fnq", "list", "--limit", "5", "--state", "fa"}),
            std::vector<std::string>{"failed"});
  // An option's value is not the command: "fnq --url URL s" completes commands.
  EXPECT_EQ(complete({"fnq", "--url", "http://x:1", "st"}), std::vector<std::string>{"status"});
  EXPECT_EQ(complete({"fnq", "fn", "add", "x", "--workdir", "/tmp", "--", "tru"}).front(), "true");
}

TEST_F(CliCompletion, OffersTheFunctionsOfTheRunningDaemon) {
  add_function("alpha", {"cat"});
  add_function("beta.2", {"cat"});
  add_function("gamma-x", {"cat"});
  std::map<std::string, std::string> env = {{"FNQ_STATE_DIR", state_dir()}};
  const std::vector<std::string> all = {"alpha", "beta.2", "gamma-x"};
  EXPECT_EQ(complete({FNQ_BIN, "submit", ""}, env), all);
  EXPECT_EQ(complete({FNQ_BIN, "invoke", "g"}, env), std::vector<std::string>{"gamma-x"});
  EXPECT_EQ(complete({FNQ_BIN, "fn", "rm", "b"}, env), std::vector<std::string>{"beta.2"});
  EXPECT_EQ(complete({FNQ_BIN, "fn", "show", ""}, env), all);
  EXPECT_EQ(complete({FNQ_BIN, "list", "--function", ""}, env), all);
  EXPECT_EQ(complete({FNQ_BIN, "submit", "alpha", ""}, env), std::vector<std::string>{})
      << "only the first argument is a function";
  // The global options on the line find the daemon.
  EXPECT_EQ(complete({FNQ_BIN, "--state-dir", state_dir(), "submit", ""},
                     {{"FNQ_STATE_DIR", file("elsewhere")}}),
            all);
  // No daemon: nothing offered, nothing printed.
  EXPECT_EQ(complete({FNQ_BIN, "submit", ""}, {{"FNQ_STATE_DIR", file("elsewhere")}}),
            std::vector<std::string>{});
}

TEST(CliCompletionScript, ZshCompletionParses) {
  if (!have("zsh")) {
    GTEST_SKIP() << "zsh is not installed";
  }
  RunResult r = run_program({"zsh", "-n", std::string(FNQ_SOURCE_DIR) + "/contrib/_fnq"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace fnq::test
