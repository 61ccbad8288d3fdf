#include "support/http.hpp"

#include "cachewarm/sources/http.hpp"

#include <doctest/doctest.h>

using cachewarm::core::Errc;
using cachewarm::test::http_options;

// http_fetch (keys_from over HTTP); its requests are made by the client of
// test_sources_http_client.cpp, and the server side is covered by
// tests/integration/keys_from_http.sh.
TEST_SUITE("sources::http")
{
  TEST_CASE("http_fetch reports a failed GET as a source error")
  {
    const auto body =
        cachewarm::sources::http_fetch(http_options("ftp://127.0.0.1:9"), "/keys.txt");
    REQUIRE_FALSE(body.has_value());
    CHECK(body.error().code == Errc::source);
    CHECK(body.error().message.starts_with("http api GET /keys.txt: "));
  }
}
