#include "support/results.hpp"

#include "cachewarm/sinks/redis_url.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using cachewarm::core::Errc;
using cachewarm::sinks::parse_redis_url;
using cachewarm::sinks::redact_url;
using cachewarm::sinks::RedisAddress;
using cachewarm::test::error_message;
using cachewarm::test::require_ok;

namespace {

// Parses `url`; fails the test case on any error.
RedisAddress
parse_ok(std::string_view url)
{
  return require_ok(parse_redis_url(url));
}

// The error message of parsing `url`, checking the error code on the way.
std::string
parse_error(std::string_view url)
{
  return error_message(parse_redis_url(url), Errc::manifest);
}

} // namespace

TEST_SUITE("sinks::redis_url")
{
  TEST_CASE("redis:// with host, port and db and no credentials")
  {
    const RedisAddress address = parse_ok("redis://10.1.0.5:6380/2");
    CHECK_FALSE(address.is_unix);
    CHECK(address.host == "10.1.0.5");
    CHECK(address.port == 6380);
    CHECK(address.db == 2);
    CHECK(address.user.empty());
    CHECK(address.password.empty());
    CHECK(address.path.empty());
  }

  TEST_CASE("redis:// without port or db uses 6379 and db 0")
  {
    const RedisAddress address = parse_ok("redis://cache.internal");
    CHECK(address.host == "cache.internal");
    CHECK(address.port == 6379);
    CHECK(address.db == 0);
  }

  TEST_CASE("a trailing slash without a db number keeps db 0")
  {
    const RedisAddress address = parse_ok("redis://localhost:7000/");
    CHECK(address.host == "localhost");
    CHECK(address.port == 7000);
    CHECK(address.db == 0);
  }

  TEST_CASE("redis:// with user and password")
  {
    const RedisAddress address = parse_ok("redis://alice:s3cret@127.0.0.1:6379/1");
    CHECK(address.user == "alice");
    CHECK(address.password == "s3cret");
    CHECK(address.host == "127.0.0.1");
    CHECK(address.port == 6379);
    CHECK(address.db == 1);
  }

  TEST_CASE("the password-only form sets the password and no user")
  {
    const RedisAddress address = parse_ok("redis://s3cret@localhost:6379");
    CHECK(address.user.empty());
    CHECK(address.password == "s3cret");
    CHECK(address.host == "localhost");
  }

  TEST_CASE("an empty user before the colon gives the password only")
  {
    const RedisAddress address = parse_ok("redis://:s3cret@localhost");
    CHECK(address.user.empty());
    CHECK(address.password == "s3cret");
    CHECK(address.host == "localhost");
  }

  TEST_CASE("user and password are percent-decoded")
  {
    const RedisAddress address = parse_ok("redis://al%69ce:p%40ss%3Aw%2Fd%25@host/3");
    CHECK(address.user == "alice");
    CHECK(address.password == "p@ss:w/d%");
    CHECK(address.host == "host");
    CHECK(address.db == 3);
  }

  TEST_CASE("an invalid percent escape is kept as written")
  {
    const RedisAddress address = parse_ok("redis://u:a%zzb%4@host");
    CHECK(address.password == "a%zzb%4");
  }

  TEST_CASE("an unencoded '@' in the password splits at the last '@'")
  {
    const RedisAddress address = parse_ok("redis://u:p@ss@host:6390");
    CHECK(address.user == "u");
    CHECK(address.password == "p@ss");
    CHECK(address.host == "host");
    CHECK(address.port == 6390);
  }

  TEST_CASE("an IPv6 host in brackets with a port and db")
  {
    const RedisAddress address = parse_ok("redis://[::1]:6380/4");
    CHECK(address.host == "::1");
    CHECK(address.port == 6380);
    CHECK(address.db == 4);
  }

  TEST_CASE("an IPv6 host in brackets without a port uses 6379")
  {
    const RedisAddress address = parse_ok("redis://u:pw@[fe80::1]");
    CHECK(address.host == "fe80::1");
    CHECK(address.port == 6379);
    CHECK(address.user == "u");
    CHECK(address.password == "pw");
  }

  TEST_CASE("port and db accept their bounds")
  {
    CHECK(parse_ok("redis://h:1").port == 1);
    CHECK(parse_ok("redis://h:65535").port == 65535);
    CHECK(parse_ok("redis://h/0").db == 0);
    CHECK(parse_ok("redis://h/1000000").db == 1'000'000);
  }

  TEST_CASE("unix:// with an absolute path")
  {
    const RedisAddress address = parse_ok("unix:///var/run/redis/redis.sock");
    CHECK(address.is_unix);
    CHECK(address.path == "/var/run/redis/redis.sock");
    CHECK(address.db == 0);
    CHECK(address.user.empty());
    CHECK(address.password.empty());
  }

  TEST_CASE("unix:// with ?db=N")
  {
    const RedisAddress address = parse_ok("unix:///tmp/redis.sock?db=5");
    CHECK(address.is_unix);
    CHECK(address.path == "/tmp/redis.sock");
    CHECK(address.db == 5);
  }

  TEST_CASE("unix:// with credentials and ?db=N")
  {
    const RedisAddress address = parse_ok("unix://bob:p%40ss@/tmp/redis.sock?db=7");
    CHECK(address.is_unix);
    CHECK(address.user == "bob");
    CHECK(address.password == "p@ss");
    CHECK(address.path == "/tmp/redis.sock");
    CHECK(address.db == 7);
  }

  TEST_CASE("unix:// with the password-only form")
  {
    const RedisAddress address = parse_ok("unix://s3cret@/tmp/redis.sock");
    CHECK(address.user.empty());
    CHECK(address.password == "s3cret");
    CHECK(address.path == "/tmp/redis.sock");
  }

  TEST_CASE("a port that is not a number is an error")
  {
    CHECK(parse_error("redis://localhost:abc") == "invalid port (expected 1-65535)");
    CHECK(parse_error("redis://localhost:63 79") == "invalid port (expected 1-65535)");
    CHECK(parse_error("redis://localhost:6379x/0") == "invalid port (expected 1-65535)");
    CHECK(parse_error("redis://[::1]:x") == "invalid port (expected 1-65535)");
  }

  TEST_CASE("a forgotten @host does not echo the password as a port")
  {
    const std::string message = parse_error("redis://user:hunter2");
    CHECK(message == "invalid port (expected 1-65535)");
    CHECK(message.find("hunter2") == std::string::npos);
  }

  TEST_CASE("a port out of 1..65535 is an error")
  {
    CHECK(parse_error("redis://localhost:0") == "invalid port (expected 1-65535)");
    CHECK(parse_error("redis://localhost:65536") == "invalid port (expected 1-65535)");
    CHECK(parse_error("redis://localhost:-1") == "invalid port (expected 1-65535)");
  }

  TEST_CASE("a db that is not a non-negative integer is an error")
  {
    CHECK(parse_error("redis://localhost/x") == "invalid database \"x\"");
    CHECK(parse_error("redis://localhost:6379/-1") == "invalid database \"-1\"");
    CHECK(parse_error("redis://localhost/1/2") == "invalid database \"1/2\"");
    CHECK(parse_error("redis://localhost/1000001") == "invalid database \"1000001\"");
    CHECK(parse_error("unix:///tmp/redis.sock?db=x") == "invalid database \"x\"");
    CHECK(parse_error("unix:///tmp/redis.sock?db=") == "invalid database \"\"");
  }

  TEST_CASE("a missing host is an error")
  {
    CHECK(parse_error("redis://") == "missing host");
    CHECK(parse_error("redis://:6379") == "missing host");
    CHECK(parse_error("redis:///0") == "missing host");
    CHECK(parse_error("redis://u:pw@") == "missing host");
    CHECK(parse_error("redis://[]:6379") == "missing host");
  }

  TEST_CASE("an unclosed IPv6 bracket is an invalid host")
  {
    CHECK(parse_error("redis://[::1:6379") == "invalid host \"[::1:6379\"");
  }

  TEST_CASE("a missing socket path is an error")
  {
    CHECK(parse_error("unix://") == "missing socket path");
    CHECK(parse_error("unix://u:pw@") == "missing socket path");
    CHECK(parse_error("unix://?db=1") == "missing socket path");
  }

  TEST_CASE("a unix:// parameter other than db is an error")
  {
    CHECK(parse_error("unix:///tmp/redis.sock?timeout=5")
          == "unsupported parameter \"timeout=5\" (expected ?db=N)");
  }

  TEST_CASE("an unknown scheme is an error naming it")
  {
    const std::string expected = " (expected redis://, rediss://, redis+sentinel://, "
                                 "rediss+sentinel://, redis+cluster://, rediss+cluster:// or "
                                 "unix://)";
    CHECK(parse_error("ftp://localhost:6379") == "unsupported scheme \"ftp\"" + expected);
    CHECK(parse_error("http://u:pw@localhost") == "unsupported scheme \"http\"" + expected);
    CHECK(parse_error("REDIS://localhost") == "unsupported scheme \"REDIS\"" + expected);
  }

  TEST_CASE("rediss:// is redis:// with TLS")
  {
    const RedisAddress address = parse_ok("rediss://u:pw@cache.example.com:6380/3");
    CHECK(address.tls);
    CHECK(address.host == "cache.example.com");
    CHECK(address.port == 6380);
    CHECK(address.db == 3);
    CHECK(address.user == "u");
    CHECK(address.password == "pw");
    CHECK_FALSE(address.via_sentinel());
    CHECK_FALSE(parse_ok("redis://localhost").tls);
  }

  TEST_CASE("redis+sentinel:// lists sentinels (26379 by default), the master name and db")
  {
    const RedisAddress address =
        parse_ok("redis+sentinel://app:pw@10.0.0.1,10.0.0.2:26380,[::1]:5000/mymaster/4");
    CHECK(address.via_sentinel());
    CHECK_FALSE(address.tls);
    CHECK(address.master_name == "mymaster");
    CHECK(address.db == 4);
    CHECK(address.user == "app");
    CHECK(address.password == "pw");
    REQUIRE(address.hosts.size() == 3);
    CHECK(address.hosts[0].host == "10.0.0.1");
    CHECK(address.hosts[0].port == 26379);
    CHECK(address.hosts[1].host == "10.0.0.2");
    CHECK(address.hosts[1].port == 26380);
    CHECK(address.hosts[2].host == "::1");
    CHECK(address.hosts[2].port == 5000);
    CHECK(address.host.empty()); // the sentinels say where the master is
  }

  TEST_CASE("rediss+sentinel:// is TLS to the data nodes; the db is optional")
  {
    const RedisAddress address = parse_ok("rediss+sentinel://127.0.0.1:26379/ha");
    CHECK(address.tls);
    CHECK(address.master_name == "ha");
    CHECK(address.db == 0);
  }

  TEST_CASE("a sentinel URL needs a master name, and well-formed sentinels")
  {
    const std::string missing = "missing master name (expected "
                                "redis+sentinel://host:26379[,host:port...]/MASTERNAME[/db])";
    CHECK(parse_error("redis+sentinel://127.0.0.1:26379") == missing);
    CHECK(parse_error("redis+sentinel://127.0.0.1:26379/") == missing);
    CHECK(parse_error("redis+sentinel://127.0.0.1:26379,/m") == "missing host");
    CHECK(parse_error("redis+sentinel://127.0.0.1:x/m") == "invalid port (expected 1-65535)");
    CHECK(parse_error("redis+sentinel://127.0.0.1/m/x") == "invalid database \"x\"");
  }

  TEST_CASE("redis+cluster:// lists seed nodes (6379 by default); only db 0")
  {
    const RedisAddress address = parse_ok("rediss+cluster://u:pw@10.0.0.1:7000,10.0.0.2/");
    CHECK(address.cluster);
    CHECK(address.tls);
    CHECK_FALSE(address.via_sentinel());
    REQUIRE(address.hosts.size() == 2);
    CHECK(address.hosts[0].host == "10.0.0.1");
    CHECK(address.hosts[0].port == 7000);
    CHECK(address.hosts[1].port == 6379);
    CHECK(address.password == "pw");
    CHECK(parse_ok("redis+cluster://h:7000/0").db == 0);
    CHECK(parse_error("redis+cluster://h:7000/1") == "a cluster has only database 0");
    CHECK(parse_error("redis+cluster://h:7000,") == "missing host");
  }

  TEST_CASE("text that is not a URL is an error quoting it")
  {
    CHECK(
        parse_error("localhost:6379")
        == "\"localhost:6379\" is not a URL (expected redis://host:port/db or unix:///path.sock)");
    CHECK(parse_error("")
          == "\"\" is not a URL (expected redis://host:port/db or unix:///path.sock)");
  }

  TEST_CASE("text that is not a URL but holds credentials is quoted redacted")
  {
    CHECK(parse_error("default:hunter2@localhost:6379")
          == "\"<redacted>\" is not a URL (expected redis://host:port/db or unix:///path.sock)");
  }

  TEST_CASE("no error message contains the password")
  {
    // Each URL fails after (or instead of) reading credentials whose password is hunter2.
    const char* const urls[] = {
        "redis://u:hunter2@localhost:abc",
        "redis://u:hunter2@localhost:0",
        "redis://u:hunter2@localhost/x",
        "redis://u:hunter2@localhost:6379/-1",
        "redis://u:hunter2@",
        "redis://u:hunter2@:6379",
        "redis://hunter2@[::1",
        "redis://u:hun%74er2@localhost:abc",
        "rediss://u:hunter2@localhost:x",
        "redis+sentinel://u:hunter2@h1:26379",
        "redis+sentinel://u:hunter2@h1:x/m",
        "ftp://u:hunter2@localhost",
        "u:hunter2@localhost:6379",
        "hunter2@localhost",
        "unix://u:hunter2@",
        "unix://u:hunter2@/tmp/redis.sock?db=x",
        "unix://u:hunter2@/tmp/redis.sock?timeout=1",
    };
    for (const char* url : urls) {
      CAPTURE(url);
      const std::string message = parse_error(url);
      CHECK(message.find("hunter2") == std::string::npos);
      CHECK(message.find("hun%74er2") == std::string::npos);
    }
  }

  TEST_CASE("redact_url replaces the password and keeps the user")
  {
    CHECK(redact_url("redis://alice:s3cret@127.0.0.1:6379/0")
          == "redis://alice:***@127.0.0.1:6379/0");
  }

  TEST_CASE("redact_url replaces a password-only userinfo")
  {
    CHECK(redact_url("redis://s3cret@localhost") == "redis://***@localhost");
  }

  TEST_CASE("redact_url keeps an empty user")
  {
    CHECK(redact_url("redis://:s3cret@localhost:6379") == "redis://:***@localhost:6379");
  }

  TEST_CASE("redact_url hides a password containing '@' up to the last '@'")
  {
    CHECK(redact_url("redis://u:p@ss@host") == "redis://u:***@host");
  }

  TEST_CASE("redact_url redacts unix:// credentials and keeps path and db")
  {
    CHECK(redact_url("unix://bob:pw@/tmp/redis.sock?db=2")
          == "unix://bob:***@/tmp/redis.sock?db=2");
  }

  TEST_CASE("redact_url leaves a URL without credentials unchanged")
  {
    CHECK(redact_url("redis://localhost:6379/0") == "redis://localhost:6379/0");
    CHECK(redact_url("unix:///tmp/redis.sock") == "unix:///tmp/redis.sock");
    CHECK(redact_url("rediss://[::1]:6380") == "rediss://[::1]:6380");
  }

  TEST_CASE("redact_url gives <redacted> for unparseable input with '@'")
  {
    CHECK(redact_url("user:pw@host") == "<redacted>");
    CHECK(redact_url("pw@host://x") == "<redacted>");
  }

  TEST_CASE("redact_url returns unparseable input without '@' as is")
  {
    CHECK(redact_url("not a url") == "not a url");
    CHECK(redact_url("") == "");
  }
}
