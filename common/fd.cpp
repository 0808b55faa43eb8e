#include "common/fd.h"

#include <unistd.h>

#include <cstring>

namespace fnq {

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r: returns either buf or a static string.
  return strerror_r(err, buf, sizeof buf);
}

void Fd::reset(int fd) noexcept {
  if (m_fd >= 0) {
    // Not retried on EINTR: on Linux the descriptor is gone either way.
    ::close(m_fd);
  }
  m_fd = fd;
}

}  // namespace fnq
