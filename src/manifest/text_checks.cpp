// Pure text checks behind the manifest parser: ${VAR} expansion, typo suggestions, names, the
// small time formats of schedules, keys_from formats and the quoting of values in messages. No
// yaml-cpp here.

#include "text_checks_detail.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::manifest::detail {

namespace {

constexpr std::size_t k_max_quoted_length = 60;

bool
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

bool
is_name_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '.'
         || c == '-';
}

bool
is_env_name(std::string_view name)
{
  if (name.empty() || is_digit(name.front())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
  });
}

// Two ASCII digits as a number, or -1.
int
two_digits(std::string_view text)
{
  if (text.size() != 2 || !is_digit(text[0]) || !is_digit(text[1])) {
    return -1;
  }
  return (text[0] - '0') * 10 + (text[1] - '0');
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
std::size_t
edit_distance(std::string_view a, std::string_view b)
{
  const std::size_t cols = b.size() + 1;
  std::vector<std::size_t> previous2(cols);
  std::vector<std::size_t> previous(cols);
  std::vector<std::size_t> current(cols);
  for (std::size_t j = 0; j < cols; ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j < cols; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], previous2[j - 2] + 1);
      }
    }
    previous2.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

} // namespace

EnvExpansion
expand_env(std::string_view text, const EnvLookup& env)
{
  EnvExpansion result;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      result.text += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      result.text += text[i];
      ++i;
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      result.error = "unterminated \"${\" (expected ${NAME} or ${NAME:-default})";
      return result;
    }
    const std::string_view inner = text.substr(i + 2, close - i - 2);
    const std::size_t separator = inner.find(":-");
    const std::string_view name = inner.substr(0, separator);
    if (!is_env_name(name)) {
      result.error = "invalid environment variable name " + quote(name);
      return result;
    }
    std::optional<std::string> value = env ? env(name) : std::nullopt;
    if (separator != std::string_view::npos && (!value || value->empty())) {
      value = std::string(inner.substr(separator + 2));
    }
    if (!value) {
      result.error = "environment variable " + quote(name) + " is not set";
      return result;
    }
    result.text += *value;
    i = close + 1;
  }
  return result;
}

std::string
closest_match(std::string_view word, std::span<const std::string_view> candidates)
{
  // Short names tolerate one typo, longer ones two; beyond that a suggestion is noise.
  const std::size_t limit = word.size() <= 4 ? 1 : 2;
  std::string best;
  std::size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

bool
is_valid_name(std::string_view name)
{
  return !name.empty() && std::all_of(name.begin(), name.end(), is_name_char);
}

bool
is_hhmm(std::string_view text)
{
  if (text.size() != 5 || text[2] != ':') {
    return false;
  }
  const int hours = two_digits(text.substr(0, 2));
  const int minutes = two_digits(text.substr(3, 2));
  return hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59;
}

bool
is_mmdd(std::string_view text)
{
  if (text.size() != 5 || text[2] != '-') {
    return false;
  }
  constexpr std::array<int, 12> k_days_in_month = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int month = two_digits(text.substr(0, 2));
  const int day = two_digits(text.substr(3, 2));
  if (month < 1 || month > 12 || day < 1) {
    return false;
  }
  return day <= k_days_in_month[static_cast<std::size_t>(month - 1)];
}

bool
is_day_name(std::string_view text)
{
  constexpr std::array<std::string_view, 7> k_days = {
      "mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  return std::find(k_days.begin(), k_days.end(), text) != k_days.end();
}

std::size_t
count_fields(std::string_view text)
{
  std::size_t fields = 0;
  bool in_field = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!space && !in_field) {
      ++fields;
    }
    in_field = !space;
  }
  return fields;
}

std::string
quote(std::string_view text)
{
  constexpr char k_hex[] = "0123456789abcdef";
  std::string out = "\"";
  std::size_t written = 0;
  for (char c : text) {
    if (written == k_max_quoted_length) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += k_hex[byte >> 4];
      out += k_hex[byte & 0x0f];
    } else {
      out += c;
    }
    ++written;
  }
  out += '"';
  return out;
}

std::string_view
key_format_name(KeyFormat format)
{
  switch (format) {
  case KeyFormat::lines:
    return "lines";
  case KeyFormat::jsonl:
    return "jsonl";
  case KeyFormat::csv:
    return "csv";
  case KeyFormat::json:
    return "json";
  case KeyFormat::sitemap:
    return "sitemap";
  }
  return "lines";
}

std::optional<KeyFormat>
key_format_named(std::string_view name)
{
  for (KeyFormat format :
       {KeyFormat::lines, KeyFormat::jsonl, KeyFormat::csv, KeyFormat::json, KeyFormat::sitemap}) {
    if (key_format_name(format) == name) {
      return format;
    }
  }
  return std::nullopt;
}

KeyFormat
key_format_for_path(std::string_view path)
{
  path = path.substr(0, path.find('?'));
  const std::size_t slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const std::size_t dot = base.rfind('.');
  if (dot == std::string_view::npos) {
    return KeyFormat::lines;
  }
  std::string extension;
  for (char c : base.substr(dot + 1)) {
    extension += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (extension == "jsonl" || extension == "ndjson") {
    return KeyFormat::jsonl;
  }
  if (extension == "csv") {
    return KeyFormat::csv;
  }
  if (extension == "json") {
    return KeyFormat::json;
  }
  if (extension == "xml") {
    return KeyFormat::sitemap;
  }
  return KeyFormat::lines;
}

std::string
join(std::span<const std::string> items)
{
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += items[i];
  }
  return out;
}

bool
contains(std::span<const std::string> names, std::string_view name)
{
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool
contains(std::span<const std::string_view> names, std::string_view name)
{
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string
names_or_none(std::span<const std::string> names)
{
  if (names.empty()) {
    return "none defined";
  }
  return "defined: " + join(names);
}

} // namespace cachewarm::manifest::detail
