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

// The mode, exactly: open()'s is narrowed by the umask.
Status write_with_mode(int fd, const std::string& content, int mode, const std::string& path) {
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    return io_error("cannot chmod " + path);
  }
  return write_all(fd, content);
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

int shared_file_mode(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & S_IRGRP) != 0) {
    return 0640;
  }
  return 0600;
}

Status write_file_atomic(const std::string& path, const std::string& content, int mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) {
    return io_error("cannot write " + tmp);
  }
  Status s = write_with_mode(fd.get(), content, mode, tmp);
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
  int mode = shared_file_mode(dir);
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.valid()) {
    std::string token = random_hex(32);
    Status s = write_with_mode(fd.get(), token + "\n", mode, path);
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
  FNQ_TRY(write_file_atomic(dir + "/token", token + "\n", shared_file_mode(dir)));
  return token;
}

}  // namespace fnq
