#include "cli/input.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "common/encoding.h"
#include "common/fd.h"

namespace fnq::cli {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Failure read_failure(const std::string& path, const std::string& why) {
  return Failure{k_exit_no_input, "cannot read '" + path + "'", why, ""};
}

}  // namespace

InputSource choose_input_source(const InputOptions& options, bool stdin_tty) {
  if (options.data) {
    return InputSource::data;
  }
  if (options.file) {
    return InputSource::file;
  }
  return stdin_tty ? InputSource::empty : InputSource::standard_input;
}

Checked<std::string> read_file_or_stdin(const std::string& path, std::istream& in) {
  if (path == "-") {
    std::string bytes;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      bytes.append(buf, static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
      return read_failure("stdin", errno_text(errno));
    }
    return bytes;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return read_failure(path, "is a directory");
  }
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return read_failure(path, errno_text(errno));
  }
  std::string bytes;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) {
    bytes.append(buf, n);
  }
  if (std::ferror(file.get())) {
    return read_failure(path, errno_text(errno));
  }
  return bytes;
}

Checked<std::string> read_input(const InputOptions& options, std::istream& in, bool stdin_tty) {
  switch (choose_input_source(options, stdin_tty)) {
    case InputSource::data: return *options.data;
    case InputSource::file: return read_file_or_stdin(*options.file, in);
    case InputSource::standard_input: return read_file_or_stdin("-", in);
    case InputSource::empty: break;
  }
  return std::string();
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!line.empty()) {
      lines.push_back(std::string(line) + "\n");
    }
  }
  return lines;
}

void set_call_input(json& request, const std::string& bytes) {
  if (bytes.empty()) {
    return;
  }
  if (is_valid_utf8(bytes)) {
    request["input"] = bytes;
  } else {
    request["input_base64"] = base64_encode(bytes);
  }
}

}  // namespace fnq::cli
