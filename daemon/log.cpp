#include "daemon/log.h"

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <string>

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

  void write(const std::string& lines) {
    bool alone = lines.size() > PIPE_BUF;
    if (alone) {
      pthread_rwlock_wrlock(&m_lock);
    } else {
      pthread_rwlock_rdlock(&m_lock);
    }
    // Past PIPE_BUF a write to a pipe may take part of the bytes; the rest
    // follows under the same exclusive lock. A non-blocking stderr that is
    // full gets up to a second to drain; should it not, the line cut short
    // is ended, so that the next line starts on a line of its own.
    std::size_t done = 0;
    while (done < lines.size()) {
      ssize_t n = ::write(STDERR_FILENO, lines.data() + done, lines.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd out{STDERR_FILENO, POLLOUT, 0};
        if (::poll(&out, 1, 1000) > 0) {
          continue;
        }
      }
      if (n <= 0) {
        if (done > 0 && lines[done - 1] != '\n') {
          (void)!::write(STDERR_FILENO, "\n", 1);
        }
        break;  // nowhere to log to: nothing better to do
      }
      done += static_cast<std::size_t>(n);
    }
    pthread_rwlock_unlock(&m_lock);
  }

 private:
  pthread_rwlock_t m_lock;
};

LogLock& log_lock() {
  static LogLock* lock = new LogLock();
  return *lock;
}

constexpr std::size_t k_batch_limit = 64 * 1024;
thread_local std::string t_batch;
thread_local int t_batch_depth = 0;

// A message may quote what a client sent (a path, a header, a value it
// refused): control characters are written escaped, so that one event is
// one line and no client can write a line of its own into the log.
void append_escaped(std::string& out, const std::string& message) {
  static const char* const k_hex = "0123456789abcdef";
  out.reserve(out.size() + message.size() + 1);
  for (char ch : message) {
    auto byte = static_cast<unsigned char>(ch);
    if (byte >= 0x20 && byte != 0x7f) {
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else {
      out += "\\x";
      out += k_hex[byte >> 4];
      out += k_hex[byte & 0xf];
    }
  }
}

}  // namespace

void log_line(const std::string& message) {
  std::string line = format_time(now_ms()) + " fnqd: ";
  append_escaped(line, message);
  line += '\n';
  if (t_batch_depth > 0) {
    t_batch.append(line);
    if (t_batch.size() >= k_batch_limit) {
      log_lock().write(t_batch);
      t_batch.clear();
    }
    return;
  }
  // One write per line, so lines from threads never interleave. A write of
  // at most PIPE_BUF bytes cannot be split: atomic on a pipe, one piece on a
  // Linux socket, and a write to a regular file holds the file's lock
  // throughout. So short lines share the lock and only a longer line
  // excludes the others: every submit logs a line, and 64 threads queueing
  // on one mutex put each other to sleep.
  log_lock().write(line);
}

LogBatch::LogBatch() { ++t_batch_depth; }

LogBatch::~LogBatch() {
  if (--t_batch_depth == 0 && !t_batch.empty()) {
    log_lock().write(t_batch);
    t_batch.clear();
  }
}

}  // namespace fnq
