#include "common/timeutil.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace fnq {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_time(std::int64_t epoch_ms) {
  epoch_ms = std::clamp(epoch_ms, k_min_time_ms, k_max_time_ms);
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  int millis = static_cast<int>(epoch_ms % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

namespace {

struct Fields {
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0, millis = 0;
};

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

// ".123456": milliseconds; digits past the third are dropped.
bool read_fraction(std::string_view text, std::size_t* pos, int* millis) {
  int scale = 100;
  std::size_t start = *pos;
  while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
    *millis += (text[*pos] - '0') * scale;
    scale /= 10;
    ++*pos;
  }
  return *pos > start;
}

// "YYYY-MM-DD" then 'T' (RFC 3339) or ' ' (local), "HH:MM[:SS][.fff]".
bool read_fields(std::string_view text, std::size_t* pos, Fields* f, bool* rfc3339) {
  if (!read_digits(text, pos, 4, &f->year) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, &f->mon) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, &f->day)) {
    return false;
  }
  *rfc3339 = expect(text, pos, 'T') || expect(text, pos, 't');
  if (!*rfc3339 && !expect(text, pos, ' ')) {
    return false;
  }
  if (!read_digits(text, pos, 2, &f->hour) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, &f->min)) {
    return false;
  }
  if (expect(text, pos, ':') && !read_digits(text, pos, 2, &f->sec)) {
    return false;
  }
  return !expect(text, pos, '.') || read_fraction(text, pos, &f->millis);
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int mon) {
  constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return mon == 2 && is_leap(year) ? 29 : k_days[mon - 1];
}

// A date and time that exists: no Feb 30, no hour 24, no leap second.
bool is_real(const Fields& f) {
  return f.mon >= 1 && f.mon <= 12 && f.day >= 1 && f.day <= days_in_month(f.year, f.mon) &&
         f.hour <= 23 && f.min <= 59 && f.sec <= 59;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t yoe = y - era * 400;
  std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::int64_t utc_seconds(const Fields& f) {
  return days_from_civil(f.year, f.mon, f.day) * 86400 + f.hour * 3600 + f.min * 60 + f.sec;
}

// The local time zone's reading; fails for a time the zone skips (a DST gap).
bool local_seconds(const Fields& f, std::int64_t* out) {
  std::tm tm{};
  tm.tm_year = f.year - 1900;
  tm.tm_mon = f.mon - 1;
  tm.tm_mday = f.day;
  tm.tm_hour = f.hour;
  tm.tm_min = f.min;
  tm.tm_sec = f.sec;
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  *out = static_cast<std::int64_t>(t);
  return t != static_cast<std::time_t>(-1) && tm.tm_mday == f.day && tm.tm_hour == f.hour &&
         tm.tm_min == f.min;
}

struct Offset {
  int sign = 1, hours = 0, minutes = 0;
  bool is_real() const { return hours <= 23 && minutes <= 59; }
  std::int64_t east_seconds() const { return sign * (hours * 3600 + minutes * 60); }
};

// "Z", or "+HH:MM" / "-HH:MM".
bool read_offset(std::string_view text, std::size_t* pos, Offset* out) {
  if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
    return true;
  }
  if (*pos >= text.size() || (text[*pos] != '+' && text[*pos] != '-')) {
    return false;
  }
  out->sign = text[*pos] == '-' ? -1 : 1;
  ++*pos;
  return read_digits(text, pos, 2, &out->hours) && expect(text, pos, ':') &&
         read_digits(text, pos, 2, &out->minutes);
}

}  // namespace

Result<std::int64_t> parse_time(std::string_view text, bool* well_formed) {
  auto bad = [&](const char* why) {
    return make_error(ErrorKind::invalid_input,
                      "invalid time '" + std::string(text) + "'" + why +
                          " (use RFC 3339 like 2026-11-23T10:00:00Z or local 2026-11-23 10:00)");
  };
  Fields f;
  Offset offset;
  std::size_t pos = 0;
  bool rfc3339 = false;
  if (!read_fields(text, &pos, &f, &rfc3339)) {
    return bad("");
  }
  bool local = pos == text.size() && !rfc3339;
  if (!local && (!read_offset(text, &pos, &offset) || pos != text.size())) {
    return bad("");
  }
  if (well_formed) {
    *well_formed = true;
  }
  if (!is_real(f) || !offset.is_real()) {
    return bad(": no such date, time or offset");
  }
  std::int64_t secs = utc_seconds(f) - offset.east_seconds();
  if (local && !local_seconds(f, &secs)) {
    return bad(": no such time in the local time zone");
  }
  std::int64_t ms = secs * 1000 + f.millis;
  if (ms < k_min_time_ms || ms > k_max_time_ms) {
    return bad(": out of range (times are 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)");
  }
  return ms;
}

std::int64_t time_after(std::int64_t epoch_ms, Millis d) {
  return std::clamp(epoch_ms + d.count(), k_min_time_ms, k_max_time_ms);
}

std::int64_t time_before(std::int64_t epoch_ms, Millis d) {
  return std::clamp(epoch_ms - d.count(), k_min_time_ms, k_max_time_ms);
}

Status check_run_at(std::int64_t run_at, std::int64_t now, std::string_view shown) {
  if (run_at < time_before(now, k_max_duration) || run_at > time_after(now, k_max_duration)) {
    return make_error(ErrorKind::invalid_input, "'" + std::string(shown) +
                                                    "' is out of range (a run_at is within " +
                                                    format_duration(k_max_duration) + " of now)");
  }
  return {};
}

}  // namespace fnq
