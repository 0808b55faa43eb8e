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

// True when `args` name one of fnq's commands, so that run_cli builds only
// that command's parser (the rest cost start-up time a script pays each run).
bool builds_one_command(const std::vector<std::string>& args);

}  // namespace fnq::cli
