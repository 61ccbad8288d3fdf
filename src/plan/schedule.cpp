// Manifest schedules compiled against the system tz database (Howard Hinnant's date/tz) and
// evaluated at an instant: peak windows, yearly dates and cron expressions, in local time.

#include "cachewarm/plan/schedule.hpp"

#include "cachewarm/plan/cron.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cachewarm::plan {

namespace {

using core::Errc;
using std::chrono::milliseconds;
using LocalMs = date::local_time<milliseconds>;
using LocalMinutes = date::local_time<std::chrono::minutes>;

// How far next_due() looks ahead (a year, plus slack for lead and time zone offsets).
constexpr int k_search_days = 400;

enum class Kind { peak, dates, cron };

struct MonthDay {
  unsigned month;
  unsigned day;
};

// A due window [from, end) and the instant it is about: the peak start or the dates' `at`.
struct Window {
  Instant from;
  Instant anchor;
  Instant end;
};

std::string
quoted(std::string_view text)
{
  return "\"" + std::string(text) + "\"";
}

bool
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

// Two ASCII digits at `text[pos]`, or -1.
int
two_digits(std::string_view text, std::size_t pos)
{
  if (pos + 2 > text.size() || !is_digit(text[pos]) || !is_digit(text[pos + 1])) {
    return -1;
  }
  return (text[pos] - '0') * 10 + (text[pos + 1] - '0');
}

// "HH:MM" as minutes after midnight, or nullopt.
std::optional<std::chrono::minutes>
parse_hhmm(std::string_view text)
{
  if (text.size() != 5 || text[2] != ':') {
    return std::nullopt;
  }
  const int hours = two_digits(text, 0);
  const int minutes = two_digits(text, 3);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) {
    return std::nullopt;
  }
  return std::chrono::minutes(hours * 60 + minutes);
}

// "MM-DD" naming a day of a (leap) year, or nullopt.
std::optional<MonthDay>
parse_mmdd(std::string_view text)
{
  if (text.size() != 5 || text[2] != '-') {
    return std::nullopt;
  }
  const int month = two_digits(text, 0);
  const int day = two_digits(text, 3);
  if (month < 1 || month > 12 || day < 1) {
    return std::nullopt;
  }
  const MonthDay result{static_cast<unsigned>(month), static_cast<unsigned>(day)};
  // 2000 is a leap year, so Feb 29 is accepted.
  if (!(date::year{2000} / date::month{result.month} / date::day{result.day}).ok()) {
    return std::nullopt;
  }
  return result;
}

// "mon".."sun" as date::weekday's C encoding (0 = Sunday), or nullopt.
std::optional<std::size_t>
parse_day_name(std::string_view text)
{
  constexpr std::array<std::string_view, 7> k_names = {
      "sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  for (std::size_t i = 0; i < k_names.size(); ++i) {
    if (k_names[i] == text) {
      return i;
    }
  }
  return std::nullopt;
}

// `duration` rounded to the nearest minute: "0m", "30m", "1h5m", "2h".
std::string
format_duration(milliseconds duration)
{
  const auto total = std::chrono::floor<std::chrono::minutes>(duration + std::chrono::seconds(30));
  const long long minutes = total.count() < 0 ? 0 : total.count();
  const long long hours = minutes / 60;
  if (hours == 0) {
    return std::to_string(minutes) + "m";
  }
  std::string text = std::to_string(hours) + "h";
  if (minutes % 60 != 0) {
    text += std::to_string(minutes % 60) + "m";
  }
  return text;
}

std::string
two_digit_text(long long value)
{
  std::string text = std::to_string(value);
  return text.size() < 2 ? "0" + text : text;
}

} // namespace

struct Schedule::Impl {
  std::string name;
  std::string zone_name;
  const date::time_zone* zone = nullptr;
  Kind kind = Kind::peak;
  milliseconds lead{0};

  // peak: minutes after local midnight; `peak_end` > `peak_start` (an overnight end has a day
  // added). `peak_days` is indexed by date::weekday::c_encoding().
  std::chrono::minutes peak_start{0};
  std::chrono::minutes peak_end{0};
  std::bitset<7> peak_days;

  // dates
  std::vector<MonthDay> dates;
  std::chrono::minutes at{0};

  // cron, with the expression's fields as tables so the search can skip whole days and hours.
  CronExpr cron;
  std::bitset<60> cron_minutes;
  std::bitset<24> cron_hours;
  std::bitset<13> cron_months;
  std::array<std::bitset<7>, 32> cron_day_rule; // [day of month][weekday], dom/dow rule applied

  // --- Local time ------------------------------------------------------------------------

  // `local` as an instant: a time in a spring-forward gap is the end of the gap, a time
  // repeated by a fall-back its first occurrence. Never throws.
  Instant to_instant(LocalMs local) const { return zone->to_sys(local, date::choose::earliest); }

  LocalMs to_local(Instant instant) const { return zone->to_local(instant); }

  date::local_days local_day(Instant instant) const
  {
    return date::floor<date::days>(to_local(instant));
  }

  std::string abbreviation(Instant instant) const { return zone->get_info(instant).abbrev; }

  // "HH:MM" of `instant` in the zone.
  std::string hhmm(Instant instant) const
  {
    const LocalMinutes local = date::floor<std::chrono::minutes>(to_local(instant));
    const date::hh_mm_ss<std::chrono::minutes> time(local - date::floor<date::days>(local));
    return two_digit_text(time.hours().count()) + ":" + two_digit_text(time.minutes().count());
  }

  // "HH:MM ABBR" of `instant` in the zone.
  std::string hhmm_zone(Instant instant) const
  {
    return hhmm(instant) + " " + abbreviation(instant);
  }

  // Whole days covered by `lead`, rounded up.
  int lead_days() const { return static_cast<int>(date::ceil<date::days>(lead).count()); }

  // --- peak --------------------------------------------------------------------------------

  // The peak starting on local day `day`, or nullopt if the day is not listed or the window is
  // empty (both ends inside one spring-forward gap).
  std::optional<Window> peak_window(date::local_days day) const
  {
    if (!peak_days[date::weekday(day).c_encoding()]) {
      return std::nullopt;
    }
    const Instant start = to_instant(LocalMs(day) + peak_start);
    const Instant end = to_instant(LocalMs(day) + peak_end);
    if (start >= end) {
      return std::nullopt;
    }
    return Window{start - lead, start, end};
  }

  Due evaluate_peak(Instant now) const
  {
    const date::local_days today = local_day(now);
    // An overnight peak started up to two days ago may still run; a lead may make a peak
    // several days ahead due already. The earliest window containing `now` wins, so a peak in
    // progress is reported before a later one whose lead has begun.
    for (date::local_days day = today - date::days(2); day <= today + date::days(lead_days() + 1);
         day += date::days(1)) {
      const std::optional<Window> window = peak_window(day);
      if (!window || now < window->from || now >= window->end) {
        continue;
      }
      if (now < window->anchor) {
        return Due{true,
                   "due: " + name + " peak " + hhmm_zone(window->anchor) + " starts in "
                       + format_duration(window->anchor - now),
                   window->anchor};
      }
      return Due{true,
                 "due: " + name + " peak " + hhmm(window->anchor) + "-" + hhmm(window->end) + " "
                     + abbreviation(now) + " in progress",
                 std::nullopt};
    }
    return not_due(now);
  }

  std::optional<Instant> next_peak(Instant after) const
  {
    // Window starts grow with the day, so the first one after `after` is the answer; two days
    // back is before `after` whatever the lead.
    const date::local_days first = local_day(after) - date::days(2);
    const date::local_days last = first + date::days(k_search_days + lead_days() + 2);
    for (date::local_days day = first; day <= last; day += date::days(1)) {
      const std::optional<Window> window = peak_window(day);
      if (window && window->from > after) {
        return window->from;
      }
    }
    return std::nullopt;
  }

  // --- dates -------------------------------------------------------------------------------

  // The window of local day `day` if it is one of the dates, or nullopt.
  std::optional<Window> date_window(date::local_days day) const
  {
    const date::year_month_day ymd(day);
    bool listed = false;
    for (const MonthDay& date : dates) {
      listed = listed
               || (date.month == static_cast<unsigned>(ymd.month())
                   && date.day == static_cast<unsigned>(ymd.day()));
    }
    if (!listed) {
      return std::nullopt;
    }
    const Instant at_instant = to_instant(LocalMs(day) + at);
    const Instant end = to_instant(LocalMs(day + date::days(1)));
    if (at_instant - lead >= end) {
      return std::nullopt;
    }
    return Window{at_instant - lead, at_instant, end};
  }

  Due evaluate_dates(Instant now) const
  {
    const date::local_days today = local_day(now);
    for (date::local_days day = today - date::days(1); day <= today + date::days(lead_days() + 1);
         day += date::days(1)) {
      const std::optional<Window> window = date_window(day);
      if (!window || now < window->from || now >= window->end) {
        continue;
      }
      const date::year_month_day ymd(day);
      return Due{true,
                 "due: " + name + " " + two_digit_text(static_cast<unsigned>(ymd.month())) + "-"
                     + two_digit_text(static_cast<unsigned>(ymd.day())) + " from "
                     + hhmm_zone(window->anchor),
                 std::nullopt};
    }
    return not_due(now);
  }

  std::optional<Instant> next_date(Instant after) const
  {
    const date::local_days first = local_day(after) - date::days(1);
    const date::local_days last = first + date::days(k_search_days + lead_days() + 2);
    for (date::local_days day = first; day <= last; day += date::days(1)) {
      const std::optional<Window> window = date_window(day);
      if (window && window->from > after) {
        return window->from;
      }
    }
    return std::nullopt;
  }

  // --- cron --------------------------------------------------------------------------------

  // The first fire instant strictly after `after`, looking at local days up to `last_day`.
  // Local minutes map to instants in non-decreasing order (gap minutes all map to the end of
  // the gap, repeated minutes to their first occurrence), and the local minute of `after` maps
  // to an instant <= `after`, so scanning forward from it finds the earliest fire.
  std::optional<Instant> first_fire_after(Instant after, date::local_days last_day) const
  {
    const LocalMinutes first_minute = date::floor<std::chrono::minutes>(to_local(after));
    const date::local_days first_day = date::floor<date::days>(first_minute);
    for (date::local_days day = first_day; day <= last_day; day += date::days(1)) {
      const date::year_month_day ymd(day);
      if (!cron_months[static_cast<unsigned>(ymd.month())]
          || !cron_day_rule[static_cast<unsigned>(ymd.day())][date::weekday(day).c_encoding()]) {
        continue;
      }
      for (std::size_t hour = 0; hour < cron_hours.size(); ++hour) {
        if (!cron_hours[hour]) {
          continue;
        }
        const LocalMinutes hour_start = LocalMinutes(day) + std::chrono::hours(hour);
        if (hour_start + std::chrono::hours(1) <= first_minute) {
          continue;
        }
        for (std::size_t minute = 0; minute < cron_minutes.size(); ++minute) {
          if (!cron_minutes[minute]) {
            continue;
          }
          const LocalMinutes local = hour_start + std::chrono::minutes(minute);
          if (local < first_minute) {
            continue;
          }
          const Instant fire = to_instant(local);
          if (fire > after) {
            return fire;
          }
        }
      }
    }
    return std::nullopt;
  }

  Due evaluate_cron(Instant now, std::chrono::minutes window) const
  {
    // Due when fire - lead is in (now - window, now], i.e. fire is in (low, high].
    const Instant low = now - window + lead;
    const Instant high = now + lead;
    if (low < high) {
      const std::optional<Instant> fire = first_fire_after(low, local_day(high) + date::days(1));
      if (fire && *fire <= high) {
        return Due{true,
                   "due: " + name + " cron " + quoted(cron.text()) + " at " + hhmm_zone(*fire),
                   std::nullopt};
      }
    }
    return not_due(now);
  }

  std::optional<Instant> next_cron(Instant after) const
  {
    const Instant threshold = after + lead;
    const std::optional<Instant> fire =
        first_fire_after(threshold, local_day(threshold) + date::days(k_search_days));
    if (!fire) {
      return std::nullopt;
    }
    return *fire - lead;
  }

  // --- all kinds ---------------------------------------------------------------------------

  std::optional<Instant> next_due(Instant after) const
  {
    switch (kind) {
    case Kind::peak:
      return next_peak(after);
    case Kind::dates:
      return next_date(after);
    case Kind::cron:
      return next_cron(after);
    }
    return std::nullopt;
  }

  Due not_due(Instant now) const
  {
    const std::optional<Instant> next = next_due(now);
    if (!next) {
      return Due{false,
                 "not due: " + name + " not due within " + std::to_string(k_search_days) + " days",
                 std::nullopt};
    }
    return Due{false, "not due: " + name + " next due " + format_local(*next), std::nullopt};
  }

  // Fill in the fields of one kind from `spec` (see below).
  core::Result<void> compile_peak(const manifest::ScheduleSpec& spec);
  core::Result<void> compile_dates(const manifest::ScheduleSpec& spec);
  core::Result<void> compile_cron(const manifest::ScheduleSpec& spec);

  std::string format_local(Instant instant) const
  {
    const LocalMinutes local = date::floor<std::chrono::minutes>(to_local(instant));
    return date::format("%Y-%m-%d %H:%M", local) + " " + abbreviation(instant);
  }
};

// --- Compiling each kind (Schedule::compile checked that exactly one is given) ------------------
// Errors are Errc::manifest (Errc::internal for a cron text the parser accepted but that cannot
// be tabulated); the caller prefixes "schedule NAME".

core::Result<void>
Schedule::Impl::compile_peak(const manifest::ScheduleSpec& spec)
{
  kind = Kind::peak;
  const std::size_t dash = spec.peak.find('-');
  const std::optional<std::chrono::minutes> start =
      dash == std::string::npos ? std::nullopt : parse_hhmm(spec.peak.substr(0, dash));
  const std::optional<std::chrono::minutes> end =
      dash == std::string::npos ? std::nullopt : parse_hhmm(spec.peak.substr(dash + 1));
  if (!start || !end) {
    return core::fail(Errc::manifest,
                      "invalid peak " + quoted(spec.peak) + " (expected HH:MM-HH:MM)");
  }
  peak_start = *start;
  // An end at or before the start is on the next day (equal ends mean a 24-hour peak).
  peak_end = *end > *start ? *end : *end + date::days(1);
  if (spec.days.empty()) {
    peak_days.set();
  }
  for (const std::string& day : spec.days) {
    const std::optional<std::size_t> weekday = parse_day_name(day);
    if (!weekday) {
      return core::fail(Errc::manifest, "invalid day " + quoted(day) + " (expected mon..sun)");
    }
    peak_days.set(*weekday);
  }
  return {};
}

core::Result<void>
Schedule::Impl::compile_dates(const manifest::ScheduleSpec& spec)
{
  kind = Kind::dates;
  for (const std::string& text : spec.dates) {
    const std::optional<MonthDay> date = parse_mmdd(text);
    if (!date) {
      return core::fail(Errc::manifest, "invalid date " + quoted(text) + " (expected MM-DD)");
    }
    dates.push_back(*date);
  }
  if (!spec.at.empty()) {
    const std::optional<std::chrono::minutes> parsed = parse_hhmm(spec.at);
    if (!parsed) {
      return core::fail(Errc::manifest, "invalid at " + quoted(spec.at) + " (expected HH:MM)");
    }
    at = *parsed;
  }
  return {};
}

core::Result<void>
Schedule::Impl::compile_cron(const manifest::ScheduleSpec& spec)
{
  kind = Kind::cron;
  auto expr = CronExpr::parse(spec.cron);
  if (!expr) {
    return tl::unexpected<core::Error>(core::with_context(std::move(expr.error()), "cron"));
  }
  cron = std::move(*expr);
  // CronExpr only answers matches(); tabulate each field by matching against an expression
  // where every other field is '*' (the texts are valid: they come from a parsed expression).
  std::vector<std::string> fields;
  std::size_t i = 0;
  const std::string& text = spec.cron;
  while (i < text.size()) {
    const std::size_t start = text.find_first_not_of(" \t\r\n", i);
    if (start == std::string::npos) {
      break;
    }
    const std::size_t end = std::min(text.find_first_of(" \t\r\n", start), text.size());
    fields.push_back(text.substr(start, end - start));
    i = end;
  }
  if (fields.size() != 5) {
    return core::fail(Errc::internal, "cron: cannot split " + quoted(spec.cron));
  }
  const auto minutes = CronExpr::parse(fields[0] + " * * * *");
  const auto hours = CronExpr::parse("* " + fields[1] + " * * *");
  const auto months = CronExpr::parse("* * * " + fields[3] + " *");
  const auto days = CronExpr::parse("* * " + fields[2] + " * " + fields[4]);
  if (!minutes || !hours || !months || !days) {
    return core::fail(Errc::internal, "cron: cannot tabulate " + quoted(spec.cron));
  }
  for (int minute = 0; minute < 60; ++minute) {
    cron_minutes[static_cast<std::size_t>(minute)] = minutes->matches(minute, 0, 1, 1, 0);
  }
  for (int hour = 0; hour < 24; ++hour) {
    cron_hours[static_cast<std::size_t>(hour)] = hours->matches(0, hour, 1, 1, 0);
  }
  for (int month = 1; month <= 12; ++month) {
    cron_months[static_cast<std::size_t>(month)] = months->matches(0, 0, 1, month, 0);
  }
  for (int day = 1; day <= 31; ++day) {
    for (int weekday = 0; weekday < 7; ++weekday) {
      cron_day_rule[static_cast<std::size_t>(day)][static_cast<std::size_t>(weekday)] =
          days->matches(0, 0, day, 1, weekday);
    }
  }
  return {};
}

core::Result<Schedule>
Schedule::compile(const manifest::ScheduleSpec& spec)
{
  const std::string prefix = "schedule " + spec.name + ": ";
  auto error = [&prefix](const std::string& message) {
    return core::fail(Errc::manifest, prefix + message);
  };

  auto impl = std::make_shared<Impl>();
  impl->name = spec.name;
  impl->zone_name = spec.timezone;
  impl->lead = spec.lead;
  try {
    impl->zone = date::locate_zone(spec.timezone);
  } catch (const std::exception&) {
    return error("unknown time zone " + quoted(spec.timezone));
  }
  if (spec.lead < milliseconds(0)) {
    return error("lead must not be negative");
  }

  const int kinds = static_cast<int>(!spec.peak.empty()) + static_cast<int>(!spec.dates.empty())
                    + static_cast<int>(!spec.cron.empty());
  if (kinds == 0) {
    return error("expected one of peak, dates or cron");
  }
  if (kinds > 1) {
    return error("only one of peak, dates or cron may be given");
  }

  core::Result<void> compiled = !spec.peak.empty()    ? impl->compile_peak(spec)
                                : !spec.dates.empty() ? impl->compile_dates(spec)
                                                      : impl->compile_cron(spec);
  if (!compiled) {
    return tl::unexpected(core::with_context(std::move(compiled.error()), "schedule " + spec.name));
  }

  Schedule schedule;
  schedule.m_impl = std::move(impl);
  return schedule;
}

const std::string&
Schedule::name() const
{
  return m_impl->name;
}

const std::string&
Schedule::zone_name() const
{
  return m_impl->zone_name;
}

Due
Schedule::evaluate(Instant now, std::chrono::minutes window) const
{
  // date/tz only throws on corrupt zone data; a schedule must never take the planner down.
  try {
    switch (m_impl->kind) {
    case Kind::peak:
      return m_impl->evaluate_peak(now);
    case Kind::dates:
      return m_impl->evaluate_dates(now);
    case Kind::cron:
      return m_impl->evaluate_cron(now, window);
    }
  } catch (const std::exception& e) {
    return Due{false, "not due: " + m_impl->name + " time zone error: " + e.what(), std::nullopt};
  }
  return Due{};
}

std::optional<Instant>
Schedule::next_due(Instant after, std::chrono::minutes /*window*/) const
{
  try {
    return m_impl->next_due(after);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string
Schedule::format_local(Instant instant) const
{
  try {
    return m_impl->format_local(instant);
  } catch (const std::exception&) {
    return format_instant(instant);
  }
}

namespace {

// Reads the fields of an ISO 8601 instant left to right; every reader returns -1 / false / nullopt
// on text that does not fit.
class IsoScanner {
public:
  explicit IsoScanner(std::string_view text)
      : m_text(text)
  {}

  bool at_end() const { return m_pos == m_text.size(); }

  // `width` digits as a number, or -1.
  int number(std::size_t width)
  {
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      if (m_pos >= m_text.size() || !is_digit(m_text[m_pos])) {
        return -1;
      }
      value = value * 10 + (m_text[m_pos] - '0');
      ++m_pos;
    }
    return value;
  }

  // Consumes `c` if it is next.
  bool consume(char c)
  {
    if (m_pos < m_text.size() && m_text[m_pos] == c) {
      ++m_pos;
      return true;
    }
    return false;
  }

  // After `.` or `,`: at least one digit, kept to the millisecond (truncated).
  std::optional<milliseconds> fraction()
  {
    const std::size_t start = m_pos;
    long long millis = 0;
    while (m_pos < m_text.size() && is_digit(m_text[m_pos])) {
      if (m_pos - start < 3) {
        millis = millis * 10 + (m_text[m_pos] - '0');
      }
      ++m_pos;
    }
    if (m_pos == start) {
      return std::nullopt;
    }
    for (std::size_t digits = m_pos - start; digits < 3; ++digits) {
      millis *= 10;
    }
    return milliseconds(millis);
  }

  // `Z`, `+HH[:]MM`, `-HH`, or nothing (UTC): the offset east of UTC.
  std::optional<std::chrono::minutes> offset()
  {
    if (consume('Z') || consume('z') || at_end()) {
      return std::chrono::minutes(0);
    }
    const bool negative = m_text[m_pos] == '-';
    if (!consume('+') && !consume('-')) {
      return std::nullopt;
    }
    const int hours = number(2);
    int minutes = 0;
    if (hours < 0 || hours > 23) {
      return std::nullopt;
    }
    if (!at_end()) {
      consume(':');
      minutes = number(2);
      if (minutes < 0 || minutes > 59) {
        return std::nullopt;
      }
    }
    const std::chrono::minutes offset(hours * 60 + minutes);
    return negative ? -offset : offset;
  }

private:
  std::string_view m_text;
  std::size_t m_pos = 0;
};

} // namespace

core::Result<Instant>
parse_instant(std::string_view text)
{
  const auto invalid = [text]() {
    return core::fail(Errc::usage,
                      "invalid time " + quoted(text)
                          + " (expected ISO 8601, e.g. 2026-11-23T08:45:00-05:00)");
  };
  IsoScanner scan(text);
  const int year = scan.number(4);
  const int month = year < 0 || !scan.consume('-') ? -1 : scan.number(2);
  const int day = month < 0 || !scan.consume('-') ? -1 : scan.number(2);
  const int hour = day < 0 || !(scan.consume('T') || scan.consume('t')) ? -1 : scan.number(2);
  const int minute = hour < 0 || !scan.consume(':') ? -1 : scan.number(2);
  if (minute < 0) {
    return invalid();
  }
  int second = 0;
  milliseconds fraction{0};
  if (scan.consume(':')) {
    second = scan.number(2);
    if (second < 0) {
      return invalid();
    }
    if (scan.consume('.') || scan.consume(',')) {
      const std::optional<milliseconds> parsed = scan.fraction();
      if (!parsed) {
        return invalid();
      }
      fraction = *parsed;
    }
  }
  const std::optional<std::chrono::minutes> offset = scan.offset();
  if (!offset || !scan.at_end()) {
    return invalid();
  }
  const date::year_month_day ymd{date::year{year},
                                 date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) {
    return invalid();
  }
  return Instant(date::sys_days(ymd)) + std::chrono::hours(hour) + std::chrono::minutes(minute)
         + std::chrono::seconds(second) + fraction - *offset;
}

std::string
format_instant(Instant instant)
{
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::floor<std::chrono::seconds>(instant));
}

} // namespace cachewarm::plan
