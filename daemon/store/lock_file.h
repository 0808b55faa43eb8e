#pragma once
// An exclusive advisory lock (flock) on "<db path>.lock", held for the
// store's lifetime so that two fnqd never share one database. The file keeps
// the holder's pid so the refusal can name it. The file is never removed:
// unlinking a lock file races with a process that has just opened it.
#include <string>

#include "common/result.h"

namespace fnq {

class LockFile {
 public:
  // Takes the lock without blocking; conflict error naming the holder's pid
  // when another process (or another open in this one) holds it.
  static Result<LockFile> acquire(const std::string& db_path);

  LockFile() = default;
  LockFile(LockFile&& other) noexcept;
  LockFile& operator=(LockFile&& other) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  ~LockFile();

 private:
  explicit LockFile(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace fnq
