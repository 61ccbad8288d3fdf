#include "../../src/manifest/text_checks_detail.hpp"

#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/manifest/parse.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace manifest = cachewarm::manifest;
namespace detail = cachewarm::manifest::detail;
using manifest::KeyFormat;

namespace {

// HOST=db, EMPTY="", anything else unset.
std::optional<std::string>
test_env(std::string_view name)
{
  if (name == "HOST") {
    return "db";
  }
  if (name == "EMPTY") {
    return "";
  }
  return std::nullopt;
}

} // namespace

TEST_SUITE("manifest::text_checks")
{
  TEST_CASE("expand_env substitutes variables and defaults, and keeps $${ literal")
  {
    const manifest::EnvLookup env = test_env;
    CHECK(detail::expand_env("redis://${HOST}:6379", env).text == "redis://db:6379");
    CHECK(detail::expand_env("${PORT:-6379}", env).text == "6379");
    CHECK(detail::expand_env("${EMPTY:-fallback}", env).text == "fallback");
    CHECK(detail::expand_env("$${HOST}", env).text == "${HOST}");
  }

  TEST_CASE("expand_env reports unset, unterminated and invalid references")
  {
    const manifest::EnvLookup env = test_env;
    CHECK(detail::expand_env("${PORT}", env).error == "environment variable \"PORT\" is not set");
    CHECK(detail::expand_env("${HOST", env).error
          == "unterminated \"${\" (expected ${NAME} or ${NAME:-default})");
    CHECK(detail::expand_env("${1X}", env).error == "invalid environment variable name \"1X\"");
  }

  TEST_CASE("closest_match suggests near typos only")
  {
    constexpr std::string_view k_fields[] = {"pattern", "priority", "ttl"};
    CHECK(detail::closest_match("patern", k_fields) == "pattern");
    CHECK(detail::closest_match("tlt", k_fields) == "ttl");
    CHECK(detail::closest_match("value", k_fields).empty());
  }

  TEST_CASE("names, times, dates and days")
  {
    CHECK(detail::is_valid_name("cat_2.v-1"));
    CHECK_FALSE(detail::is_valid_name(""));
    CHECK_FALSE(detail::is_valid_name("a b"));
    CHECK(detail::is_hhmm("23:59"));
    CHECK_FALSE(detail::is_hhmm("24:00"));
    CHECK_FALSE(detail::is_hhmm("9:00"));
    CHECK(detail::is_mmdd("02-29"));
    CHECK_FALSE(detail::is_mmdd("02-30"));
    CHECK_FALSE(detail::is_mmdd("13-01"));
    CHECK(detail::is_day_name("sun"));
    CHECK_FALSE(detail::is_day_name("Sun"));
    CHECK(detail::count_fields(" 0  5\t* * 1-5 ") == 5);
  }

  TEST_CASE("key formats by name and by path")
  {
    CHECK(detail::key_format_name(KeyFormat::jsonl) == "jsonl");
    CHECK(detail::key_format_named("sitemap") == KeyFormat::sitemap);
    CHECK_FALSE(detail::key_format_named("xml"));
    CHECK(detail::key_format_for_path("keys/list.NDJSON") == KeyFormat::jsonl);
    CHECK(detail::key_format_for_path("/export.csv?day=1") == KeyFormat::csv);
    CHECK(detail::key_format_for_path("/sitemap.xml") == KeyFormat::sitemap);
    CHECK(detail::key_format_for_path("/v1.2/keys") == KeyFormat::lines);
  }

  TEST_CASE("quote escapes control characters and cuts long texts")
  {
    CHECK(detail::quote("a\"b\\c\n\x01") == R"("a\"b\\c\n\x01")");
    CHECK(detail::quote(std::string(70, 'x')) == '"' + std::string(60, 'x') + "...\"");
  }

  TEST_CASE("lists of names for messages")
  {
    const std::vector<std::string> names = {"main", "replica"};
    CHECK(detail::join(names) == "main, replica");
    CHECK(detail::contains(names, "replica"));
    CHECK_FALSE(detail::contains(names, "other"));
    CHECK(detail::names_or_none(names) == "defined: main, replica");
    CHECK(detail::names_or_none(std::vector<std::string>{}) == "none defined");
  }
}
