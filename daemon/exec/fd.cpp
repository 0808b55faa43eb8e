#include "daemon/exec/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace fnq {

Result<Pipe> Pipe::create() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return make_error(ErrorKind::io, "pipe: " + errno_text(errno));
  }
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

Status set_nonblocking(const Fd& fd) {
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return make_error(ErrorKind::io, "fcntl: " + errno_text(errno));
  }
  return {};
}

Status move_above_stdio(Fd& fd) {
  if (fd.get() > 2) {
    return {};
  }
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) {
    return make_error(ErrorKind::io, "fcntl: " + errno_text(errno));
  }
  fd.reset(moved);
  return {};
}

}  // namespace fnq
