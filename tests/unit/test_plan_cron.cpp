#include "cachewarm/plan/cron.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using cachewarm::core::Errc;
using cachewarm::plan::CronExpr;

namespace {

CronExpr
cron(std::string_view text)
{
  auto expr = CronExpr::parse(text);
  REQUIRE_MESSAGE(expr.has_value(), (expr ? std::string() : expr.error().message));
  return *expr;
}

// The parse error message for `text` (fails the test if it parses or has another code).
std::string
cron_error(std::string_view text)
{
  auto expr = CronExpr::parse(text);
  REQUIRE_FALSE(expr.has_value());
  CHECK(expr.error().code == Errc::manifest);
  return expr.error().message;
}

// 2026-11-23 is a Monday (weekday 1).
constexpr int k_monday = 1;

} // namespace

TEST_SUITE("plan::cron")
{
  TEST_CASE("all stars match every minute")
  {
    const CronExpr expr = cron("* * * * *");
    CHECK(expr.matches(0, 0, 1, 1, 0));
    CHECK(expr.matches(59, 23, 31, 12, 6));
    CHECK(expr.matches(17, 9, 15, 6, 3));
  }

  TEST_CASE("single numbers match only that value")
  {
    const CronExpr expr = cron("30 3 15 6 *");
    CHECK(expr.matches(30, 3, 15, 6, 2));
    CHECK_FALSE(expr.matches(31, 3, 15, 6, 2));
    CHECK_FALSE(expr.matches(30, 4, 15, 6, 2));
    CHECK_FALSE(expr.matches(30, 3, 16, 6, 2));
    CHECK_FALSE(expr.matches(30, 3, 15, 7, 2));
  }

  TEST_CASE("leading zeros are accepted")
  {
    const CronExpr expr = cron("05 07 09 03 *");
    CHECK(expr.matches(5, 7, 9, 3, 0));
  }

  TEST_CASE("a range includes both ends")
  {
    const CronExpr expr = cron("10-12 * * * *");
    CHECK_FALSE(expr.matches(9, 0, 1, 1, 0));
    CHECK(expr.matches(10, 0, 1, 1, 0));
    CHECK(expr.matches(11, 0, 1, 1, 0));
    CHECK(expr.matches(12, 0, 1, 1, 0));
    CHECK_FALSE(expr.matches(13, 0, 1, 1, 0));
  }

  TEST_CASE("a star step matches every n-th value from the field's minimum")
  {
    const CronExpr minutes = cron("*/15 * * * *");
    CHECK(minutes.matches(0, 0, 1, 1, 0));
    CHECK(minutes.matches(15, 0, 1, 1, 0));
    CHECK(minutes.matches(45, 0, 1, 1, 0));
    CHECK_FALSE(minutes.matches(5, 0, 1, 1, 0));
    const CronExpr days = cron("0 0 */10 * *");
    CHECK(days.matches(0, 0, 1, 1, 0));
    CHECK(days.matches(0, 0, 11, 1, 0));
    CHECK(days.matches(0, 0, 31, 1, 0));
    CHECK_FALSE(days.matches(0, 0, 10, 1, 0));
  }

  TEST_CASE("a range step starts at the range's first value")
  {
    const CronExpr expr = cron("5-20/5 * * * *");
    CHECK(expr.matches(5, 0, 1, 1, 0));
    CHECK(expr.matches(10, 0, 1, 1, 0));
    CHECK(expr.matches(20, 0, 1, 1, 0));
    CHECK_FALSE(expr.matches(0, 0, 1, 1, 0));
    CHECK_FALSE(expr.matches(25, 0, 1, 1, 0));
    CHECK_FALSE(expr.matches(7, 0, 1, 1, 0));
  }

  TEST_CASE("a step larger than the range keeps only the first value")
  {
    const CronExpr expr = cron("*/100 * * * *");
    CHECK(expr.matches(0, 0, 1, 1, 0));
    CHECK_FALSE(expr.matches(59, 0, 1, 1, 0));
  }

  TEST_CASE("a list combines numbers, ranges and steps")
  {
    const CronExpr expr = cron("0 1,5-7,20-23/2 * * *");
    CHECK(expr.matches(0, 1, 1, 1, 0));
    CHECK(expr.matches(0, 5, 1, 1, 0));
    CHECK(expr.matches(0, 6, 1, 1, 0));
    CHECK(expr.matches(0, 7, 1, 1, 0));
    CHECK(expr.matches(0, 20, 1, 1, 0));
    CHECK(expr.matches(0, 22, 1, 1, 0));
    CHECK_FALSE(expr.matches(0, 21, 1, 1, 0));
    CHECK_FALSE(expr.matches(0, 2, 1, 1, 0));
  }

  TEST_CASE("month names are case-insensitive and work in ranges and lists")
  {
    const CronExpr expr = cron("0 0 1 JAN-mar,Dec *");
    CHECK(expr.matches(0, 0, 1, 1, 0));
    CHECK(expr.matches(0, 0, 1, 2, 0));
    CHECK(expr.matches(0, 0, 1, 3, 0));
    CHECK(expr.matches(0, 0, 1, 12, 0));
    CHECK_FALSE(expr.matches(0, 0, 1, 4, 0));
    CHECK_FALSE(expr.matches(0, 0, 1, 11, 0));
  }

  TEST_CASE("weekday names are case-insensitive and work in ranges")
  {
    const CronExpr expr = cron("0 9 * * Mon-FRI");
    CHECK_FALSE(expr.matches(0, 9, 22, 11, 0));
    for (int weekday = 1; weekday <= 5; ++weekday) {
      CHECK(expr.matches(0, 9, 23, 11, weekday));
    }
    CHECK_FALSE(expr.matches(0, 9, 28, 11, 6));
    CHECK(cron("0 9 * * sun").matches(0, 9, 22, 11, 0));
    CHECK(cron("0 9 * * sat").matches(0, 9, 28, 11, 6));
  }

  TEST_CASE("day-of-week 0 and 7 are both Sunday")
  {
    CHECK(cron("0 0 * * 0").matches(0, 0, 22, 11, 0));
    CHECK(cron("0 0 * * 7").matches(0, 0, 22, 11, 0));
    CHECK_FALSE(cron("0 0 * * 7").matches(0, 0, 28, 11, 6));
  }

  TEST_CASE("a day-of-week range ending at 7 includes Sunday")
  {
    const CronExpr expr = cron("0 0 * * 5-7");
    CHECK(expr.matches(0, 0, 1, 1, 5));
    CHECK(expr.matches(0, 0, 1, 1, 6));
    CHECK(expr.matches(0, 0, 1, 1, 0));
    CHECK_FALSE(expr.matches(0, 0, 1, 1, 1));
    CHECK_FALSE(expr.matches(0, 0, 1, 1, 4));
  }

  TEST_CASE("with day-of-month and day-of-week both restricted, either one matches")
  {
    // The 13th, or any Friday.
    const CronExpr expr = cron("0 0 13 * fri");
    CHECK(expr.matches(0, 0, 13, 11, k_monday));
    CHECK(expr.matches(0, 0, 27, 11, 5));
    CHECK_FALSE(expr.matches(0, 0, 23, 11, k_monday));
  }

  TEST_CASE("with day-of-week '*', only day-of-month decides")
  {
    const CronExpr expr = cron("0 0 13 * *");
    CHECK(expr.matches(0, 0, 13, 11, 5));
    CHECK_FALSE(expr.matches(0, 0, 27, 11, 5));
  }

  TEST_CASE("with day-of-month '*', only day-of-week decides")
  {
    const CronExpr expr = cron("0 0 * * fri");
    CHECK(expr.matches(0, 0, 27, 11, 5));
    CHECK_FALSE(expr.matches(0, 0, 13, 11, k_monday));
  }

  TEST_CASE("a day field starting with '*' counts as '*' for the day rule, as in Vixie cron")
  {
    // Odd days that are also Mondays (AND), not odd days or Mondays (OR).
    const CronExpr expr = cron("0 0 */2 * mon");
    CHECK(expr.matches(0, 0, 23, 11, k_monday));
    CHECK_FALSE(expr.matches(0, 0, 22, 11, 0));
    CHECK_FALSE(expr.matches(0, 0, 30, 11, k_monday));
  }

  TEST_CASE("matches() is false for arguments outside the documented ranges")
  {
    const CronExpr expr = cron("* * * * *");
    CHECK_FALSE(expr.matches(60, 0, 1, 1, 0));
    CHECK_FALSE(expr.matches(-1, 0, 1, 1, 0));
    CHECK_FALSE(expr.matches(0, 24, 1, 1, 0));
    CHECK_FALSE(expr.matches(0, 0, 0, 1, 0));
    CHECK_FALSE(expr.matches(0, 0, 32, 1, 0));
    CHECK_FALSE(expr.matches(0, 0, 1, 0, 0));
    CHECK_FALSE(expr.matches(0, 0, 1, 13, 0));
    CHECK_FALSE(expr.matches(0, 0, 1, 1, 7));
  }

  TEST_CASE("text() keeps the expression as written, and extra whitespace is allowed")
  {
    const CronExpr expr = cron("  0\t3  * *   *  ");
    CHECK(expr.text() == "  0\t3  * *   *  ");
    CHECK(expr.matches(0, 3, 1, 1, 0));
    CHECK_FALSE(expr.matches(0, 4, 1, 1, 0));
  }

  TEST_CASE("a wrong number of fields is an error")
  {
    CHECK(cron_error("0 3 * *")
          == "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
    CHECK(cron_error("0 0 3 * * *")
          == "expected 5 fields (minute hour day-of-month month day-of-week), got 6");
    CHECK(cron_error("")
          == "expected 5 fields (minute hour day-of-month month day-of-week), got 0");
    CHECK(cron_error("@daily")
          == "expected 5 fields (minute hour day-of-month month day-of-week), got 1");
  }

  TEST_CASE("out-of-range values name the field, the range and the column")
  {
    CHECK(cron_error("0 25 * * *") == "hour: 25 is out of range 0-23 (column 3)");
    CHECK(cron_error("60 * * * *") == "minute: 60 is out of range 0-59 (column 1)");
    CHECK(cron_error("0 0 0 * *") == "day-of-month: 0 is out of range 1-31 (column 5)");
    CHECK(cron_error("0 0 32 * *") == "day-of-month: 32 is out of range 1-31 (column 5)");
    CHECK(cron_error("0 0 * 13 *") == "month: 13 is out of range 1-12 (column 7)");
    CHECK(cron_error("0 0 * 0 *") == "month: 0 is out of range 1-12 (column 7)");
    CHECK(cron_error("0 0 * * 8") == "day-of-week: 8 is out of range 0-7 (column 9)");
  }

  TEST_CASE("out-of-range values inside lists and ranges point at the value")
  {
    CHECK(cron_error("1,2,61 * * * *") == "minute: 61 is out of range 0-59 (column 5)");
    CHECK(cron_error("0 20-24 * * *") == "hour: 24 is out of range 0-23 (column 6)");
  }

  TEST_CASE("huge numbers are out of range, not overflowed")
  {
    CHECK(cron_error("99999999999999999999 * * * *")
          == "minute: 99999999999999999999 is out of range 0-59 (column 1)");
  }

  TEST_CASE("a zero, empty or non-numeric step is an invalid step")
  {
    CHECK(cron_error("1-5/0 * * * *") == "minute: invalid step \"0\" (column 5)");
    CHECK(cron_error("*/0 * * * *") == "minute: invalid step \"0\" (column 3)");
    CHECK(cron_error("0 */x * * *") == "hour: invalid step \"x\" (column 5)");
    CHECK(cron_error("0 0 */ * *") == "day-of-month: invalid step \"\" (column 7)");
    CHECK(cron_error("*/-1 * * * *") == "minute: invalid step \"-1\" (column 3)");
  }

  TEST_CASE("a step after a single value is refused")
  {
    CHECK(cron_error("5/15 * * * *")
          == "minute: a step needs '*' or a range before it, got \"5/15\" (column 1)");
  }

  TEST_CASE("an unknown month or weekday name is an error")
  {
    CHECK(cron_error("0 0 1 1,foo *") == "month: unknown name \"foo\" (column 9)");
    CHECK(cron_error("0 0 * * funday") == "day-of-week: unknown name \"funday\" (column 9)");
    CHECK(cron_error("0 0 1 mon *") == "month: unknown name \"mon\" (column 7)");
    CHECK(cron_error("0 0 * * jan") == "day-of-week: unknown name \"jan\" (column 9)");
  }

  TEST_CASE("a reversed range is an error")
  {
    CHECK(cron_error("30 12 9-3 * *") == "day-of-month: invalid range 9-3 (column 7)");
    CHECK(cron_error("0 0 * * sat-sun") == "day-of-week: invalid range sat-sun (column 9)");
    CHECK(cron_error("0 0 * dec-jan *") == "month: invalid range dec-jan (column 7)");
  }

  TEST_CASE("anything else is 'expected a number, a name, '*' or a range'")
  {
    CHECK(cron_error("x * * * *")
          == "minute: expected a number, a name, '*' or a range, got \"x\" (column 1)");
    CHECK(cron_error("0 jan * * *")
          == "hour: expected a number, a name, '*' or a range, got \"jan\" (column 3)");
    CHECK(cron_error("0 0 ? * *")
          == "day-of-month: expected a number, a name, '*' or a range, got \"?\" (column 5)");
    CHECK(cron_error("0 0 * * 5#2")
          == "day-of-week: expected a number, a name, '*' or a range, got \"5#2\" (column 9)");
    CHECK(cron_error("-5 * * * *")
          == "minute: expected a number, a name, '*' or a range, got \"-5\" (column 1)");
    CHECK(cron_error("1- * * * *")
          == "minute: expected a number, a name, '*' or a range, got \"\" (column 3)");
    CHECK(cron_error("0 1,,2 * * *")
          == "hour: expected a number, a name, '*' or a range, got \"\" (column 5)");
    CHECK(cron_error("0 1, * * *")
          == "hour: expected a number, a name, '*' or a range, got \"\" (column 5)");
  }

  TEST_CASE("columns count from the start of the text, including leading whitespace")
  {
    CHECK(cron_error("  0 25 * * *") == "hour: 25 is out of range 0-23 (column 5)");
  }
}
