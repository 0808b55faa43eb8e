#include "integration/docs_help.h"

#include <regex>
#include <sstream>

#include "integration/fixture.h"

namespace fnq::test {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) {
    words.push_back(w);
  }
  return words;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// "  -d,--data DATA Excludes: --file" and "  --sync TEXT=full (Env:FNQ_SYNC)".
void parse_option_line(const std::string& line, HelpPage& page) {
  static const std::regex k_default(R"(^\s*\S+\s+[A-Z][A-Z_:]*=(\S+))");
  static const std::regex k_env(R"(\(Env:([A-Z0-9_]+)\))");
  std::string names = words_of(line).front();
  std::vector<std::string> flags;
  std::istringstream in(names);
  for (std::string flag; std::getline(in, flag, ',');) {
    flags.push_back(flag);
  }
  std::smatch m;
  for (const auto& flag : flags) {
    page.flags.push_back(flag);
    if (std::regex_search(line, m, k_default)) {
      page.defaults[flag] = m[1];
    }
    if (std::regex_search(line, m, k_env)) {
      page.env[flag] = m[1];
    }
  }
}

// mdoc's callable macros: Fl, Ar, Ns, Cm, Op, Pq, ... (two or three letters).
bool is_macro(const std::string& word) {
  static const std::regex k_macro("^[A-Z][a-z]{1,2}$");
  return std::regex_match(word, k_macro);
}

bool is_delimiter(const std::string& word) {
  return word == "," || word == "|" || word == ";" || word == ":" || word == "." || word == "(" ||
         word == ")" || word == "[" || word == "]";
}

// The flags one macro line names: the words after Fl up to the next macro
// (".Fl d , f , Fl -data Ar DATA" names -d, -f and --data).
std::set<std::string> flags_on_line(const std::string& line) {
  std::set<std::string> flags;
  bool in_fl = false;
  auto words = words_of(line.substr(1));
  for (const auto& word : words) {
    if (word == "Fl") {
      in_fl = true;
    } else if (is_macro(word)) {
      in_fl = false;
    } else if (in_fl && !is_delimiter(word)) {
      flags.insert("-" + word);
    }
  }
  return flags;
}

}  // namespace

HelpPage parse_help(const std::string& text) {
  HelpPage page;
  page.text = text;
  enum class Part { none, options, subcommands, other } part = Part::none;
  for (const auto& line : lines_of(text)) {
    if (line == "Options:") {
      part = Part::options;
    } else if (line == "Subcommands:") {
      part = Part::subcommands;
    } else if (line.empty() || (line[0] != ' ' && line.back() == ':')) {
      part = line.empty() ? Part::none : Part::other;
    } else if (part == Part::options && starts_with(line, "  -")) {
      parse_option_line(line, page);
    } else if (part == Part::subcommands && starts_with(line, "  ") && line[2] != ' ') {
      page.subcommands.push_back(words_of(line).front());
    }
  }
  return page;
}

HelpPage help_of(std::vector<std::string> argv) {
  std::string command;
  for (const auto& a : argv) {
    command += (command.empty() ? "" : " ") + a;
  }
  argv.push_back("--help");
  RunResult r = run_program(argv, {}, {}, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << command << " --help\n" << r.err;
  EXPECT_FALSE(r.out.empty()) << command << " --help printed nothing on stdout";
  return parse_help(r.out);
}

std::map<std::vector<std::string>, HelpPage> fnq_command_helps() {
  std::map<std::vector<std::string>, HelpPage> helps;
  HelpPage top = help_of({FNQ_BIN});
  EXPECT_FALSE(top.subcommands.empty()) << top.text;
  for (const auto& command : top.subcommands) {
    HelpPage page = help_of({FNQ_BIN, command});
    for (const auto& sub : page.subcommands) {
      helps[{command, sub}] = help_of({FNQ_BIN, command, sub});
    }
    helps[{command}] = std::move(page);
  }
  return helps;
}

std::string man_section(const std::string& page, const std::string& macro,
                        const std::string& title) {
  std::string out;
  bool inside = false;
  for (const auto& line : lines_of(page)) {
    bool heading = starts_with(line, ".Sh ") || (macro == ".Ss" && starts_with(line, ".Ss "));
    if (inside && heading) {
      break;
    }
    if (line == macro + " " + title) {
      inside = true;
    }
    if (inside) {
      out += line + "\n";
    }
  }
  return out;
}

std::set<std::string> man_flags(const std::string& mdoc, bool items_only) {
  std::set<std::string> flags;
  for (const auto& line : lines_of(mdoc)) {
    if (line.empty() || line[0] != '.' || (items_only && !starts_with(line, ".It "))) {
      continue;
    }
    auto on_line = flags_on_line(line);
    flags.insert(on_line.begin(), on_line.end());
  }
  return flags;
}

std::string man_item(const std::string& mdoc, const std::string& flag) {
  std::string out;
  bool inside = false;
  for (const auto& line : lines_of(mdoc)) {
    bool item = starts_with(line, ".It ");
    if (inside && (item || starts_with(line, ".El"))) {
      break;
    }
    if (item && flags_on_line(line).count(flag) > 0) {
      inside = true;
    }
    if (inside) {
      out += line + "\n";
    }
  }
  return out;
}

}  // namespace fnq::test
