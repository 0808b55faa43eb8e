#pragma once
// Where a call's input comes from: -d DATA, -f FILE (- = stdin), else
// stdin when it is not a terminal, else nothing.
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/failure.h"
#include "common/model.h"

namespace fnq::cli {

struct InputOptions {
  std::optional<std::string> data;  // -d
  std::optional<std::string> file;  // -f; "-" is stdin
};

enum class InputSource { data, file, standard_input, empty };

InputSource choose_input_source(const InputOptions& options, bool stdin_tty);

// Reads the input chosen above. An unreadable file is exit 66.
Checked<std::string> read_input(const InputOptions& options, std::istream& in, bool stdin_tty);
Checked<std::string> read_file_or_stdin(const std::string& path, std::istream& in);

// --lines: the non-empty lines, each ending in "\n" (a "\r\n" ending becomes "\n").
std::vector<std::string> split_lines(std::string_view text);

// Sets "input" for UTF-8 bytes, "input_base64" for anything else; nothing for empty.
void set_call_input(json& request, const std::string& bytes);

}  // namespace fnq::cli
