#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/plan/schedule.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using cachewarm::core::Errc;
using namespace std::chrono_literals;
namespace plan = cachewarm::plan;
namespace manifest = cachewarm::manifest;

namespace {

plan::Instant
at(std::string_view text)
{
  auto instant = plan::parse_instant(text);
  REQUIRE_MESSAGE(instant.has_value(), std::string(text));
  return *instant;
}

plan::Schedule
compile(const manifest::ScheduleSpec& spec)
{
  auto schedule = plan::Schedule::compile(spec);
  REQUIRE_MESSAGE(schedule.has_value(), (schedule ? std::string() : schedule.error().message));
  return *schedule;
}

std::string
compile_error(const manifest::ScheduleSpec& spec)
{
  auto schedule = plan::Schedule::compile(spec);
  REQUIRE_FALSE(schedule.has_value());
  CHECK(schedule.error().code == Errc::manifest);
  return schedule.error().message;
}

manifest::ScheduleSpec
peak(std::string name,
     std::string window,
     std::string timezone,
     std::chrono::milliseconds lead = 0ms,
     std::vector<std::string> days = {})
{
  manifest::ScheduleSpec spec;
  spec.name = std::move(name);
  spec.peak = std::move(window);
  spec.timezone = std::move(timezone);
  spec.lead = lead;
  spec.days = std::move(days);
  return spec;
}

manifest::ScheduleSpec
dates(std::string name,
      std::vector<std::string> list,
      std::string at_text,
      std::string timezone,
      std::chrono::milliseconds lead = 0ms)
{
  manifest::ScheduleSpec spec;
  spec.name = std::move(name);
  spec.dates = std::move(list);
  spec.at = std::move(at_text);
  spec.timezone = std::move(timezone);
  spec.lead = lead;
  return spec;
}

manifest::ScheduleSpec
cron(std::string name,
     std::string expression,
     std::string timezone,
     std::chrono::milliseconds lead = 0ms)
{
  manifest::ScheduleSpec spec;
  spec.name = std::move(name);
  spec.cron = std::move(expression);
  spec.timezone = std::move(timezone);
  spec.lead = lead;
  return spec;
}

// Business hours in New York: 09:00-18:00 on weekdays, warmed 30 minutes ahead.
plan::Schedule
business_hours()
{
  return compile(peak("business-hours",
                      "09:00-18:00",
                      "America/New_York",
                      30min,
                      {"mon", "tue", "wed", "thu", "fri"}));
}

std::string
format(std::optional<plan::Instant> instant)
{
  return instant ? plan::format_instant(*instant) : "none";
}

// Every minute in [from, to) at which `schedule` is due with a one-minute window, as ISO text,
// with the reason of each.
struct Fire {
  std::string instant;
  std::string reason;
};

std::vector<Fire>
due_minutes(const plan::Schedule& schedule, plan::Instant from, plan::Instant to)
{
  std::vector<Fire> fires;
  for (plan::Instant now = from; now < to; now += 1min) {
    const plan::Due due = schedule.evaluate(now, 1min);
    if (due.due) {
      fires.push_back(Fire{plan::format_instant(now), due.reason});
    }
  }
  return fires;
}

} // namespace

TEST_SUITE("plan::schedule")
{
  // --- compile ---------------------------------------------------------------------------

  TEST_CASE("compile resolves the zone and keeps the name")
  {
    const plan::Schedule schedule = business_hours();
    CHECK(schedule.name() == "business-hours");
    CHECK(schedule.zone_name() == "America/New_York");
  }

  TEST_CASE("the time zone defaults to UTC")
  {
    manifest::ScheduleSpec spec;
    spec.name = "nightly";
    spec.cron = "0 3 * * *";
    const plan::Schedule schedule = compile(spec);
    CHECK(schedule.zone_name() == "UTC");
    CHECK(schedule.format_local(at("2026-11-23T13:45:00Z")) == "2026-11-23 13:45 UTC");
  }

  TEST_CASE("an unknown time zone is an error naming the schedule")
  {
    CHECK(compile_error(peak("x", "09:00-18:00", "Mars/Base"))
          == "schedule x: unknown time zone \"Mars/Base\"");
  }

  TEST_CASE("cron errors are prefixed with the schedule and 'cron'")
  {
    CHECK(compile_error(cron("nightly", "0 25 * * *", "UTC"))
          == "schedule nightly: cron: hour: 25 is out of range 0-23 (column 3)");
  }

  TEST_CASE("invalid peak, days, dates and at texts are errors")
  {
    CHECK(compile_error(peak("p", "9-18", "UTC"))
          == "schedule p: invalid peak \"9-18\" (expected HH:MM-HH:MM)");
    CHECK(compile_error(peak("p", "09:00-24:00", "UTC"))
          == "schedule p: invalid peak \"09:00-24:00\" (expected HH:MM-HH:MM)");
    CHECK(compile_error(peak("p", "09:00-18:00", "UTC", 0ms, {"mon", "funday"}))
          == "schedule p: invalid day \"funday\" (expected mon..sun)");
    CHECK(compile_error(dates("d", {"11-27", "02-30"}, "", "UTC"))
          == "schedule d: invalid date \"02-30\" (expected MM-DD)");
    CHECK(compile_error(dates("d", {"11-27"}, "5:30", "UTC"))
          == "schedule d: invalid at \"5:30\" (expected HH:MM)");
  }

  TEST_CASE("a schedule needs exactly one of peak, dates or cron")
  {
    manifest::ScheduleSpec none;
    none.name = "n";
    CHECK(compile_error(none) == "schedule n: expected one of peak, dates or cron");
    manifest::ScheduleSpec both = peak("b", "09:00-18:00", "UTC");
    both.cron = "0 3 * * *";
    CHECK(compile_error(both) == "schedule b: only one of peak, dates or cron may be given");
  }

  TEST_CASE("a negative lead is an error")
  {
    CHECK(compile_error(peak("p", "09:00-18:00", "UTC", -1min))
          == "schedule p: lead must not be negative");
  }

  // --- format_local, parse_instant, format_instant -----------------------------------------

  TEST_CASE("format_local uses the zone's offset and abbreviation at the instant")
  {
    const plan::Schedule schedule = business_hours();
    CHECK(schedule.format_local(at("2026-11-23T13:30:00Z")) == "2026-11-23 08:30 EST");
    CHECK(schedule.format_local(at("2026-07-01T13:30:00Z")) == "2026-07-01 09:30 EDT");
    CHECK(compile(peak("k", "09:00-18:00", "Asia/Kolkata")).format_local(at("2026-11-23T03:00Z"))
          == "2026-11-23 08:30 IST");
    CHECK(
        compile(peak("s", "09:00-18:00", "Australia/Sydney")).format_local(at("2026-01-13T22:00Z"))
        == "2026-01-14 09:00 AEDT");
    CHECK(
        compile(peak("s", "09:00-18:00", "Australia/Sydney")).format_local(at("2026-07-14T23:00Z"))
        == "2026-07-15 09:00 AEST");
  }

  TEST_CASE("format_local drops seconds")
  {
    CHECK(business_hours().format_local(at("2026-11-23T13:30:59.999Z")) == "2026-11-23 08:30 EST");
  }

  TEST_CASE("parse_instant accepts a numeric offset")
  {
    CHECK(plan::format_instant(at("2026-11-23T08:45:00-05:00")) == "2026-11-23T13:45:00Z");
    CHECK(plan::format_instant(at("2026-11-23T19:15:00+05:30")) == "2026-11-23T13:45:00Z");
    CHECK(plan::format_instant(at("2026-11-23T19:15:00+0530")) == "2026-11-23T13:45:00Z");
    CHECK(plan::format_instant(at("2026-11-23T15:45:00+02")) == "2026-11-23T13:45:00Z");
  }

  TEST_CASE("parse_instant accepts Z, no seconds, and no offset as UTC")
  {
    CHECK(at("2026-11-23T13:45:00Z") == at("2026-11-23T08:45:00-05:00"));
    CHECK(at("2026-11-23T13:45Z") == at("2026-11-23T13:45:00Z"));
    CHECK(at("2026-11-23T13:45:00") == at("2026-11-23T13:45:00Z"));
    CHECK(at("2026-11-23T13:45") == at("2026-11-23T13:45:00Z"));
  }

  TEST_CASE("parse_instant keeps fractional seconds to the millisecond")
  {
    CHECK(at("2026-11-23T13:45:00.25Z") - at("2026-11-23T13:45:00Z") == 250ms);
    CHECK(at("2026-11-23T13:45:00.123456Z") - at("2026-11-23T13:45:00Z") == 123ms);
    CHECK(at("2026-11-23T13:45:00,5-05:00") - at("2026-11-23T18:45:00Z") == 500ms);
  }

  TEST_CASE("parse_instant accepts Feb 29 only in leap years")
  {
    CHECK(plan::format_instant(at("2028-02-29T12:00:00Z")) == "2028-02-29T12:00:00Z");
    CHECK_FALSE(plan::parse_instant("2027-02-29T12:00:00Z"));
  }

  TEST_CASE("parse_instant rejects garbage, missing parts and out-of-range fields")
  {
    const std::vector<std::string> bad = {
        "",
        "x",
        "now",
        "2026-11-23",
        "2026-11-23T",
        "2026-11-23T13",
        "2026-11-23T13:",
        "2026-11-23T13:4",
        "2026-11-23 13:45:00Z",
        "26-11-23T13:45:00Z",
        "2026-1-23T13:45:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-23T24:00:00Z",
        "2026-11-23T13:60:00Z",
        "2026-11-23T13:45:60Z",
        "2026-11-23T13:45:00.Z",
        "2026-11-23T13:45:00+24:00",
        "2026-11-23T13:45:00+05:60",
        "2026-11-23T13:45:00+5",
        "2026-11-23T13:45:00+05:",
        "2026-11-23T13:45:00ZZ",
        "2026-11-23T13:45:00Z ",
        " 2026-11-23T13:45:00Z",
        "2026-11-23T13:45:00EST",
    };
    for (const std::string& text : bad) {
      CAPTURE(text);
      const auto result = plan::parse_instant(text);
      REQUIRE_FALSE(result);
      CHECK(result.error().code == Errc::usage);
      CHECK(result.error().message
            == "invalid time \"" + text + "\" (expected ISO 8601, e.g. 2026-11-23T08:45:00-05:00)");
    }
  }

  TEST_CASE("format_instant prints UTC with seconds, truncating milliseconds")
  {
    CHECK(plan::format_instant(at("2026-11-23T13:45:07.900Z")) == "2026-11-23T13:45:07Z");
    CHECK(plan::format_instant(at("1969-12-31T23:59:59.5Z")) == "1969-12-31T23:59:59Z");
  }

  // --- peak --------------------------------------------------------------------------------

  TEST_CASE("peak: before the lead it is not due and names the next due time")
  {
    const plan::Due due = business_hours().evaluate(at("2026-11-23T08:00:00-05:00"), 5min);
    CHECK_FALSE(due.due);
    CHECK(due.reason == "not due: business-hours next due 2026-11-23 08:30 EST");
    CHECK_FALSE(due.deadline);
  }

  TEST_CASE("peak: within the lead it is due with the peak start as deadline")
  {
    const plan::Due due = business_hours().evaluate(at("2026-11-23T08:30:00-05:00"), 5min);
    CHECK(due.due);
    CHECK(due.reason == "due: business-hours peak 09:00 EST starts in 30m");
    REQUIRE(due.deadline);
    CHECK(*due.deadline == at("2026-11-23T09:00:00-05:00"));
  }

  TEST_CASE("peak: the time left rounds to the nearest minute")
  {
    const plan::Schedule schedule = business_hours();
    CHECK(schedule.evaluate(at("2026-11-23T08:45:00-05:00"), 5min).reason
          == "due: business-hours peak 09:00 EST starts in 15m");
    CHECK(schedule.evaluate(at("2026-11-23T08:44:31-05:00"), 5min).reason
          == "due: business-hours peak 09:00 EST starts in 15m");
    CHECK(schedule.evaluate(at("2026-11-23T08:59:31-05:00"), 5min).reason
          == "due: business-hours peak 09:00 EST starts in 0m");
  }

  TEST_CASE("peak: leads of hours print as hours and minutes")
  {
    const plan::Schedule schedule = compile(peak("early", "09:00-18:00", "America/New_York", 2h));
    CHECK(schedule.evaluate(at("2026-11-23T07:55:00-05:00"), 5min).reason
          == "due: early peak 09:00 EST starts in 1h5m");
    CHECK(schedule.evaluate(at("2026-11-23T07:00:00-05:00"), 5min).reason
          == "due: early peak 09:00 EST starts in 2h");
  }

  TEST_CASE("peak: from the start until the end it is in progress without a deadline")
  {
    const plan::Schedule schedule = business_hours();
    for (const char* now : {"2026-11-23T09:00:00-05:00", "2026-11-23T17:59:59-05:00"}) {
      CAPTURE(now);
      const plan::Due due = schedule.evaluate(at(now), 5min);
      CHECK(due.due);
      CHECK(due.reason == "due: business-hours peak 09:00-18:00 EST in progress");
      CHECK_FALSE(due.deadline);
    }
  }

  TEST_CASE("peak: at the end it is no longer due and the next weekday is named")
  {
    const plan::Due due = business_hours().evaluate(at("2026-11-23T18:00:00-05:00"), 5min);
    CHECK_FALSE(due.due);
    CHECK(due.reason == "not due: business-hours next due 2026-11-24 08:30 EST");
  }

  TEST_CASE("peak: days not listed are skipped (weekend -> Monday)")
  {
    const plan::Schedule schedule = business_hours();
    const plan::Due saturday = schedule.evaluate(at("2026-11-21T10:00:00-05:00"), 5min);
    CHECK_FALSE(saturday.due);
    CHECK(saturday.reason == "not due: business-hours next due 2026-11-23 08:30 EST");
    const plan::Due friday_evening = schedule.evaluate(at("2026-11-20T19:00:00-05:00"), 5min);
    CHECK(friday_evening.reason == "not due: business-hours next due 2026-11-23 08:30 EST");
  }

  TEST_CASE("peak: summer time uses the summer abbreviation")
  {
    const plan::Due due = business_hours().evaluate(at("2026-07-01T08:45:00-04:00"), 5min);
    CHECK(due.due);
    CHECK(due.reason == "due: business-hours peak 09:00 EDT starts in 15m");
    CHECK(*due.deadline == at("2026-07-01T13:00:00Z"));
  }

  TEST_CASE("peak: a lead crossing midnight makes the previous evening due")
  {
    // Tuesday's 00:30 peak is due from Monday 23:30.
    const plan::Schedule schedule =
        compile(peak("midnight", "00:30-02:00", "Europe/Berlin", 1h, {"tue"}));
    const plan::Due before = schedule.evaluate(at("2026-11-23T23:20:00+01:00"), 5min);
    CHECK_FALSE(before.due);
    CHECK(before.reason == "not due: midnight next due 2026-11-23 23:30 CET");
    const plan::Due due = schedule.evaluate(at("2026-11-23T23:40:00+01:00"), 5min);
    CHECK(due.due);
    CHECK(due.reason == "due: midnight peak 00:30 CET starts in 50m");
    CHECK(*due.deadline == at("2026-11-24T00:30:00+01:00"));
  }

  TEST_CASE("peak: a lead longer than a day starts on an earlier day")
  {
    const plan::Schedule schedule =
        compile(peak("monday", "09:00-10:00", "America/New_York", 24h, {"mon"}));
    const plan::Due due = schedule.evaluate(at("2026-11-22T09:00:00-05:00"), 5min);
    CHECK(due.due);
    CHECK(due.reason == "due: monday peak 09:00 EST starts in 24h");
    CHECK(format(schedule.next_due(at("2026-11-20T00:00:00Z"), 5min)) == "2026-11-22T14:00:00Z");
  }

  TEST_CASE("peak: an overnight peak runs into the next day, counted on its start day")
  {
    const plan::Schedule schedule =
        compile(peak("night", "22:00-06:00", "Asia/Kolkata", 0ms, {"fri"}));
    const plan::Due saturday_morning = schedule.evaluate(at("2026-11-28T03:00:00+05:30"), 5min);
    CHECK(saturday_morning.due);
    CHECK(saturday_morning.reason == "due: night peak 22:00-06:00 IST in progress");
    const plan::Due after = schedule.evaluate(at("2026-11-28T06:00:00+05:30"), 5min);
    CHECK_FALSE(after.due);
    CHECK(after.reason == "not due: night next due 2026-12-04 22:00 IST");
    // Thursday night is not a listed start day.
    CHECK_FALSE(schedule.evaluate(at("2026-11-26T23:00:00+05:30"), 5min).due);
  }

  TEST_CASE("peak: equal start and end make a 24-hour peak")
  {
    const plan::Schedule schedule = compile(peak("all-day", "00:00-00:00", "UTC", 0ms, {"mon"}));
    CHECK(schedule.evaluate(at("2026-11-23T23:59:00Z"), 5min).reason
          == "due: all-day peak 00:00-00:00 UTC in progress");
    CHECK_FALSE(schedule.evaluate(at("2026-11-24T00:00:00Z"), 5min).due);
  }

  TEST_CASE("peak: Asia/Kolkata's half-hour offset, before and during the lead")
  {
    const plan::Schedule schedule = compile(peak("india", "09:00-18:00", "Asia/Kolkata", 45min));
    CHECK(schedule.evaluate(at("2026-11-23T02:44:00Z"), 5min).reason
          == "not due: india next due 2026-11-23 08:15 IST");
    const plan::Due due = schedule.evaluate(at("2026-11-23T02:45:00Z"), 5min);
    CHECK(due.reason == "due: india peak 09:00 IST starts in 45m");
    CHECK(*due.deadline == at("2026-11-23T03:30:00Z"));
  }

  TEST_CASE("peak: Asia/Kolkata has no DST, so next due is 08:15 IST all year")
  {
    const plan::Schedule schedule = compile(peak("india", "09:00-18:00", "Asia/Kolkata", 45min));
    plan::Instant now = at("2026-01-01T00:00:00Z");
    for (int day = 0; day < 365; ++day) {
      const std::optional<plan::Instant> next = schedule.next_due(now, 5min);
      REQUIRE(next);
      CHECK(*next - now <= 24h);
      CHECK(schedule.format_local(*next).substr(10) == " 08:15 IST");
      now = *next;
    }
  }

  TEST_CASE("peak: Australia/Sydney is on summer time in January and standard time in July")
  {
    const plan::Schedule schedule =
        compile(peak("sydney", "09:00-17:00", "Australia/Sydney", 30min));
    const plan::Due january = schedule.evaluate(at("2026-01-13T21:45:00Z"), 5min);
    CHECK(january.reason == "due: sydney peak 09:00 AEDT starts in 15m");
    CHECK(*january.deadline == at("2026-01-14T09:00:00+11:00"));
    const plan::Due july = schedule.evaluate(at("2026-07-14T22:45:00Z"), 5min);
    CHECK(july.reason == "due: sydney peak 09:00 AEST starts in 15m");
    CHECK(*july.deadline == at("2026-07-15T09:00:00+10:00"));
  }

  TEST_CASE("peak: a start inside the spring-forward gap moves to the end of the gap (New York)")
  {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
    const plan::Schedule schedule = compile(peak("gap", "02:30-04:00", "America/New_York"));
    CHECK(schedule.evaluate(at("2026-03-08T06:50:00Z"), 5min).reason
          == "not due: gap next due 2026-03-08 03:00 EDT");
    CHECK(format(schedule.next_due(at("2026-03-08T00:00:00Z"), 5min)) == "2026-03-08T07:00:00Z");
    CHECK(schedule.evaluate(at("2026-03-08T07:00:00Z"), 5min).reason
          == "due: gap peak 03:00-04:00 EDT in progress");
    CHECK_FALSE(schedule.evaluate(at("2026-03-08T08:00:00Z"), 5min).due);
  }

  TEST_CASE("peak: a start inside the spring-forward gap with a lead (Sydney, October)")
  {
    // 2026-10-04: 02:00 AEST jumps to 03:00 AEDT (2026-10-03T16:00Z).
    const plan::Schedule schedule = compile(peak("gap", "02:30-04:00", "Australia/Sydney", 30min));
    CHECK_FALSE(schedule.evaluate(at("2026-10-03T15:29:00Z"), 5min).due);
    const plan::Due due = schedule.evaluate(at("2026-10-03T15:30:00Z"), 5min);
    CHECK(due.reason == "due: gap peak 03:00 AEDT starts in 30m");
    CHECK(*due.deadline == at("2026-10-03T16:00:00Z"));
  }

  TEST_CASE("peak: a start inside the fall-back overlap uses the first occurrence (New York)")
  {
    // 2026-11-01: 01:00-01:59 happens twice, first EDT (05:00Z) then EST (06:00Z).
    const plan::Schedule schedule = compile(peak("overlap", "01:30-03:00", "America/New_York"));
    CHECK(format(schedule.next_due(at("2026-11-01T00:00:00Z"), 5min)) == "2026-11-01T05:30:00Z");
    CHECK(schedule.evaluate(at("2026-11-01T05:30:00Z"), 5min).reason
          == "due: overlap peak 01:30-03:00 EDT in progress");
    // The second 01:30 is still inside the same peak, which does not start again.
    CHECK(schedule.evaluate(at("2026-11-01T06:30:00Z"), 5min).reason
          == "due: overlap peak 01:30-03:00 EST in progress");
    CHECK(format(schedule.next_due(at("2026-11-01T05:30:00Z"), 5min)) == "2026-11-02T06:30:00Z");
    CHECK_FALSE(schedule.evaluate(at("2026-11-01T08:00:00Z"), 5min).due);
  }

  TEST_CASE("peak: a start inside the fall-back overlap uses the first occurrence (Sydney, April)")
  {
    // 2026-04-05: 02:00-02:59 happens twice, first AEDT (2026-04-04T15:00Z) then AEST (16:00Z).
    const plan::Schedule schedule = compile(peak("overlap", "02:30-05:00", "Australia/Sydney"));
    CHECK(format(schedule.next_due(at("2026-04-04T12:00:00Z"), 5min)) == "2026-04-04T15:30:00Z");
    CHECK(schedule.evaluate(at("2026-04-04T16:30:00Z"), 5min).reason
          == "due: overlap peak 02:30-05:00 AEST in progress");
    CHECK_FALSE(schedule.evaluate(at("2026-04-04T19:00:00Z"), 5min).due);
  }

  TEST_CASE("peak: a whole peak inside the spring-forward gap never becomes due that day")
  {
    // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
    const plan::Schedule schedule = compile(peak("lost", "02:10-02:50", "Europe/Berlin"));
    CHECK(due_minutes(schedule, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")).empty());
    CHECK(format(schedule.next_due(at("2026-03-28T12:00:00Z"), 5min)) == "2026-03-30T00:10:00Z");
  }

  TEST_CASE("peak: next_due is strictly after its argument")
  {
    const plan::Schedule schedule = business_hours();
    CHECK(format(schedule.next_due(at("2026-11-23T08:29:59-05:00"), 5min))
          == "2026-11-23T13:30:00Z");
    CHECK(format(schedule.next_due(at("2026-11-23T08:30:00-05:00"), 5min))
          == "2026-11-24T13:30:00Z");
    CHECK(format(schedule.next_due(at("2026-11-27T12:00:00-05:00"), 5min))
          == "2026-11-30T13:30:00Z");
  }

  // --- dates -------------------------------------------------------------------------------

  TEST_CASE("dates: due from `at` until the end of the local day")
  {
    const plan::Schedule schedule =
        compile(dates("black-friday", {"11-27", "11-28"}, "05:30", "UTC"));
    CHECK(schedule.evaluate(at("2026-11-27T05:29:00Z"), 5min).reason
          == "not due: black-friday next due 2026-11-27 05:30 UTC");
    const plan::Due due = schedule.evaluate(at("2026-11-27T05:30:00Z"), 5min);
    CHECK(due.due);
    CHECK(due.reason == "due: black-friday 11-27 from 05:30 UTC");
    CHECK_FALSE(due.deadline);
    CHECK(schedule.evaluate(at("2026-11-27T23:59:59Z"), 5min).due);
    CHECK(schedule.evaluate(at("2026-11-28T00:00:00Z"), 5min).reason
          == "not due: black-friday next due 2026-11-28 05:30 UTC");
    CHECK(schedule.evaluate(at("2026-11-28T12:00:00Z"), 5min).reason
          == "due: black-friday 11-28 from 05:30 UTC");
    CHECK(schedule.evaluate(at("2026-11-29T00:00:00Z"), 5min).reason
          == "not due: black-friday next due 2027-11-27 05:30 UTC");
  }

  TEST_CASE("dates: the day ends at local midnight of the zone")
  {
    const plan::Schedule schedule = compile(dates("xmas", {"12-25"}, "", "America/New_York"));
    CHECK(schedule.evaluate(at("2026-12-25T05:00:00Z"), 5min).reason
          == "due: xmas 12-25 from 00:00 EST");
    CHECK(schedule.evaluate(at("2026-12-26T04:59:00Z"), 5min).due);
    CHECK_FALSE(schedule.evaluate(at("2026-12-26T05:00:00Z"), 5min).due);
    CHECK_FALSE(schedule.evaluate(at("2026-12-25T04:59:00Z"), 5min).due);
  }

  TEST_CASE("dates: a lead crossing midnight starts on Dec 31 for Jan 1")
  {
    const plan::Schedule schedule =
        compile(dates("new-year", {"01-01"}, "00:30", "Europe/Berlin", 1h));
    CHECK(format(schedule.next_due(at("2026-12-01T00:00:00Z"), 5min)) == "2026-12-31T22:30:00Z");
    CHECK(schedule.evaluate(at("2026-12-31T23:29:00+01:00"), 5min).reason
          == "not due: new-year next due 2026-12-31 23:30 CET");
    CHECK(schedule.evaluate(at("2026-12-31T23:30:00+01:00"), 5min).reason
          == "due: new-year 01-01 from 00:30 CET");
    CHECK(schedule.evaluate(at("2027-01-01T23:59:00+01:00"), 5min).due);
    CHECK_FALSE(schedule.evaluate(at("2027-01-02T00:00:00+01:00"), 5min).due);
  }

  TEST_CASE("dates: Dec 31 and Jan 1 are consecutive due days across the year end")
  {
    const plan::Schedule schedule = compile(dates("year-end", {"12-31", "01-01"}, "22:00", "UTC"));
    CHECK(schedule.evaluate(at("2026-12-31T23:00:00Z"), 5min).reason
          == "due: year-end 12-31 from 22:00 UTC");
    CHECK(schedule.evaluate(at("2027-01-01T00:30:00Z"), 5min).reason
          == "not due: year-end next due 2027-01-01 22:00 UTC");
    CHECK(schedule.evaluate(at("2027-01-01T22:00:00Z"), 5min).reason
          == "due: year-end 01-01 from 22:00 UTC");
    CHECK(format(schedule.next_due(at("2027-01-01T22:00:00Z"), 5min)) == "2027-12-31T22:00:00Z");
  }

  TEST_CASE("dates: Feb 29 is due only in leap years")
  {
    const plan::Schedule schedule = compile(dates("leap", {"02-29"}, "06:00", "UTC"));
    CHECK(schedule.evaluate(at("2028-02-29T12:00:00Z"), 5min).reason
          == "due: leap 02-29 from 06:00 UTC");
    CHECK(format(schedule.next_due(at("2027-03-01T00:00:00Z"), 5min)) == "2028-02-29T06:00:00Z");
    CHECK(schedule.evaluate(at("2027-02-28T12:00:00Z"), 5min).reason
          == "not due: leap next due 2028-02-29 06:00 UTC");
    CHECK_FALSE(schedule.evaluate(at("2027-03-01T12:00:00Z"), 5min).due);
  }

  TEST_CASE("dates: a date more than 400 days away is reported as not due")
  {
    const plan::Schedule schedule = compile(dates("leap", {"02-29"}, "06:00", "UTC"));
    CHECK_FALSE(schedule.next_due(at("2026-03-01T00:00:00Z"), 5min));
    CHECK(schedule.evaluate(at("2026-03-01T00:00:00Z"), 5min).reason
          == "not due: leap not due within 400 days");
  }

  TEST_CASE("dates: an `at` inside the spring-forward gap starts at the end of the gap")
  {
    const plan::Schedule schedule =
        compile(dates("spring", {"03-08"}, "02:30", "America/New_York"));
    CHECK(format(schedule.next_due(at("2026-03-01T00:00:00Z"), 5min)) == "2026-03-08T07:00:00Z");
    CHECK(schedule.evaluate(at("2026-03-08T07:00:00Z"), 5min).reason
          == "due: spring 03-08 from 03:00 EDT");
  }

  // --- cron --------------------------------------------------------------------------------

  TEST_CASE("cron: due when the fire time is within the last window")
  {
    const plan::Schedule schedule = compile(cron("nightly", "0 3 * * *", "Europe/Berlin"));
    CHECK(schedule.evaluate(at("2026-11-23T02:00:00Z"), 5min).reason
          == "due: nightly cron \"0 3 * * *\" at 03:00 CET");
    CHECK(schedule.evaluate(at("2026-11-23T02:04:59Z"), 5min).due);
    CHECK(schedule.evaluate(at("2026-11-23T02:05:00Z"), 5min).reason
          == "not due: nightly next due 2026-11-24 03:00 CET");
    CHECK(schedule.evaluate(at("2026-11-23T01:59:59Z"), 5min).reason
          == "not due: nightly next due 2026-11-23 03:00 CET");
  }

  TEST_CASE("cron: summer time uses the summer abbreviation")
  {
    const plan::Schedule schedule = compile(cron("nightly", "0 3 * * *", "Europe/Berlin"));
    CHECK(schedule.evaluate(at("2026-07-01T01:00:00Z"), 1min).reason
          == "due: nightly cron \"0 3 * * *\" at 03:00 CEST");
  }

  TEST_CASE("cron: a periodic caller sees each fire exactly once, whatever its phase")
  {
    const plan::Schedule schedule = compile(cron("nightly", "0 3 * * *", "Europe/Berlin"));
    for (const auto phase : {0s, 1s, 150s, 299s}) {
      CAPTURE(phase.count());
      int count = 0;
      for (plan::Instant now = at("2026-11-23T00:00:00Z") + phase; now < at("2026-11-24T00:00:00Z");
           now += 5min) {
        count += schedule.evaluate(now, 5min).due ? 1 : 0;
      }
      CHECK(count == 1);
    }
  }

  TEST_CASE("cron: the lead moves the due time, not the reported fire time")
  {
    const plan::Schedule schedule = compile(cron("nightly", "0 3 * * *", "Europe/Berlin", 10min));
    CHECK(format(schedule.next_due(at("2026-11-23T00:00:00Z"), 5min)) == "2026-11-23T01:50:00Z");
    CHECK(schedule.evaluate(at("2026-11-23T01:50:00Z"), 5min).reason
          == "due: nightly cron \"0 3 * * *\" at 03:00 CET");
    CHECK_FALSE(schedule.evaluate(at("2026-11-23T02:00:00Z"), 5min).due);
  }

  TEST_CASE("cron: several fires in one window are one due")
  {
    const plan::Schedule schedule = compile(cron("often", "*/5 * * * *", "UTC"));
    const plan::Due due = schedule.evaluate(at("2026-11-23T13:16:00Z"), 15min);
    CHECK(due.due);
    CHECK(due.reason == "due: often cron \"*/5 * * * *\" at 13:05 UTC");
  }

  TEST_CASE("cron: a zero window is never due")
  {
    const plan::Schedule schedule = compile(cron("every", "* * * * *", "UTC"));
    CHECK_FALSE(schedule.evaluate(at("2026-11-23T13:16:00Z"), 0min).due);
  }

  TEST_CASE("cron: next_due is strictly after its argument")
  {
    const plan::Schedule schedule = compile(cron("nightly", "0 3 * * *", "UTC"));
    CHECK(format(schedule.next_due(at("2026-11-23T02:59:59.999Z"), 5min))
          == "2026-11-23T03:00:00Z");
    CHECK(format(schedule.next_due(at("2026-11-23T03:00:00Z"), 5min)) == "2026-11-24T03:00:00Z");
  }

  TEST_CASE("cron: next_due applies the day-of-month / day-of-week OR rule")
  {
    // The 13th or a Friday: from Monday 2026-11-23 the next is Friday the 27th.
    const plan::Schedule schedule = compile(cron("either", "0 12 13 * fri", "UTC"));
    CHECK(format(schedule.next_due(at("2026-11-23T00:00:00Z"), 5min)) == "2026-11-27T12:00:00Z");
    CHECK(format(schedule.next_due(at("2026-11-27T12:00:00Z"), 5min)) == "2026-12-04T12:00:00Z");
    CHECK(format(schedule.next_due(at("2026-12-12T00:00:00Z"), 5min)) == "2026-12-13T12:00:00Z");
  }

  TEST_CASE("cron: next_due finds a rare expression up to 400 days ahead")
  {
    const plan::Schedule schedule = compile(cron("leap", "0 3 29 2 *", "Europe/Berlin"));
    CHECK(format(schedule.next_due(at("2027-03-01T00:00:00Z"), 5min)) == "2028-02-29T02:00:00Z");
    CHECK_FALSE(schedule.next_due(at("2026-03-01T00:00:00Z"), 5min));
    CHECK(schedule.evaluate(at("2026-03-01T00:00:00Z"), 5min).reason
          == "not due: leap not due within 400 days");
  }

  TEST_CASE("cron: an expression that can never fire has no next due")
  {
    const plan::Schedule schedule = compile(cron("never", "0 0 31 2 *", "UTC"));
    CHECK_FALSE(schedule.next_due(at("2026-01-01T00:00:00Z"), 5min));
  }

  TEST_CASE("cron: 02:30 in the New York spring-forward gap fires once, at the transition")
  {
    const plan::Schedule schedule = compile(cron("gap", "30 2 * * *", "America/New_York"));
    const std::vector<Fire> fires =
        due_minutes(schedule, at("2026-03-08T00:00:00-05:00"), at("2026-03-09T00:00:00-04:00"));
    REQUIRE(fires.size() == 1);
    CHECK(fires[0].instant == "2026-03-08T07:00:00Z");
    CHECK(fires[0].reason == "due: gap cron \"30 2 * * *\" at 03:00 EDT");
  }

  TEST_CASE("cron: 01:30 in the New York fall-back overlap fires once, at the first occurrence")
  {
    const plan::Schedule schedule = compile(cron("overlap", "30 1 * * *", "America/New_York"));
    const std::vector<Fire> fires =
        due_minutes(schedule, at("2026-11-01T00:00:00-04:00"), at("2026-11-02T00:00:00-05:00"));
    REQUIRE(fires.size() == 1);
    CHECK(fires[0].instant == "2026-11-01T05:30:00Z");
    CHECK(fires[0].reason == "due: overlap cron \"30 1 * * *\" at 01:30 EDT");
  }

  TEST_CASE("cron: 02:30 in the Berlin spring-forward gap fires once, at the transition")
  {
    const plan::Schedule schedule = compile(cron("gap", "30 2 * * *", "Europe/Berlin"));
    const std::vector<Fire> fires =
        due_minutes(schedule, at("2026-03-29T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00"));
    REQUIRE(fires.size() == 1);
    CHECK(fires[0].instant == "2026-03-29T01:00:00Z");
    CHECK(fires[0].reason == "due: gap cron \"30 2 * * *\" at 03:00 CEST");
  }

  TEST_CASE("cron: 02:30 in the Berlin fall-back overlap fires once, at the first occurrence")
  {
    const plan::Schedule schedule = compile(cron("overlap", "30 2 * * *", "Europe/Berlin"));
    const std::vector<Fire> fires =
        due_minutes(schedule, at("2026-10-25T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00"));
    REQUIRE(fires.size() == 1);
    CHECK(fires[0].instant == "2026-10-25T00:30:00Z");
    CHECK(fires[0].reason == "due: overlap cron \"30 2 * * *\" at 02:30 CEST");
  }

  TEST_CASE("cron: 02:30 in the Sydney gap (October) and overlap (April) fires once each")
  {
    const plan::Schedule schedule = compile(cron("sydney", "30 2 * * *", "Australia/Sydney"));
    const std::vector<Fire> october =
        due_minutes(schedule, at("2026-10-04T00:00:00+10:00"), at("2026-10-05T00:00:00+11:00"));
    REQUIRE(october.size() == 1);
    CHECK(october[0].instant == "2026-10-03T16:00:00Z");
    CHECK(october[0].reason == "due: sydney cron \"30 2 * * *\" at 03:00 AEDT");
    const std::vector<Fire> april =
        due_minutes(schedule, at("2026-04-05T00:00:00+11:00"), at("2026-04-06T00:00:00+10:00"));
    REQUIRE(april.size() == 1);
    CHECK(april[0].instant == "2026-04-04T15:30:00Z");
    CHECK(april[0].reason == "due: sydney cron \"30 2 * * *\" at 02:30 AEDT");
  }

  TEST_CASE("cron: every half hour on the spring-forward day fires once per distinct instant")
  {
    // 02:00 and 02:30 do not exist and both map to 03:00 EDT, which fires once: 48 - 2.
    const plan::Schedule schedule = compile(cron("half", "*/30 * * * *", "America/New_York"));
    const std::vector<Fire> fires =
        due_minutes(schedule, at("2026-03-08T00:00:00-05:00"), at("2026-03-09T00:00:00-04:00"));
    CHECK(fires.size() == 46);
  }

  TEST_CASE("cron: every half hour on the fall-back day does not repeat 01:00 and 01:30")
  {
    const plan::Schedule schedule = compile(cron("half", "*/30 * * * *", "America/New_York"));
    const std::vector<Fire> fires =
        due_minutes(schedule, at("2026-11-01T00:00:00-04:00"), at("2026-11-02T00:00:00-05:00"));
    CHECK(fires.size() == 48);
  }

  TEST_CASE("cron: Asia/Kolkata fires at the local minute, 5:30 ahead of UTC")
  {
    const plan::Schedule schedule = compile(cron("india", "0 9 * * mon-fri", "Asia/Kolkata"));
    CHECK(format(schedule.next_due(at("2026-11-21T00:00:00Z"), 5min)) == "2026-11-23T03:30:00Z");
    CHECK(schedule.evaluate(at("2026-11-23T03:30:00Z"), 1min).reason
          == "due: india cron \"0 9 * * mon-fri\" at 09:00 IST");
  }
}
