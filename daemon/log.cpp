#include "daemon/log.h"

#include <limits.h>
#include <unistd.h>

#include <mutex>
#include <shared_mutex>

#include "common/timeutil.h"

namespace fnq {

void log_line(const std::string& message) {
  std::string line = format_time(now_ms()) + " fnqd: " + message + "\n";
  // One write per line, so lines from threads never interleave. A write of
  // at most PIPE_BUF bytes cannot be split: atomic on a pipe, one piece on a
  // Linux socket, and a write to a regular file holds the file's lock
  // throughout. So short lines share the lock and only a longer line
  // excludes the others: every submit logs a line, and 64 threads queueing
  // on one mutex put each other to sleep.
  static std::shared_mutex order;
  if (line.size() > PIPE_BUF) {
    std::unique_lock<std::shared_mutex> lock(order);
    ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    (void)n;
    return;
  }
  std::shared_lock<std::shared_mutex> lock(order);
  ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  (void)n;
}

}  // namespace fnq
