#pragma once
// One line per event on stderr: "2026-11-24T05:30:00.123Z fnqd: <message>".
// Control characters in the message are written escaped (\n, \r, \t, \xHH).
#include <string>

namespace fnq {

void log_line(const std::string& message);

// While one lives on a thread, that thread's lines are kept and written
// together when it goes (or when they reach 64 KiB): one write for the
// lines of many answers, as the loop writes a group commit's answers at
// once. Each line is still whole and in order; a batch is at most the few
// lines one pass of the loop makes, so they are out microseconds later.
class LogBatch {
 public:
  LogBatch();
  ~LogBatch();
  LogBatch(const LogBatch&) = delete;
  LogBatch& operator=(const LogBatch&) = delete;
};

}  // namespace fnq
