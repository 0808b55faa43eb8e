#pragma once
// Shared output: aligned tables, JSON, human durations and times, and the
// live progress line of `fnq await`.
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "common/model.h"

namespace fnq::cli {

struct Cell {
  std::string text;
  std::string color;  // an SGR code ("32" green), empty for none
};

// Columns padded to their widest cell, two spaces apart; the last column is
// not padded. Colour wraps the padded text, so it never shifts alignment.
class Table {
 public:
  Table(std::vector<std::string> header, bool color);
  void add_row(std::vector<Cell> row);
  std::string render() const;
  bool empty() const { return m_rows.empty(); }

 private:
  std::vector<std::string> m_header;  // empty: no header line
  std::vector<std::vector<Cell>> m_rows;
  bool m_color;
};

// Green for succeeded, red for failed and timed_out, yellow for cancelled
// and skipped, cyan for running, none for waiting and queued.
std::string state_color(CallState state);

// "-" when the call has no exit code, else "3", or "sig9" when killed.
std::string call_exit_text(const Call& call);
// How long it ran; for a running call, how long so far; "-" before it starts.
std::string call_duration_text(const Call& call, std::int64_t now);

// 12 -> "12ms", 1500 -> "1.5s", 125000 -> "2m05s", 7500000 -> "2h05m".
std::string format_elapsed(std::int64_t ms);
// Local "YYYY-MM-DD HH:MM:SS".
std::string format_local_time(std::int64_t epoch_ms);
// An argv as a shell would need it typed: plain words bare, others in '...'.
std::string shell_join(const std::vector<std::string>& argv);

// Pretty-printed, with a final newline; invalid UTF-8 is replaced, not thrown on.
void write_json(std::ostream& out, const json& value);

// "\r12/40 done, 1 failed" on a terminal, redrawn in place and erased by clear().
class ProgressLine {
 public:
  ProgressLine(std::ostream& err, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void show(std::size_t done, std::size_t total, std::size_t failed, const std::string& extra = "");
  void clear();

 private:
  std::ostream& m_err;
  bool m_enabled;
  bool m_shown = false;
};

}  // namespace fnq::cli
