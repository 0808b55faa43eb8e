#pragma once
// The owner of one file descriptor, and errno's text: shared by the
// executor, the HTTP client, the server's bind checks, lock files and the
// state dir, so that no code closes an `int` by hand.
#include <string>
#include <utility>

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

}  // namespace fnq
