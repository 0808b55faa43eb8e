// log_line from many threads at once: every line arrives whole, long or short.
#include <gtest/gtest.h>

#include <limits.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "daemon/log.h"

namespace fnq {
namespace {

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

TEST(DaemonLog, LinesFromManyThreadsNeverInterleave) {
  constexpr int k_threads = 8;
  constexpr int k_lines = 200;
  // Short lines take the shared path; long ones (over PIPE_BUF, which a pipe
  // may split) must still arrive whole.
  const std::vector<std::size_t> sizes = {20, 300, PIPE_BUF * 3};
  CapturedStderr captured;
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_lines; ++i) {
        std::size_t size = sizes[static_cast<std::size_t>(i) % sizes.size()];
        log_line("<" + std::string(size, static_cast<char>('a' + t)) + ">");
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  const std::string& text = captured.restore();
  std::size_t lines = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    std::string line = text.substr(start, end - start);
    auto open = line.find(" fnqd: <");
    ASSERT_NE(open, std::string::npos) << line.substr(0, 80);
    std::string body = line.substr(open + 8);
    ASSERT_FALSE(body.empty());
    ASSERT_EQ(body.back(), '>') << "a line was cut: " << body.substr(0, 80);
    body.pop_back();
    EXPECT_EQ(body.find_first_not_of(body.front()), std::string::npos)
        << "lines interleaved: " << body.substr(0, 80);
    ++lines;
    start = end + 1;
  }
  EXPECT_EQ(lines, static_cast<std::size_t>(k_threads * k_lines));
}

}  // namespace
}  // namespace fnq
