#pragma once
// An exclusive advisory lock (flock) on a lock file, held for its owner's
// lifetime: "<db path>.lock" by the store, so that two fnqd never share one
// database, and "STATE_DIR/fnqd.lock" by the daemon, so that two never share
// one state directory. The file keeps the holder's pid so the refusal can
// name it. The file is never removed: unlinking a lock file races with a
// process that has just opened it.
#include <string>

#include "common/fd.h"
#include "common/result.h"

namespace fnq {

class LockFile {
 public:
  // Takes the lock on `path` (created 0600) without blocking. When another
  // process (or another open in this one) holds it: a conflict error, "<what>
  // is in use by another fnqd (pid N)". Writing the pid is best effort: on a
  // full disk the lock is still taken, and the pid is shown as unknown.
  static Result<LockFile> acquire(const std::string& path, const std::string& what);

  LockFile() = default;

 private:
  explicit LockFile(Fd fd) : m_fd(std::move(fd)) {}
  Fd m_fd;  // closing it releases the flock
};

}  // namespace fnq
