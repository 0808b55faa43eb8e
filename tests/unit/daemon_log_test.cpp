// log_line from many threads at once: every line arrives whole, long or
// short; a LogBatch writes its thread's lines together, whole and in order.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <string>
#include <thread>
#include <vector>

#include "daemon/log.h"
#include "unit/daemon_captured_stderr.h"

namespace fnq {
namespace {

TEST(DaemonLog, ControlCharactersAreEscapedSoAnEventIsOneLine) {
  CapturedStderr captured;
  log_line("GET /v1/calls/x\n2026-11-30T00:00:00.000Z fnqd: forged\r\t\x01\x7f end");
  std::string text = captured.restore();
  ASSERT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  EXPECT_NE(
      text.find(
          " fnqd: GET /v1/calls/x\\n2026-11-30T00:00:00.000Z fnqd: forged\\r\\t\\x01\\x7f end\n"),
      std::string::npos)
      << text;
}

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

// Points stderr at a file for the life of the object, so a test can see
// what was written so far.
class StderrFile {
 public:
  StderrFile() {
    m_file = std::tmpfile();
    m_saved = ::dup(STDERR_FILENO);
    ::dup2(::fileno(m_file), STDERR_FILENO);
  }
  ~StderrFile() {
    ::dup2(m_saved, STDERR_FILENO);
    ::close(m_saved);
    std::fclose(m_file);
  }
  StderrFile(const StderrFile&) = delete;
  StderrFile& operator=(const StderrFile&) = delete;

  std::string text() const {
    struct stat st {};
    ::fstat(::fileno(m_file), &st);
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    ssize_t n = ::pread(::fileno(m_file), out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }

 private:
  std::FILE* m_file = nullptr;
  int m_saved = -1;
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(DaemonLogBatch, LinesWaitForTheOutermostBatchThenGoInOrder) {
  StderrFile err;
  {
    LogBatch outer;
    log_line("first");
    {
      LogBatch inner;
      log_line("second");
    }
    EXPECT_EQ(err.text(), "") << "an inner batch wrote its lines";
    log_line("third");
    EXPECT_EQ(err.text(), "");
  }
  std::string text = err.text();
  auto first = text.find(" fnqd: first\n");
  auto second = text.find(" fnqd: second\n");
  auto third = text.find(" fnqd: third\n");
  ASSERT_NE(first, std::string::npos) << text;
  ASSERT_NE(second, std::string::npos) << text;
  ASSERT_NE(third, std::string::npos) << text;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(count_of(text, "\n"), 3u);
  log_line("alone");  // no batch: at once
  EXPECT_NE(err.text().find(" fnqd: alone\n"), std::string::npos);
}

TEST(DaemonLogBatch, ABatchPast64KiBIsWrittenBeforeItGoes) {
  StderrFile err;
  LogBatch batch;
  const std::string line(1000, 'x');
  for (int i = 0; i < 100; ++i) {
    log_line(line);
  }
  std::string text = err.text();
  EXPECT_GE(text.size(), 64u * 1024);   // what reached 64 KiB is out
  EXPECT_LT(text.size(), 100u * 1000);  // the rest waits
  EXPECT_EQ(text.back(), '\n');         // in whole lines
}

TEST(DaemonLogBatch, BatchesFromManyThreadsKeepTheirLinesWhole) {
  constexpr int k_threads = 6;
  CapturedStderr captured;
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([t] {
      for (int round = 0; round < 50; ++round) {
        LogBatch batch;  // many lines a batch: each write is past PIPE_BUF
        for (int i = 0; i < 40; ++i) {
          log_line("<" + std::string(120, static_cast<char>('a' + t)) + ">");
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  const std::string& text = captured.restore();
  std::size_t lines = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    std::string line = text.substr(start, end - start);
    auto open = line.find(" fnqd: <");
    ASSERT_NE(open, std::string::npos) << line.substr(0, 80);
    EXPECT_EQ(line.substr(open + 8), std::string(120, line[open + 8]) + ">") << line;
    ++lines;
    start = end + 1;
  }
  EXPECT_EQ(lines, static_cast<std::size_t>(k_threads * 50 * 40));
}

}  // namespace
}  // namespace fnq
