#pragma once
// What fnq and fnqd say about themselves in --help (CLI11's format), and what
// the man pages (mdoc) document, so tests can check one against the other.
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fnq::test {

struct HelpPage {
  std::string text;
  std::vector<std::string> subcommands;         // under "Subcommands:"
  std::vector<std::string> flags;               // "-d", "--data", ... under "Options:"
  std::map<std::string, std::string> env;       // "--db" -> "FNQ_DB", from "(Env:FNQ_DB)"
  std::map<std::string, std::string> defaults;  // "--sync" -> "full", from "TEXT=full"
};

HelpPage parse_help(const std::string& text);
// Runs `argv --help` (argv[0] a binary); a failure if it does not exit 0.
HelpPage help_of(std::vector<std::string> argv);

// Every fnq command path with its help: {"submit"}, ..., {"fn"}, {"fn", "add"}, ...
std::map<std::vector<std::string>, HelpPage> fnq_command_helps();

// The lines of an mdoc page from ".Ss title" (or ".Sh title") to the next
// heading of the same or a higher level; empty if there is no such heading.
std::string man_section(const std::string& page, const std::string& macro,
                        const std::string& title);

// The flags an mdoc text names with .Fl ("-d", "--data"), on any macro line
// or only on .It lines (the items that document them).
std::set<std::string> man_flags(const std::string& mdoc, bool items_only = false);

// The text of the ".It" item that documents `flag`, up to the next .It or .El.
std::string man_item(const std::string& mdoc, const std::string& flag);

}  // namespace fnq::test
