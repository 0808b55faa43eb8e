// log_line from many threads at once: every line arrives whole, long or short.
#include <gtest/gtest.h>

#include <limits.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "daemon/log.h"
#include "unit/daemon_captured_stderr.h"

namespace fnq {
namespace {

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
