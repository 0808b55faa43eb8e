#include "daemon/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "common/fd.h"
#include "common/ids.h"

namespace fnq {

namespace {
Error io_error(const std::string& what) {
  return make_error(errno == ENOSPC ? ErrorKind::disk_full : ErrorKind::io,
                    what + ": " + errno_text(errno));
}

Status write_all(int fd, const std::string& content) {
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("write");
    }
    off += static_cast<std::size_t>(n);
  }
  return {};
}
}  // namespace

Status ensure_state_dir(const std::string& dir) {
  std::string path;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (path.empty()) {
      continue;
    }
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return io_error("cannot create state directory " + path);
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(ErrorKind::io, "state directory " + dir + " is not a directory");
  }
  return {};
}

Status write_file_atomic(const std::string& path, const std::string& content, int mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) {
    return io_error("cannot write " + tmp);
  }
  Status s = write_all(fd.get(), content);
  if (s && ::fsync(fd.get()) != 0) {
    s = io_error("fsync " + tmp);
  }
  fd.reset();
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = io_error("cannot rename " + tmp + " to " + path);
  }
  if (!s) {
    ::unlink(tmp.c_str());
  }
  return s;
}

Result<std::string> load_or_create_token(const std::string& dir) {
  std::string path = dir + "/token";
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.valid()) {
    std::string token = random_hex(32);
    Status s = write_all(fd.get(), token + "\n");
    if (s && ::fsync(fd.get()) != 0) {
      s = io_error("fsync " + path);
    }
    fd.reset();
    if (!s) {
      ::unlink(path.c_str());
      return s.error();
    }
    return token;
  }
  if (errno != EEXIST) {
    return io_error("cannot create token file " + path);
  }
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token) || token.empty()) {
    return make_error(ErrorKind::io, "token file " + path + " is unreadable or empty");
  }
  return token;
}

Result<std::string> use_token_file(const std::string& path, const std::string& dir) {
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token)) {
    return make_error(ErrorKind::io, "cannot read --token-file " + path);
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty()) {
    return make_error(ErrorKind::invalid_input, "--token-file " + path + " is empty");
  }
  FNQ_TRY(write_file_atomic(dir + "/token", token + "\n", 0600));
  return token;
}

}  // namespace fnq
