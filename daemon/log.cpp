#include "daemon/log.h"

#include <unistd.h>

#include <mutex>

#include "common/timeutil.h"

namespace fnq {

void log_line(const std::string& message) {
  static std::mutex mutex;
  std::string line = format_time(now_ms()) + " fnqd: " + message + "\n";
  std::lock_guard<std::mutex> lock(mutex);
  // One write per line, so lines from threads never interleave.
  ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  (void)n;
}

}  // namespace fnq
