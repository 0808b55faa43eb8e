// What scripts and people see from fnq against a fake daemon: --json on
// every command, unknown commands named, notes without repetition.
#include "unit/cli_fake_daemon.h"

namespace fnq::cli {
namespace {

using namespace fnq::cli::fake;  // NOLINT
using CliScripting = FakeDaemonTest;

TEST_F(CliScripting, OutputJsonCarriesTheFullIdAndText) {
  script({raw_reply("hello"), reply(200, call_json(k_id1, CallState::succeeded, 0, 5))});
  EXPECT_EQ(run({"output", "019A7F2E-5C1B", "--json"}), 0);
  EXPECT_EQ(json::parse(m_out.str()), (json{{"id", k_id1}, {"output", "hello"}}));
  EXPECT_EQ(m_sent[0].path, "/v1/calls/019a7f2e-5c1b/output");
  EXPECT_EQ(m_sent[1].path, "/v1/calls/019a7f2e-5c1b");
}

TEST_F(CliScripting, OutputJsonOfBytesIsBase64) {
  script({raw_reply(std::string("\x89PNG\0", 5)),
          reply(200, call_json(k_id1, CallState::succeeded, 0, 5))});
  EXPECT_EQ(run({"--json", "output", k_id1}), 0);
  EXPECT_EQ(json::parse(m_out.str()), (json{{"id", k_id1}, {"output_base64", "iVBORwA="}}));
}

TEST_F(CliScripting, LogsJson) {
  script({raw_reply("warning\n"), reply(200, call_json(k_id1, CallState::failed, 1))});
  EXPECT_EQ(run({"logs", k_id1, "--json"}), 0);
  EXPECT_EQ(json::parse(m_out.str()), (json{{"id", k_id1}, {"stderr", "warning\n"}}));
}

TEST_F(CliScripting, FnShowTakesJson) {
  script({reply(200, json{{"name", "resize"}})});
  EXPECT_EQ(run({"fn", "show", "resize", "--json"}), 0);
  EXPECT_EQ(json::parse(m_out.str()), (json{{"name", "resize"}}));
}

TEST_F(CliScripting, UnknownCommandIsNamed) {
  EXPECT_EQ(run({"fn", "lsx"}), 64);
  EXPECT_EQ(m_err.str(), "fnq: error: unknown command 'lsx' (see 'fnq fn --help')\n");
  m_err.str("");
  EXPECT_EQ(run({"sumbit", "resize"}), 64);
  EXPECT_EQ(m_err.str(), "fnq: error: unknown command 'sumbit' (see 'fnq --help')\n");
  m_err.str("");
  EXPECT_EQ(run({"submit", "resize", "extra"}), 64);  // an argument, not a command
  EXPECT_EQ(m_err.str().rfind("fnq: error: invalid arguments: ", 0), 0u) << m_err.str();
  EXPECT_TRUE(m_sent.empty());
}

// Each command is built alone when named (the rest cost start-up time), and
// its help then reads as it does beside the others.
TEST_F(CliScripting, EveryCommandIsBuiltAloneWhenNamed) {
  ASSERT_EQ(run({"--help"}), 0);
  std::istringstream help(m_out.str());
  std::string line;
  while (std::getline(help, line) && line != "Subcommands:") {
  }
  std::vector<std::pair<std::string, std::string>> commands;
  while (std::getline(help, line) && !line.empty()) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    std::string description;
    std::getline(words >> std::ws, description);
    commands.emplace_back(name, description);
  }
  ASSERT_EQ(commands.size(), 13u) << m_out.str();
  for (const auto& [name, description] : commands) {
    EXPECT_TRUE(builds_one_command({name}));
    EXPECT_TRUE(builds_one_command({"--url", "http://h:1", "--json", name, "x"}));
    EXPECT_TRUE(builds_one_command({"--state-dir=/s", name}));
    m_out.str("");
    EXPECT_EQ(run({name, "--help"}), 0) << name;
    EXPECT_EQ(m_out.str().rfind(description, 0), 0u) << name << ": " << m_out.str();
  }
  EXPECT_FALSE(builds_one_command({}));
  EXPECT_FALSE(builds_one_command({"--help"}));
  EXPECT_FALSE(builds_one_command({"sumbit"}));
  EXPECT_FALSE(builds_one_command({"--url", "submit"}));  // the URL, not a command
  EXPECT_FALSE(builds_one_command({"--", "submit"}));
}

TEST_F(CliScripting, VersionAloneBuildsNoCommand) {
  EXPECT_EQ(run({"--version"}), 0);
  EXPECT_EQ(m_out.str().rfind("fnq ", 0), 0u) << m_out.str();
  m_out.str("");
  EXPECT_EQ(run({"--url", "http://h:1", "--version"}), 0);
  EXPECT_EQ(m_out.str().rfind("fnq ", 0), 0u);
  m_out.str("");
  EXPECT_EQ(run({"--version", "--help"}), 0);  // help, with every command
  EXPECT_NE(m_out.str().find("submit"), std::string::npos) << m_out.str();
  EXPECT_EQ(run({"--version", "sumbit"}), 64);
  EXPECT_NE(m_err.str().find("unknown command 'sumbit'"), std::string::npos) << m_err.str();
}

TEST_F(CliScripting, CancelledNoteSaysItOnce) {
  json call = call_json(k_id1, CallState::cancelled);
  call["error"] = "cancelled";
  script({reply(200, json{{"done", true}, {"calls", {call}}})});
  EXPECT_EQ(run({"await", k_id1}), 125);
  EXPECT_EQ(m_err.str(), std::string("fnq: call ") + k_id1 + " (resize) cancelled\n");
}

}  // namespace
}  // namespace fnq::cli
