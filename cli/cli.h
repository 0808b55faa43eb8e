#pragma once
// The fnq command-line client (SPEC §5).
#include <string>
#include <vector>

namespace fnq::cli {

class Context;

// Runs fnq with the process's streams and the real daemon; returns the exit code.
int run(int argc, char** argv);

// Runs fnq on `args` (without the program name) in `ctx`: parses the command
// line, runs the command, prints its notes and errors, returns the exit code.
int run_cli(std::vector<std::string> args, Context& ctx);

}  // namespace fnq::cli
