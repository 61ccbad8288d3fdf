// Time fields of access logs (CLF, ISO 8601, decimal epochs, FILETIME) and the translation of
// regexes with named groups, which std::regex lacks.

#include "log_detail.hpp"

#include <date/date.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

namespace cachewarm::predict::detail {

namespace {

constexpr std::size_t npos = std::string_view::npos;

// --- Time ----------------------------------------------------------------------------------------

// FILETIME ticks (100 ns since 1601-01-01) of the Unix epoch: 11644473600 s.
constexpr std::int64_t k_filetime_epoch = 116444736000000000;
constexpr double k_filetime_ticks_per_second = 1e7;
constexpr std::string_view k_months = "JanFebMarAprMayJunJulAugSepOctNovDec";

// `count` decimal digits of `text` at `pos` into `out`, moving `pos` past them.
bool
digits(std::string_view text, std::size_t& pos, std::size_t count, int& out)
{
  if (pos + count > text.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    out = out * 10 + (text[i] - '0');
  }
  pos += count;
  return true;
}

bool
literal(std::string_view text, std::size_t& pos, char c)
{
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// Days since 1970-01-01 of a civil date; nullopt if the date does not exist.
std::optional<std::int64_t>
days_since_epoch(int year, int month, int day)
{
  const date::year_month_day ymd{date::year{year},
                                 date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return date::sys_days(ymd).time_since_epoch().count();
}

// `HH:MM:SS` with an optional fraction (`.25` or `,25`) at `pos`: seconds into the day.
bool
clock_time(std::string_view text, std::size_t& pos, double& seconds)
{
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!digits(text, pos, 2, hour) || !literal(text, pos, ':') || !digits(text, pos, 2, minute)
      || !literal(text, pos, ':') || !digits(text, pos, 2, second) || hour > 23 || minute > 59
      || second > 60) {
    return false;
  }
  seconds = hour * 3600.0 + minute * 60.0 + second;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    // As one integer over a power of ten (`.25` is 25 / 100, exactly); digits past nanoseconds
    // are read but do not count.
    std::int64_t fraction = 0;
    double scale = 1;
    const std::size_t first = ++pos;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      if (pos - first < 9) {
        fraction = fraction * 10 + (text[pos] - '0');
        scale *= 10;
      }
    }
    seconds += static_cast<double>(fraction) / scale;
    return pos > first;
  }
  return true;
}

// A zone offset `+hh`, `+hhmm` or `+hh:mm` (or `-`) at `pos`, which must end `text`: seconds east.
bool
zone_offset(std::string_view text, std::size_t& pos, int& offset)
{
  if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) {
    return false;
  }
  const int sign = text[pos++] == '-' ? -1 : 1;
  int hours = 0;
  int minutes = 0;
  if (!digits(text, pos, 2, hours) || hours > 23) {
    return false;
  }
  if (pos < text.size()) {
    literal(text, pos, ':');
    if (!digits(text, pos, 2, minutes) || minutes > 59) {
      return false;
    }
  }
  offset = sign * (hours * 3600 + minutes * 60);
  return pos == text.size();
}

// `17/May/2015:10:05:03 +0000` (the offset optional: UTC).
std::optional<double>
parse_clf_time(std::string_view text)
{
  std::size_t pos = 0;
  int day = 0;
  int year = 0;
  if (!digits(text, pos, 2, day) || !literal(text, pos, '/') || pos + 4 > text.size()) {
    return std::nullopt;
  }
  const std::size_t month_at = k_months.find(text.substr(pos, 3));
  if (month_at == npos || month_at % 3 != 0) {
    return std::nullopt;
  }
  pos += 3;
  double seconds = 0;
  int offset = 0;
  if (!literal(text, pos, '/') || !digits(text, pos, 4, year) || !literal(text, pos, ':')
      || !clock_time(text, pos, seconds)) {
    return std::nullopt;
  }
  if (pos < text.size() && (!literal(text, pos, ' ') || !zone_offset(text, pos, offset))) {
    return std::nullopt;
  }
  const std::optional<std::int64_t> days =
      days_since_epoch(year, static_cast<int>(month_at / 3) + 1, day);
  if (!days) {
    return std::nullopt;
  }
  return static_cast<double>(*days) * 86400.0 + seconds - offset;
}

// `2015-05-17T10:05:03Z`, `2015-05-17T10:05:03.25+02:00`, `2015-05-17 10:05:03` (UTC).
std::optional<double>
parse_iso_time(std::string_view text)
{
  std::size_t pos = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  double seconds = 0;
  int offset = 0;
  if (!digits(text, pos, 4, year) || !literal(text, pos, '-') || !digits(text, pos, 2, month)
      || !literal(text, pos, '-') || !digits(text, pos, 2, day) || pos >= text.size()
      || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')
      || !clock_time(text, ++pos, seconds)) {
    return std::nullopt;
  }
  if (pos < text.size()) {
    const bool utc = (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size();
    if (!utc && !zone_offset(text, pos, offset)) {
      return std::nullopt;
    }
  }
  const std::optional<std::int64_t> days = days_since_epoch(year, month, day);
  if (!days) {
    return std::nullopt;
  }
  return static_cast<double>(*days) * 86400.0 + seconds - offset;
}

// A decimal number (fraction and exponent allowed), finite.
std::optional<double>
parse_number(std::string_view text)
{
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<double>
parse_filetime(std::string_view text)
{
  std::uint64_t ticks = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, ticks);
  if (text.empty() || error != std::errc() || stop != end
      || ticks > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  // Subtract in integers first: ticks of today need 57 bits, more than a double keeps exactly.
  return static_cast<double>(static_cast<std::int64_t>(ticks) - k_filetime_epoch)
         / k_filetime_ticks_per_second;
}

} // namespace

std::optional<double>
parse_time(std::string_view text, TimeUnit unit)
{
  if (unit == TimeUnit::clf) {
    return parse_clf_time(text);
  }
  if (unit == TimeUnit::iso8601) {
    return parse_iso_time(text);
  }
  if (unit == TimeUnit::filetime) {
    return parse_filetime(text);
  }
  const std::optional<double> value = parse_number(text);
  if (!value) {
    return std::nullopt;
  }
  const double per_second = unit == TimeUnit::ms   ? 1e3
                            : unit == TimeUnit::us ? 1e6
                            : unit == TimeUnit::ns ? 1e9
                                                   : 1.0;
  return *value / per_second;
}

core::Result<NamedPattern>
translate_named_groups(std::string_view pattern)
{
  NamedPattern out;
  out.pattern.reserve(pattern.size());
  std::size_t captures = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    out.pattern.push_back(c);
    if (c == '\\') {
      // The escaped character is copied with its backslash, so `\(` and `\[` stay literal.
      if (i + 1 < pattern.size()) {
        out.pattern.push_back(pattern[++i]);
      }
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(' && pattern.substr(i + 1, 1) != "?") {
      ++captures;
    } else if (c == '(' && pattern.substr(i + 1, 2) == "?<" && pattern.substr(i + 3, 1) != "="
               && pattern.substr(i + 3, 1) != "!") {
      const std::size_t close = pattern.find('>', i + 3);
      const std::string_view name =
          close == npos ? std::string_view() : pattern.substr(i + 3, close - i - 3);
      const bool valid = !name.empty() && (name[0] < '0' || name[0] > '9')
                         && std::all_of(name.begin(), name.end(), [](char n) {
                              return (n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z')
                                     || (n >= '0' && n <= '9') || n == '_';
                            });
      if (!valid) {
        return core::fail(core::Errc::usage,
                          "invalid group name at column " + std::to_string(i + 1));
      }
      if (std::find(out.names.begin(), out.names.end(), name) != out.names.end()) {
        return core::fail(core::Errc::usage, "group name \"" + std::string(name) + "\" used twice");
      }
      out.names.emplace_back(name);
      out.groups.push_back(++captures);
      i = close;
    }
  }
  return out;
}

} // namespace cachewarm::predict::detail
