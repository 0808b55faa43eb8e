#pragma once
// Move-only owners of file descriptors. Every descriptor the executor opens is
// close-on-exec, so a child inherits only the 0/1/2 it is explicitly given.
#include <string>
#include <utility>

#include "common/result.h"

namespace fnq {

// strerror text for an errno value ("No such file or directory"); thread-safe.
std::string errno_text(int err);

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : m_fd(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return m_fd; }
  bool valid() const { return m_fd >= 0; }
  int release() { return std::exchange(m_fd, -1); }
  // Closes the current descriptor (errors ignored: nothing useful can be done).
  void reset(int fd = -1) noexcept;

 private:
  int m_fd = -1;
};

// Both ends of a pipe, close-on-exec.
struct Pipe {
  Fd read;
  Fd write;
  static Result<Pipe> create();
};

Status set_nonblocking(const Fd& fd);

// Renumbers fd to 3 or above (still close-on-exec), so that a child's
// dup2() onto 0/1/2 can neither clobber another pipe end nor hit
// dup2(fd, fd), which would leave close-on-exec set. Matters only when the
// daemon runs with some of 0/1/2 closed.
Status move_above_stdio(Fd& fd);

}  // namespace fnq
