#include "cli/output.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "cli/text.h"

namespace fnq::cli {

Table::Table(std::vector<std::string> header, bool color)
    : m_header(std::move(header)), m_color(color) {}

void Table::add_row(std::vector<Cell> row) { m_rows.push_back(std::move(row)); }

std::string Table::render() const {
  std::vector<std::vector<Cell>> rows;
  if (!m_header.empty()) {
    std::vector<Cell> header;
    for (const auto& h : m_header) {
      header.push_back(Cell{h, ""});
    }
    rows.push_back(std::move(header));
  }
  rows.insert(rows.end(), m_rows.begin(), m_rows.end());
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i].text));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string text = row[i].text;
      if (i + 1 < row.size()) {
        text.append(widths[i] - display_width(text) + 2, ' ');
      }
      if (m_color && !row[i].color.empty()) {
        // Colour only the text, not the padding after it.
        std::size_t len = row[i].text.size();
        text = "\033[" + row[i].color + "m" + text.substr(0, len) + "\033[0m" + text.substr(len);
      }
      out += text;
    }
    out += '\n';
  }
  return out;
}

std::string state_color(CallState state) {
  switch (state) {
    case CallState::succeeded: return "32";
    case CallState::failed:
    case CallState::timed_out: return "31";
    case CallState::cancelled:
    case CallState::skipped: return "33";
    case CallState::running: return "36";
    case CallState::waiting:
    case CallState::queued: break;
  }
  return "";
}

std::string call_exit_text(const Call& call) {
  if (call.exit_code) {
    return std::to_string(*call.exit_code);
  }
  if (call.signal) {
    return "sig" + std::to_string(*call.signal);
  }
  return "-";
}

std::string call_duration_text(const Call& call, std::int64_t now) {
  if (auto d = duration_ms(call)) {
    return format_elapsed(*d);
  }
  if (call.started_at && call.state == CallState::running) {
    return format_elapsed(std::max<std::int64_t>(0, now - *call.started_at));
  }
  return "-";
}

std::string format_elapsed(std::int64_t ms) {
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    // Tenths, truncated, without a trailing ".0".
    long long tenths = ms / 100;
    if (tenths % 10 == 0) {
      std::snprintf(buf, sizeof buf, "%llds", tenths / 10);
    } else {
      std::snprintf(buf, sizeof buf, "%lld.%llds", tenths / 10, tenths % 10);
    }
  } else if (ms < 3'600'000) {
    long long s = ms / 1000;
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    long long m = ms / 60'000;
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", m / 60, m % 60);
  }
  return buf;
}

std::string format_local_time(std::int64_t epoch_ms) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("-_./:=%+,@").find(c) != std::string_view::npos;
    });
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) {
      out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    out += '\'';
  }
  return out;
}

void write_json(std::ostream& out, const json& value) {
  out << value.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

ProgressLine::ProgressLine(std::ostream& err, bool enabled) : m_err(err), m_enabled(enabled) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::show(std::size_t done, std::size_t total, std::size_t failed,
                        const std::string& extra) {
  if (!m_enabled) {
    return;
  }
  m_err << "\r\033[K" << done << '/' << total << " done";
  if (failed > 0) {
    m_err << ", " << failed << " failed";
  }
  if (!extra.empty()) {
    m_err << ", " << extra;
  }
  m_err.flush();
  m_shown = true;
}

void ProgressLine::clear() {
  if (m_shown) {
    m_err << "\r\033[K";
    m_err.flush();
    m_shown = false;
  }
}

}  // namespace fnq::cli
