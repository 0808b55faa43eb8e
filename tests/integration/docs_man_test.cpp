// The man pages document every command, subcommand and flag of fnq and fnqd,
// as the programs list them in --help, and are lint-clean (issue: the fnq
// command line). A new flag without documentation fails here.
#include <dirent.h>

#include <set>

#include "integration/docs_help.h"
#include "integration/fixture.h"

namespace fnq::test {
namespace {

std::string man_page(const std::string& name) {
  std::string text = read_file(std::string(FNQ_SOURCE_DIR) + "/man/" + name);
  EXPECT_FALSE(text.empty()) << "man/" << name << " is missing or empty";
  return text;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

// fnqd's defaults that depend on the machine, not on the code.
const std::set<std::string> k_machine_defaults = {"--max-inflight"};

TEST(DocsMan, FnqPageDocumentsTheGlobalOptions) {
  std::string page = man_page("fnq.1");
  HelpPage top = help_of({FNQ_BIN});
  ASSERT_GE(top.flags.size(), 5u) << top.text;
  std::string globals = man_section(page, ".Ss", "Global options");
  ASSERT_FALSE(globals.empty()) << "fnq.1 has no '.Ss Global options'";
  auto documented = man_flags(globals, true);
  for (const auto& flag : top.flags) {
    EXPECT_EQ(documented.count(flag), 1u) << "fnq.1, Global options: no item for " << flag;
  }
  for (const auto& flag : documented) {
    EXPECT_NE(std::find(top.flags.begin(), top.flags.end(), flag), top.flags.end())
        << "fnq.1, Global options: documents " << flag << ", which 'fnq --help' does not list";
  }
}

TEST(DocsMan, FnqPageDocumentsEveryCommandAndItsFlags) {
  std::string page = man_page("fnq.1");
  HelpPage top = help_of({FNQ_BIN});
  std::set<std::string> global(top.flags.begin(), top.flags.end());
  auto helps = fnq_command_helps();
  ASSERT_EQ(helps.count({"submit"}), 1u) << top.text;
  ASSERT_EQ(helps.count({"fn", "add"}), 1u) << "fnq fn --help lists no 'add'";
  for (const auto& [path, help] : helps) {
    std::string title = "fnq " + joined(path);
    std::string section = man_section(page, ".Ss", title);
    if (section.empty()) {
      ADD_FAILURE() << "fnq.1 has no '.Ss " << title << "' for the command";
      continue;
    }
    auto items = man_flags(section, true);
    for (const auto& flag : help.flags) {
      if (global.count(flag) == 0) {  // global options are documented once
        EXPECT_EQ(items.count(flag), 1u) << "fnq.1, " << title << ": no item for " << flag
                                         << " (.It Fl " << flag.substr(1) << ")";
      }
    }
    std::set<std::string> known(help.flags.begin(), help.flags.end());
    for (const auto& flag : items) {
      EXPECT_TRUE(known.count(flag) == 1 || global.count(flag) == 1)
          << "fnq.1, " << title << ": documents " << flag << ", which '" << title
          << " --help' does not list";
    }
  }
}

TEST(DocsMan, FnqdPageDocumentsEveryFlagWithItsDefaultAndVariable) {
  std::string options = man_section(man_page("fnqd.8"), ".Sh", "OPTIONS");
  ASSERT_FALSE(options.empty()) << "fnqd.8 has no '.Sh OPTIONS'";
  HelpPage help = help_of({FNQD_BIN});
  ASSERT_GE(help.flags.size(), 10u) << help.text;
  auto documented = man_flags(options, true);
  for (const auto& flag : help.flags) {
    if (documented.count(flag) == 0) {
      ADD_FAILURE() << "fnqd.8, OPTIONS: no item for " << flag;
      continue;
    }
    std::string item = man_item(options, flag);
    if (auto env = help.env.find(flag); env != help.env.end()) {
      EXPECT_NE(item.find(env->second), std::string::npos)
          << "fnqd.8: the item of " << flag << " does not name " << env->second << ":\n"
          << item;
    }
    auto def = help.defaults.find(flag);
    if (def != help.defaults.end() && k_machine_defaults.count(flag) == 0) {
      EXPECT_NE(item.find(def->second), std::string::npos)
          << "fnqd.8: the item of " << flag << " does not give its default " << def->second << ":\n"
          << item;
    }
  }
  std::set<std::string> known(help.flags.begin(), help.flags.end());
  for (const auto& flag : documented) {
    EXPECT_EQ(known.count(flag), 1u)
        << "fnqd.8 documents " << flag << ", which 'fnqd --help' does not list";
  }
}

TEST(DocsMan, PagesAreLintClean) {
  if (run_program({"sh", "-c", "command -v mandoc"}).exit_code != 0) {
    GTEST_SKIP() << "mandoc is not installed";
  }
  for (const char* name : {"fnq.1", "fnqd.8", "fnq-function.5", "fnq-pipeline.5"}) {
    std::string path = std::string(FNQ_SOURCE_DIR) + "/man/" + name;
    RunResult r = run_program({"mandoc", "-T", "lint", "-W", "warning", path});
    EXPECT_EQ(r.out + r.err, "") << name;
    EXPECT_EQ(r.exit_code, 0) << name;
  }
}

// The state directory's files, the definition's fields and the variables a
// function sees, taken from a running fnqd.
using DocsManDaemon = FnqTest;

TEST_F(DocsManDaemon, FnqdPageNamesEveryFileOfTheStateDirectory) {
  std::string files = man_section(man_page("fnqd.8"), ".Sh", "FILES");
  DIR* dir = opendir(state_dir().c_str());
  ASSERT_NE(dir, nullptr) << state_dir();
  int seen = 0;
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    ++seen;
    EXPECT_NE(files.find(name), std::string::npos) << "fnqd.8, FILES: no word of " << name;
  }
  closedir(dir);
  EXPECT_GE(seen, 3);
}

TEST_F(DocsManDaemon, FunctionPageDocumentsEveryFieldAndVariable) {
  std::string page = man_page("fnq-function.5");
  std::string fields = man_section(page, ".Ss", "Fields");
  add_function("env", {"env"});
  json definition = json::parse(fnq_ok({"fn", "show", "env"}));
  ASSERT_GE(definition.size(), 10u);
  for (const auto& [key, value] : definition.items()) {
    EXPECT_NE(fields.find(".It Li " + key + " "), std::string::npos)
        << "fnq-function.5, Fields: no item for \"" << key << "\"";
  }
  std::string environment = man_section(page, ".Sh", "ENVIRONMENT");
  std::string seen = fnq_ok({"invoke", "env", "-H", "X-Test: 1", "-d", ""});
  std::istringstream in(seen);
  int checked = 0;
  for (std::string line; std::getline(in, line);) {
    std::string var = line.substr(0, line.find('='));
    if (var.rfind("FNQ_", 0) == 0 || var == "Http_Method" || var == "Http_Path") {
      ++checked;
      EXPECT_NE(environment.find("Ev " + var), std::string::npos)
          << "fnq-function.5, ENVIRONMENT: " << var << " is not documented";
    }
  }
  EXPECT_GE(checked, 5) << seen;
  EXPECT_NE(environment.find("Ev Http_Query"), std::string::npos);
}

}  // namespace
}  // namespace fnq::test
