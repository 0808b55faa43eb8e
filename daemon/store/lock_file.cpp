#include "daemon/store/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace fnq {
namespace {

std::string read_holder_pid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  std::string pid;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) {
    pid += buf[i];
  }
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

Result<LockFile> LockFile::acquire(const std::string& path, const std::string& what) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorKind::io, "cannot open lock file " + path + ": " + std::strerror(errno));
  }
  LockFile lock(fd);  // closes fd on every error path below
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return make_error(ErrorKind::conflict,
                        what + " is in use by another fnqd (pid " + read_holder_pid(fd) + ")");
    }
    return make_error(ErrorKind::io, "cannot lock " + path + ": " + std::strerror(errno));
  }
  // A failure (a full disk) is ignored: the lock itself is held; only the pid
  // shown to a second fnqd is missing, and a full disk must not keep fnqd
  // from starting to serve what it already holds.
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) == 0) {
    (void)!pwrite(fd, pid.data(), pid.size(), 0);
  }
  return lock;
}

LockFile::LockFile(LockFile&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

LockFile& LockFile::operator=(LockFile&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

LockFile::~LockFile() {
  if (m_fd >= 0) {
    ::close(m_fd);  // releases the flock
  }
}

}  // namespace fnq
