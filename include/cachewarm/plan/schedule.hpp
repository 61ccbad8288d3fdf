#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/manifest/manifest.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cachewarm::plan {

// An instant in UTC, to the millisecond.
using Instant = std::chrono::sys_time<std::chrono::milliseconds>;

// Whether a schedule is due at an instant, and why.
struct Due {
  bool due = false;
  // Human-readable, starting with "due: " or "not due: ", naming the schedule, e.g.
  // "due: business-hours peak 09:00 EST starts in 30m",
  // "due: business-hours peak 09:00-18:00 EST in progress",
  // "due: black-friday 11-27 from 05:30 UTC",
  // "due: nightly cron \"0 3 * * *\" at 03:00 CET",
  // "not due: business-hours next due 2026-11-23 08:30 EST".
  std::string reason;
  // For a peak schedule evaluated before its peak starts: the peak start, which warming should
  // finish by. Otherwise nullopt.
  std::optional<Instant> deadline;
};

// A manifest schedule compiled for evaluation: its IANA zone resolved (system tz database, via
// Howard Hinnant's date/tz), its times and cron expression parsed. Semantics, all in local time
// of the schedule's zone:
// - peak "HH:MM-HH:MM" (+ optional days, default every day; + lead): due from peak start - lead
//   until peak end, on the listed days (the day the peak starts; an end before the start means
//   the peak ends the next day).
// - dates ["MM-DD"...] + at "HH:MM" (default 00:00) (+ lead): due from at - lead until the end of
//   that local day, on those dates of every year.
// - cron (+ lead): due when a fire time minus lead falls in (now - window, now], where `window`
//   is how often the caller evaluates (cron invocation interval), so periodic callers never
//   miss a fire time and never run one twice.
// DST: a local time inside a spring-forward gap means the first instant after the gap; a local
// time repeated by a fall-back overlap means its first occurrence (so nothing fires twice).
class Schedule {
public:
  // Errors (Errc::manifest): `unknown time zone "Mars/Base"`, invalid peak/at/dates text, and
  // cron parse errors, each prefixed with "schedule <name>: ".
  static core::Result<Schedule> compile(const manifest::ScheduleSpec& spec);

  const std::string& name() const;

  // The schedule's state at `now` (see the class comment for `window`).
  Due evaluate(Instant now, std::chrono::minutes window) const;

  // The first minute strictly after `after` at which evaluate() becomes due (the start of the
  // next due window), searching at most ~400 days ahead; nullopt if none.
  std::optional<Instant> next_due(Instant after, std::chrono::minutes window) const;

  // `instant` in the schedule's zone: "2026-11-23 08:30 EST".
  std::string format_local(Instant instant) const;

  // The zone's IANA name ("America/New_York").
  const std::string& zone_name() const;

private:
  struct Impl;
  std::shared_ptr<const Impl> m_impl;
};

// Parses an ISO 8601 instant for --at: `2026-11-23T08:45:00-05:00`, `2026-11-23T13:45:00Z`,
// `2026-11-23T13:45Z`, fractional seconds allowed; a time without an offset is UTC.
// Errors (Errc::usage): `invalid time "x" (expected ISO 8601, e.g. 2026-11-23T08:45:00-05:00)`.
core::Result<Instant> parse_instant(std::string_view text);

// `instant` as ISO 8601 UTC with seconds: "2026-11-23T13:45:00Z".
std::string format_instant(Instant instant);

} // namespace cachewarm::plan
