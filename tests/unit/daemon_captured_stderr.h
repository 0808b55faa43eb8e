#pragma once
// Points stderr at a pipe for the life of the object, so a test can read
// what the daemon logged.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <thread>

namespace fnq {

// Points stderr at a pipe for the life of the object; read() drains it.
class CapturedStderr {
 public:
  CapturedStderr() {
    EXPECT_EQ(::pipe(m_pipe), 0);
    m_saved = ::dup(STDERR_FILENO);
    ::dup2(m_pipe[1], STDERR_FILENO);
    m_reader = std::thread([this] {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(m_pipe[0], buf, sizeof buf)) > 0) {
        m_text.append(buf, static_cast<std::size_t>(n));
      }
    });
  }
  ~CapturedStderr() { restore(); }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;

  // Restores stderr and returns everything written meanwhile.
  const std::string& restore() {
    if (m_saved >= 0) {
      ::dup2(m_saved, STDERR_FILENO);
      ::close(m_saved);
      ::close(m_pipe[1]);
      m_reader.join();
      ::close(m_pipe[0]);
      m_saved = -1;
    }
    return m_text;
  }

 private:
  int m_pipe[2] = {-1, -1};
  int m_saved = -1;
  std::thread m_reader;
  std::string m_text;
};

}  // namespace fnq
