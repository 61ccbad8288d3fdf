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
using cachewarm::sources::redact_conninfo;

// Only the parts that need no server: redaction and connection strings libpq rejects before
// connecting. The server side is covered by tests/integration/postgres_*.sh.
TEST_SUITE("sources::postgres")
{
  TEST_CASE("redact_conninfo hides the password of a postgresql:// URI")
  {
    CHECK(redact_conninfo("postgresql://user:pw@host:5432/db?x=y")
          == "postgresql://user:***@host:5432/db?x=y");
  }

  TEST_CASE("redact_conninfo hides the password of a postgres:// URI")
  {
    CHECK(redact_conninfo("postgres://cw:s3cr%40t@127.0.0.1:6543/cw")
          == "postgres://cw:***@127.0.0.1:6543/cw");
  }

  TEST_CASE("redact_conninfo keeps a URI without a password as is")
  {
    CHECK(redact_conninfo("postgresql://user@host/db") == "postgresql://user@host/db");
    CHECK(redact_conninfo("postgresql://host:5432/db?sslmode=disable")
          == "postgresql://host:5432/db?sslmode=disable");
    CHECK(redact_conninfo("postgresql://") == "postgresql://");
    CHECK(redact_conninfo("postgresql:///db?host=/tmp") == "postgresql:///db?host=/tmp");
  }

  TEST_CASE("redact_conninfo hides password= query parameters of a URI")
  {
    CHECK(redact_conninfo("postgresql://u@h/db?password=secret&sslmode=disable")
          == "postgresql://u@h/db?password=***&sslmode=disable");
    CHECK(redact_conninfo("postgresql://u:a@h/db?connect_timeout=5&password=b")
          == "postgresql://u:***@h/db?connect_timeout=5&password=***");
  }

  TEST_CASE("redact_conninfo handles multiple hosts and a ':' in the password")
  {
    CHECK(redact_conninfo("postgresql://u:p:w@h1:1,h2:2/db") == "postgresql://u:***@h1:1,h2:2/db");
  }

  TEST_CASE("redact_conninfo hides a key=value password")
  {
    CHECK(redact_conninfo("host=h password=secret user=u") == "host=h password=*** user=u");
    CHECK(redact_conninfo("password=secret") == "password=***");
  }

  TEST_CASE("redact_conninfo hides a quoted password with spaces and escapes")
  {
    CHECK(redact_conninfo("host=h password='a b' user=u") == "host=h password=*** user=u");
    CHECK(redact_conninfo(R"(password='it\'s x' dbname=cw)") == "password=*** dbname=cw");
  }

  TEST_CASE("redact_conninfo accepts spaces around '=' in key=value form")
  {
    CHECK(redact_conninfo("host = h  password =  secret") == "host = h  password =  ***");
  }

  TEST_CASE("redact_conninfo keeps a key=value conninfo without a password as is")
  {
    CHECK(redact_conninfo("host=127.0.0.1 port=5432 dbname=cw user=cw")
          == "host=127.0.0.1 port=5432 dbname=cw user=cw");
    CHECK(redact_conninfo("") == "");
    CHECK(redact_conninfo("passwordfile=/x passfile=/y") == "passwordfile=/x passfile=/y");
  }

  TEST_CASE("redact_conninfo redacts a connection string given as dbname")
  {
    CHECK(redact_conninfo("dbname='host=h password=secret' user=u")
          == "dbname='host=h password=***' user=u");
  }

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
