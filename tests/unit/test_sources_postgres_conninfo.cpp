#include "cachewarm/sources/postgres_conninfo.hpp"

#include <doctest/doctest.h>

#include <string>

using cachewarm::sources::redact_conninfo;
using cachewarm::sources::redact_conninfo_in;

TEST_SUITE("sources::postgres_conninfo")
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

  TEST_CASE("redact_conninfo matches the URI scheme and keywords in any case")
  {
    CHECK(redact_conninfo("PostgreSQL://u:pw@h/db") == "PostgreSQL://u:***@h/db");
    CHECK(redact_conninfo("PASSWORD=pw host=h") == "PASSWORD=*** host=h");
    CHECK(redact_conninfo("postgresql://u@h/db?PassWord=pw") == "postgresql://u@h/db?PassWord=***");
  }

  TEST_CASE("redact_conninfo keeps an '@' after the path out of the userinfo")
  {
    CHECK(redact_conninfo("postgresql://h/db?application_name=a:b@c")
          == "postgresql://h/db?application_name=a:b@c");
  }

  TEST_CASE("redact_conninfo redacts a URI given as dbname")
  {
    CHECK(redact_conninfo("dbname=postgresql://u:pw@h/db") == "dbname='postgresql://u:***@h/db'");
  }

  TEST_CASE("redact_conninfo leaves malformed key=value text without a value as is")
  {
    CHECK(redact_conninfo("host") == "host");
    CHECK(redact_conninfo("password") == "password");
    CHECK(redact_conninfo("password=") == "password=***"); // an empty password is marked too
  }

  TEST_CASE("redact_conninfo_in replaces every copy of the conninfo by its redaction")
  {
    CHECK(redact_conninfo_in("bad \"host=h password=pw\" twice: host=h password=pw",
                             "host=h password=pw")
          == "bad \"host=h password=***\" twice: host=h password=***");
  }

  TEST_CASE("redact_conninfo_in drops a message that quotes a password on its own")
  {
    CHECK(redact_conninfo_in("invalid percent-encoded token: \"se%zzcret\"",
                             "postgresql://cw:se%zzcret@127.0.0.1:1/cw")
          == "");
  }

  TEST_CASE("redact_conninfo_in keeps a message without secrets as is")
  {
    CHECK(redact_conninfo_in("invalid connection option \"bogus\"",
                             "host=127.0.0.1 password=hunter2 bogus=1")
          == "invalid connection option \"bogus\"");
    CHECK(redact_conninfo_in("missing \"=\" after \"x\"", "") == "missing \"=\" after \"x\"");
    CHECK(redact_conninfo_in("password= is empty", "host=h password=") == "password= is empty");
  }
}
