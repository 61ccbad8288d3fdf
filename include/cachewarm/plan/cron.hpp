#pragma once

#include "cachewarm/core/result.hpp"

#include <bitset>
#include <string>
#include <string_view>

namespace cachewarm::plan {

// A standard five-field cron expression: minute hour day-of-month month day-of-week.
// Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b-c`, month names
// jan..dec and weekday names sun..sat (case-insensitive; 0 and 7 are Sunday). As in Vixie cron,
// when both day-of-month and day-of-week are restricted (neither is `*`), a day matches if
// either does.
class CronExpr {
public:
  // Parses `text`. Errors (Errc::manifest), naming the field and the 1-based column in `text`:
  // `expected 5 fields (minute hour day-of-month month day-of-week), got 4`,
  // `hour: 25 is out of range 0-23 (column 3)`, `minute: invalid step "0" (column 5)`,
  // `month: unknown name "foo" (column 9)`, `day-of-month: invalid range 9-3 (column 7)`,
  // `minute: expected a number, a name, '*' or a range, got "x" (column 1)`.
  static core::Result<CronExpr> parse(std::string_view text);

  // True if the wall-clock minute matches: `month` 1-12, `day` 1-31, `weekday` 0-6 (0 = Sunday).
  bool matches(int minute, int hour, int day, int month, int weekday) const;

  const std::string& text() const { return m_text; }

private:
  std::bitset<60> m_minutes;
  std::bitset<24> m_hours;
  std::bitset<32> m_days;   // 1..31
  std::bitset<13> m_months; // 1..12
  std::bitset<7> m_weekdays;
  bool m_days_star = false;
  bool m_weekdays_star = false;
  std::string m_text;
};

} // namespace cachewarm::plan
