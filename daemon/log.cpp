#include "daemon/log.h"

#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#include "common/timeutil.h"

namespace fnq {

namespace {

// Writers first: with glibc's default (readers first), a long line could
// wait for ever behind a steady stream of short ones.
class LogLock {
 public:
  LogLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&m_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  LogLock(const LogLock&) = delete;
  LogLock& operator=(const LogLock&) = delete;
  // Never destroyed: threads may log while static objects are torn down.

  void write(const std::string& line) {
    bool alone = line.size() > PIPE_BUF;
    if (alone) {
      pthread_rwlock_wrlock(&m_lock);
    } else {
      pthread_rwlock_rdlock(&m_lock);
    }
    ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    (void)n;
    pthread_rwlock_unlock(&m_lock);
  }

 private:
  pthread_rwlock_t m_lock;
};

}  // namespace

void log_line(const std::string& message) {
  std::string line = format_time(now_ms()) + " fnqd: " + message + "\n";
  // One write per line, so lines from threads never interleave. A write of
  // at most PIPE_BUF bytes cannot be split: atomic on a pipe, one piece on a
  // Linux socket, and a write to a regular file holds the file's lock
  // throughout. So short lines share the lock and only a longer line
  // excludes the others: every submit logs a line, and 64 threads queueing
  // on one mutex put each other to sleep.
  static LogLock* lock = new LogLock();
  lock->write(line);
}

}  // namespace fnq
