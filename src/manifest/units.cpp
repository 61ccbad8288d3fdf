#include "cachewarm/manifest/units.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace cachewarm::manifest {

namespace {

using core::Errc;

constexpr std::size_t k_max_range_digits = 18; // 10^18 - 1 fits an int64 with room for size()

bool
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

bool
all_digits(std::string_view text)
{
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (!is_digit(c)) {
      return false;
    }
  }
  return true;
}

// Parses a non-empty run of ASCII digits into an int64; nullopt on anything else or overflow.
std::optional<std::int64_t>
parse_non_negative(std::string_view text)
{
  if (!all_digits(text)) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

// Parses `digits[.digits]` (no sign, no exponent) into a finite double.
std::optional<double>
parse_decimal(std::string_view text)
{
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  if (!all_digits(whole)) {
    return std::nullopt;
  }
  if (dot != std::string_view::npos && !all_digits(text.substr(dot + 1))) {
    return std::nullopt;
  }
  double value = 0.0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string
quoted(std::string_view text)
{
  return "\"" + std::string(text) + "\"";
}

} // namespace

std::string
Range::at(std::uint64_t index) const
{
  const std::int64_t value = first + static_cast<std::int64_t>(index);
  std::string digits = std::to_string(value);
  const auto target_width = static_cast<std::size_t>(width > 0 ? width : 0);
  if (digits.size() < target_width) {
    digits.insert(0, target_width - digits.size(), '0');
  }
  return digits;
}

core::Result<std::chrono::milliseconds>
parse_duration(std::string_view text)
{
  auto invalid = [&] {
    return core::fail(Errc::manifest,
                      "invalid duration " + quoted(text)
                          + " (expected e.g. 500ms, 90s, 30m, 2h, 1d)");
  };
  std::size_t digits_end = 0;
  while (digits_end < text.size() && is_digit(text[digits_end])) {
    ++digits_end;
  }
  const std::optional<std::int64_t> number = parse_non_negative(text.substr(0, digits_end));
  if (!number) {
    return invalid();
  }
  const std::string_view unit = text.substr(digits_end);
  std::int64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60 * 1000;
  } else if (unit == "h") {
    factor = 60 * 60 * 1000;
  } else if (unit == "d") {
    factor = 24 * 60 * 60 * 1000;
  } else if (unit.empty() && *number == 0) {
    return std::chrono::milliseconds{0};
  } else {
    return invalid();
  }
  if (*number > std::numeric_limits<std::int64_t>::max() / factor) {
    return invalid();
  }
  return std::chrono::milliseconds{*number * factor};
}

core::Result<Rate>
parse_rate(std::string_view text)
{
  auto invalid = [&] {
    return core::fail(Errc::manifest,
                      "invalid rate " + quoted(text)
                          + " (expected e.g. 500/s, 1000/m, unlimited or auto)");
  };
  if (text == "unlimited") {
    return Rate{};
  }
  if (text == "auto") {
    return Rate{0.0, true};
  }
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return invalid();
  }
  const std::optional<double> count = parse_decimal(text.substr(0, slash));
  if (!count || *count <= 0.0) {
    return invalid();
  }
  const std::string_view unit = text.substr(slash + 1);
  double seconds = 0.0;
  if (unit == "s") {
    seconds = 1.0;
  } else if (unit == "m") {
    seconds = 60.0;
  } else if (unit == "h") {
    seconds = 3600.0;
  } else {
    return invalid();
  }
  return Rate{*count / seconds, false};
}

core::Result<Range>
parse_range(std::string_view text)
{
  auto invalid = [&] {
    return core::fail(Errc::manifest,
                      "invalid range " + quoted(text) + " (expected e.g. 1..5000 or 001..120)");
  };
  const std::size_t dots = text.find("..");
  if (dots == std::string_view::npos) {
    return invalid();
  }
  const std::string_view first_text = text.substr(0, dots);
  const std::string_view last_text = text.substr(dots + 2);
  if (first_text.size() > k_max_range_digits || last_text.size() > k_max_range_digits) {
    return invalid();
  }
  const std::optional<std::int64_t> first = parse_non_negative(first_text);
  const std::optional<std::int64_t> last = parse_non_negative(last_text);
  if (!first || !last) {
    return invalid();
  }
  if (*first > *last) {
    return core::fail(Errc::manifest, "range " + quoted(text) + " is empty");
  }
  Range range;
  range.first = *first;
  range.last = *last;
  // `001..120`: a leading zero on the first bound asks for zero padding to its length.
  if (first_text.size() > 1 && first_text.front() == '0') {
    range.width = static_cast<int>(first_text.size());
  }
  return range;
}

core::Result<Jitter>
parse_jitter(std::string_view text)
{
  auto invalid = [&] {
    return core::fail(Errc::manifest,
                      "invalid jitter " + quoted(text)
                          + " (expected a percentage like 10% or a duration like 5m)");
  };
  if (!text.empty() && text.back() == '%') {
    const std::optional<double> percent = parse_decimal(text.substr(0, text.size() - 1));
    if (!percent || *percent > 100.0) {
      return invalid();
    }
    Jitter jitter;
    jitter.fraction = *percent / 100.0;
    return jitter;
  }
  core::Result<std::chrono::milliseconds> duration = parse_duration(text);
  if (!duration) {
    return invalid();
  }
  Jitter jitter;
  jitter.absolute = *duration;
  return jitter;
}

core::Result<std::size_t>
parse_size(std::string_view text)
{
  auto invalid = [&] {
    return core::fail(Errc::manifest,
                      "invalid size " + quoted(text) + " (expected e.g. 65536, 512KiB or 8MiB)");
  };
  std::size_t digits_end = 0;
  while (digits_end < text.size() && is_digit(text[digits_end])) {
    ++digits_end;
  }
  const std::string_view digits = text.substr(0, digits_end);
  if (!all_digits(digits)) {
    return invalid();
  }
  std::uint64_t number = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, number);
  if (ec != std::errc() || ptr != end) {
    return invalid();
  }
  struct Unit {
    std::string_view suffix;
    std::uint64_t factor;
  };
  constexpr Unit k_units[] = {{"", 1},
                              {"KiB", 1024},
                              {"MiB", 1024ULL * 1024},
                              {"GiB", 1024ULL * 1024 * 1024},
                              {"kB", 1000},
                              {"MB", 1000ULL * 1000},
                              {"GB", 1000ULL * 1000 * 1000}};
  const std::string_view suffix = text.substr(digits_end);
  for (const Unit& unit : k_units) {
    if (unit.suffix != suffix) {
      continue;
    }
    if (number > std::numeric_limits<std::size_t>::max() / unit.factor) {
      return invalid();
    }
    return static_cast<std::size_t>(number * unit.factor);
  }
  return invalid();
}

std::string
format_duration(std::chrono::milliseconds duration)
{
  const std::int64_t ms = duration.count();
  if (ms == 0) {
    return "0";
  }
  struct Unit {
    std::int64_t factor;
    const char* suffix;
  };
  constexpr Unit k_units[] = {
      {24LL * 60 * 60 * 1000, "d"}, {60LL * 60 * 1000, "h"}, {60LL * 1000, "m"}, {1000, "s"}};
  for (const Unit& unit : k_units) {
    if (ms % unit.factor == 0) {
      return std::to_string(ms / unit.factor) + unit.suffix;
    }
  }
  return std::to_string(ms) + "ms";
}

} // namespace cachewarm::manifest
