#include "common/timeutil.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace fnq {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_time(std::int64_t epoch_ms) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  int millis = static_cast<int>(epoch_ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

namespace {

// Reads exactly `width` digits at text[*pos].
bool read_digits(std::string_view text, std::size_t* pos, int width, int* out) {
  if (*pos + static_cast<std::size_t>(width) > text.size()) {
    return false;
  }
  int v = 0;
  for (int i = 0; i < width; ++i) {
    char c = text[*pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  *pos += static_cast<std::size_t>(width);
  *out = v;
  return true;
}

bool expect(std::string_view text, std::size_t* pos, char c) {
  if (*pos < text.size() && text[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

}  // namespace

Result<std::int64_t> parse_time(std::string_view text) {
  auto bad = [&] {
    return make_error(ErrorKind::invalid_input,
                      "invalid time '" + std::string(text) +
                          "' (use RFC 3339 like 2026-11-23T10:00:00Z or local 2026-11-23 10:00)");
  };
  std::tm tm{};
  std::size_t pos = 0;
  int year, mon, day, hour, min, sec = 0;
  if (!read_digits(text, &pos, 4, &year) || !expect(text, &pos, '-') ||
      !read_digits(text, &pos, 2, &mon) || !expect(text, &pos, '-') ||
      !read_digits(text, &pos, 2, &day)) {
    return bad();
  }
  bool rfc3339 = pos < text.size() && (text[pos] == 'T' || text[pos] == 't');
  if (!rfc3339 && !expect(text, &pos, ' ')) {
    return bad();
  }
  if (rfc3339) {
    ++pos;
  }
  if (!read_digits(text, &pos, 2, &hour) || !expect(text, &pos, ':') ||
      !read_digits(text, &pos, 2, &min)) {
    return bad();
  }
  if (expect(text, &pos, ':') && !read_digits(text, &pos, 2, &sec)) {
    return bad();
  }
  int millis = 0;
  if (expect(text, &pos, '.')) {
    int scale = 100;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return bad();
    }
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return bad();
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  std::int64_t secs;
  if (pos == text.size() && !rfc3339) {
    tm.tm_isdst = -1;
    secs = static_cast<std::int64_t>(std::mktime(&tm));
  } else if (expect(text, &pos, 'Z') || expect(text, &pos, 'z')) {
    secs = static_cast<std::int64_t>(timegm(&tm));
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!read_digits(text, &pos, 2, &oh) || !expect(text, &pos, ':') ||
        !read_digits(text, &pos, 2, &om)) {
      return bad();
    }
    secs = static_cast<std::int64_t>(timegm(&tm)) - sign * (oh * 3600 + om * 60);
  } else {
    return bad();
  }
  if (pos != text.size()) {
    return bad();
  }
  return secs * 1000 + millis;
}

}  // namespace fnq
