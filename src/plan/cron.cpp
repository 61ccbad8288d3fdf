// Five-field cron expressions (Vixie cron syntax): parsing into per-field bit sets, and matching
// a wall-clock minute. Pure: no clock, no time zones.

#include "cachewarm/plan/cron.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::plan {

namespace {

using core::Errc;

constexpr std::array<std::string_view, 12> k_month_names = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> k_weekday_names = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// What one of the five fields accepts. Names map to `name_base + index`.
struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  std::span<const std::string_view> names;
  int name_base;
};

const std::array<FieldSpec, 5> k_fields = {{
    {"minute", 0, 59, {}, 0},
    {"hour", 0, 23, {}, 0},
    {"day-of-month", 1, 31, {}, 0},
    {"month", 1, 12, k_month_names, 1},
    // 7 is accepted as a second spelling of Sunday (folded to 0 when the bit is set).
    {"day-of-week", 0, 7, k_weekday_names, 0},
}};

// A whitespace-separated field of the expression and its 0-based offset in the text.
struct Token {
  std::string_view text;
  std::size_t offset;
};

bool
is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

bool
is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char
to_lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::vector<Token>
split_fields(std::string_view text)
{
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_space(text[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) {
      ++i;
    }
    tokens.push_back(Token{text.substr(start, i - start), start});
  }
  return tokens;
}

// All-digit text as a number, saturating well above any field's range so that huge numbers
// are reported as out of range rather than overflowing.
int
to_number(std::string_view digits)
{
  constexpr int k_saturate = 1'000'000;
  int value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
    if (value > k_saturate) {
      return k_saturate;
    }
  }
  return value;
}

class FieldParser {
public:
  FieldParser(const FieldSpec& spec, std::string_view text, std::size_t offset)
      : m_spec(spec)
      , m_text(text)
      , m_offset(offset)
  {}

  // The field's values as bits (bit v set for value v), or the error message.
  core::Result<std::uint64_t> parse()
  {
    std::uint64_t bits = 0;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = m_text.find(',', start);
      const std::size_t end = comma == std::string_view::npos ? m_text.size() : comma;
      auto item = parse_item(m_text.substr(start, end - start), start);
      if (!item) {
        return tl::unexpected<core::Error>(std::move(item.error()));
      }
      bits |= *item;
      if (comma == std::string_view::npos) {
        break;
      }
      start = comma + 1;
    }
    return bits;
  }

private:
  // `message` about the text at offset `at` of the field.
  tl::unexpected<core::Error> error(const std::string& message, std::size_t at) const
  {
    return core::fail(Errc::manifest,
                      std::string(m_spec.name) + ": " + message + " (column "
                          + std::to_string(m_offset + at + 1) + ")");
  }

  tl::unexpected<core::Error> expected(std::string_view got, std::size_t at) const
  {
    return error("expected a number, a name, '*' or a range, got \"" + std::string(got) + "\"", at);
  }

  // One number or name; `at` is its offset in the field.
  core::Result<int> parse_value(std::string_view text, std::size_t at) const
  {
    bool digits = !text.empty();
    bool letters = !text.empty();
    for (char c : text) {
      digits = digits && is_digit(c);
      letters = letters && is_alpha(c);
    }
    if (digits) {
      const int value = to_number(text);
      if (value < m_spec.min || value > m_spec.max) {
        return error(std::string(text) + " is out of range " + std::to_string(m_spec.min) + "-"
                         + std::to_string(m_spec.max),
                     at);
      }
      return value;
    }
    if (letters && !m_spec.names.empty()) {
      std::string lower;
      for (char c : text) {
        lower += to_lower(c);
      }
      for (std::size_t i = 0; i < m_spec.names.size(); ++i) {
        if (m_spec.names[i] == lower) {
          return m_spec.name_base + static_cast<int>(i);
        }
      }
      return error("unknown name \"" + std::string(text) + "\"", at);
    }
    return expected(text, at);
  }

  // One list item: `*`, `v`, `a-b`, `*/n` or `a-b/n`; `at` is its offset in the field.
  core::Result<std::uint64_t> parse_item(std::string_view item, std::size_t at) const
  {
    const std::size_t slash = item.find('/');
    const std::string_view base = item.substr(0, slash);
    int low = m_spec.min;
    int high = m_spec.max;
    bool range = true;
    if (base != "*") {
      const std::size_t dash = base.find('-');
      if (dash == std::string_view::npos || dash == 0) {
        auto value = parse_value(base, at);
        if (!value) {
          return tl::unexpected<core::Error>(std::move(value.error()));
        }
        low = *value;
        high = *value;
        range = false;
      } else {
        auto first = parse_value(base.substr(0, dash), at);
        if (!first) {
          return tl::unexpected<core::Error>(std::move(first.error()));
        }
        auto last = parse_value(base.substr(dash + 1), at + dash + 1);
        if (!last) {
          return tl::unexpected<core::Error>(std::move(last.error()));
        }
        if (*first > *last) {
          return error("invalid range " + std::string(base), at);
        }
        low = *first;
        high = *last;
      }
    }
    int step = 1;
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      const std::size_t step_at = at + slash + 1;
      bool digits = !step_text.empty();
      for (char c : step_text) {
        digits = digits && is_digit(c);
      }
      step = digits ? to_number(step_text) : 0;
      if (step < 1) {
        return error("invalid step \"" + std::string(step_text) + "\"", step_at);
      }
      if (!range) {
        // Vixie cron accepts a step only after `*` or a range; `5/15` means different things
        // in different crons, so it is refused rather than guessed.
        return error("a step needs '*' or a range before it, got \"" + std::string(item) + "\"",
                     at);
      }
    }
    std::uint64_t bits = 0;
    for (int value = low; value <= high; value += step) {
      bits |= std::uint64_t{1} << static_cast<unsigned>(value);
    }
    return bits;
  }

  const FieldSpec& m_spec;
  std::string_view m_text;
  std::size_t m_offset;
};

template <std::size_t N>
std::bitset<N>
to_bitset(std::uint64_t bits)
{
  std::bitset<N> set;
  for (std::size_t i = 0; i < N; ++i) {
    set[i] = ((bits >> i) & 1U) != 0;
  }
  return set;
}

} // namespace

core::Result<CronExpr>
CronExpr::parse(std::string_view text)
{
  const std::vector<Token> tokens = split_fields(text);
  if (tokens.size() != k_fields.size()) {
    return core::fail(Errc::manifest,
                      "expected 5 fields (minute hour day-of-month month day-of-week), got "
                          + std::to_string(tokens.size()));
  }
  std::array<std::uint64_t, 5> bits{};
  for (std::size_t i = 0; i < k_fields.size(); ++i) {
    auto field = FieldParser(k_fields[i], tokens[i].text, tokens[i].offset).parse();
    if (!field) {
      return tl::unexpected<core::Error>(std::move(field.error()));
    }
    bits[i] = *field;
  }
  // Day-of-week 7 is Sunday.
  constexpr std::uint64_t k_sunday = std::uint64_t{1};
  constexpr std::uint64_t k_seven = std::uint64_t{1} << 7U;
  if ((bits[4] & k_seven) != 0) {
    bits[4] = (bits[4] & ~k_seven) | k_sunday;
  }

  CronExpr expr;
  expr.m_minutes = to_bitset<60>(bits[0]);
  expr.m_hours = to_bitset<24>(bits[1]);
  expr.m_days = to_bitset<32>(bits[2]);
  expr.m_months = to_bitset<13>(bits[3]);
  expr.m_weekdays = to_bitset<7>(bits[4]);
  // As in Vixie cron, a field counts as `*` for the day-of-month/day-of-week rule when it
  // starts with '*' (so `*/2` is unrestricted there too).
  expr.m_days_star = tokens[2].text.front() == '*';
  expr.m_weekdays_star = tokens[4].text.front() == '*';
  expr.m_text = std::string(text);
  return expr;
}

bool
CronExpr::matches(int minute, int hour, int day, int month, int weekday) const
{
  if (minute < 0 || minute > 59 || hour < 0 || hour > 23 || day < 1 || day > 31 || month < 1
      || month > 12 || weekday < 0 || weekday > 6) {
    return false;
  }
  if (!m_minutes[static_cast<std::size_t>(minute)] || !m_hours[static_cast<std::size_t>(hour)]
      || !m_months[static_cast<std::size_t>(month)]) {
    return false;
  }
  const bool day_match = m_days[static_cast<std::size_t>(day)];
  const bool weekday_match = m_weekdays[static_cast<std::size_t>(weekday)];
  if (m_days_star || m_weekdays_star) {
    return day_match && weekday_match;
  }
  return day_match || weekday_match;
}

} // namespace cachewarm::plan
