#include "support/http.hpp"
#include "support/results.hpp"
#include "support/sources.hpp"

#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/http.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::core::Failure;
using cachewarm::core::Row;
using cachewarm::sources::HttpOptions;
using cachewarm::sources::open_http_lookup;
using namespace cachewarm::test;

// Only what needs no server; the server side is covered by tests/integration/http_*.sh.
TEST_SUITE("sources::http_lookup")
{
  TEST_CASE("open_http_lookup rejects a get template with an unknown variable")
  {
    const Strings fields{"id"};
    CHECK(
        error_message(
            open_http_lookup(
                http_options("http://127.0.0.1:9"), parse_template("/x/{nope}"), "", false, fields),
            Errc::manifest)
        == "get \"/x/{nope}\": unknown variable {nope} (available: id, key)");
  }

  TEST_CASE("open_http_lookup rejects an invalid json_pointer")
  {
    const Strings fields;
    CHECK(error_message(open_http_lookup(http_options("http://127.0.0.1:9"),
                                         parse_template("/x/{key}"),
                                         "/a/~3",
                                         false,
                                         fields),
                        Errc::manifest)
          == "invalid json_pointer \"/a/~3\": escape character '~' must be followed with '0' or "
             "'1'");
  }

  TEST_CASE("open_http_lookup rejects a header value with a line break without showing it")
  {
    HttpOptions options = http_options("http://127.0.0.1:9");
    options.headers = {{"Authorization", "Bearer s3cret\r\nX-Evil: 1"}};
    const Strings fields;
    const auto resolver = open_http_lookup(options, parse_template("/{key}"), "", false, fields);
    REQUIRE_FALSE(resolver.has_value());
    CHECK(resolver.error().code == Errc::manifest);
    CHECK(resolver.error().message.find("s3cret") == std::string::npos);
    CHECK(resolver.error().message
          == "http api: header Authorization has a line break (or a colon in its name)");
  }

  TEST_CASE("a row with a NULL URL variable is not_found without a request")
  {
    const Strings fields{"id"};
    auto resolver = require_ok(open_http_lookup(
        http_options("http://127.0.0.1:9"), parse_template("/items/{id}"), "", false, fields));
    const Resolved out = resolve(*resolver, {Row{"item:null", {std::nullopt}}});
    CHECK(out.entries.empty());
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "item:null");
    CHECK(out.failures[0].kind == "not_found");
    CHECK(out.failures[0].message == "a URL variable is NULL");
  }

  TEST_CASE("a request curl refuses to make fails per key, naming only the path")
  {
    // An unsupported scheme fails inside curl before any connection: no network involved.
    HttpOptions options = http_options("ftp://user:pw@127.0.0.1:9");
    options.retries = 3;
    options.headers = {{"Authorization", "Bearer s3cret"}};
    const Strings fields{"id"};
    auto resolver =
        require_ok(open_http_lookup(options, parse_template("/a b/{id}"), "", false, fields));
    const Resolved out = resolve(*resolver, {Row{"k1", {"1 /?"}}, Row{"k2", {"2"}}});
    CHECK(out.entries.empty());
    const std::vector<Failure>& failures = out.failures;
    REQUIRE(failures.size() == 2);
    for (const Failure& failure : failures) {
      CHECK(failure.kind == "http_error");
      CHECK(failure.message.find("pw") == std::string::npos);
      CHECK(failure.message.find("s3cret") == std::string::npos);
    }
    const Failure& first = failures[0].key == "k1" ? failures[0] : failures[1];
    CHECK(first.message.starts_with("http api GET /a b/1%20%2F%3F: "));
  }
}
