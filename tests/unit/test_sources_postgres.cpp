#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/sources/postgres.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::core::Template;
using cachewarm::sources::open_postgres_lookup;
using cachewarm::sources::open_postgres_query;

// Only the parts that need no server: connection strings libpq rejects before connecting
// (redaction itself is tested in test_sources_postgres_conninfo.cpp). The server side is covered
// by tests/integration/postgres_*.sh.
TEST_SUITE("sources::postgres")
{
  TEST_CASE("a conninfo libpq cannot parse is a manifest error without the password")
  {
    const Template key = *Template::parse("k:{id}");
    // libpq quotes the bad token, here the password itself ("invalid percent-encoded token").
    const auto query =
        open_postgres_query("postgresql://cw:se%zzcret@127.0.0.1:1/cw", "SELECT 1 AS id", key);
    REQUIRE_FALSE(query);
    CHECK(query.error().code == Errc::manifest);
    CHECK(query.error().message
          == "postgres \"postgresql://cw:***@127.0.0.1:1/cw\": invalid connection string");
  }

  TEST_CASE("a key=value conninfo with an unknown keyword is a manifest error")
  {
    const std::vector<Template> params{*Template::parse("{key}")};
    const std::vector<std::string> fields;
    const auto lookup = open_postgres_lookup(
        "host=127.0.0.1 password=hunter2 bogus=1", "SELECT $1", params, fields);
    REQUIRE_FALSE(lookup);
    CHECK(lookup.error().code == Errc::manifest);
    CHECK(lookup.error().message
          == "postgres \"host=127.0.0.1 password=*** bogus=1\": invalid connection string: "
             "invalid connection option \"bogus\"");
  }
}
