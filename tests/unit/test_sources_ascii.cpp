#include "../../src/sources/ascii_detail.hpp"

#include <doctest/doctest.h>

#include <string_view>
#include <utility>

using cachewarm::sources::detail::equals_no_case;
using cachewarm::sources::detail::starts_with_no_case;

TEST_SUITE("sources::ascii")
{
  TEST_CASE("starts_with_no_case ignores ASCII case on either side")
  {
    CHECK(starts_with_no_case("Retry-After: 5", "retry-after:"));
    CHECK(starts_with_no_case("retry-after: 5", "RETRY-AFTER:"));
    CHECK(starts_with_no_case("PostgreSQL://h", "postgresql://"));
    CHECK(starts_with_no_case("anything", ""));
    CHECK(starts_with_no_case("", ""));
  }

  TEST_CASE("starts_with_no_case needs the whole prefix, letters and the rest alike")
  {
    CHECK_FALSE(starts_with_no_case("retry", "retry-after:"));
    CHECK_FALSE(starts_with_no_case("x-retry-after: 5", "retry-after:"));
    CHECK_FALSE(starts_with_no_case("retry_after: 5", "retry-after:"));
    CHECK_FALSE(starts_with_no_case("", "a"));
  }

  TEST_CASE("only ASCII letters fold: other bytes must match exactly")
  {
    CHECK(starts_with_no_case("\xC3\xA9t\xC3\xA9", "\xC3\xA9T"));
    CHECK_FALSE(starts_with_no_case("\xC3\x89T\xC3\xA9", "\xC3\xA9T")); // É is not é
    CHECK_FALSE(starts_with_no_case("[", "{")); // '[' and '{' differ by the ASCII case bit
  }

  TEST_CASE("equals_no_case needs the same length")
  {
    CHECK(equals_no_case("Password", "password"));
    CHECK(equals_no_case("", ""));
    const std::pair<std::string_view, std::string_view> different[] = {
        {"passwords", "password"}, {"password", "passwords"}, {"dbname", "dbnane"}};
    for (const auto& [a, b] : different) {
      CHECK_FALSE(equals_no_case(a, b));
    }
  }
}
