#include "daemon/store/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
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
  Fd file(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!file.valid()) {
    return make_error(ErrorKind::io, "cannot open lock file " + path + ": " + errno_text(errno));
  }
  int fd = file.get();
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return make_error(ErrorKind::conflict,
                        what + " is in use by another fnqd (pid " + read_holder_pid(fd) + ")");
    }
    return make_error(ErrorKind::io, "cannot lock " + path + ": " + errno_text(errno));
  }
  // A failure (a full disk) is ignored: the lock itself is held; only the pid
  // shown to a second fnqd is missing, and a full disk must not keep fnqd
  // from starting to serve what it already holds.
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) == 0) {
    (void)!pwrite(fd, pid.data(), pid.size(), 0);
  }
  return LockFile(std::move(file));
}

}  // namespace fnq
