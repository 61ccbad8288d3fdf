#include "../../src/sources/http_client_detail.hpp"
#include "support/http.hpp"
#include "support/results.hpp"

#include "cachewarm/sources/http.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::sources::HttpOptions;
using cachewarm::sources::detail::describe;
using cachewarm::sources::detail::HttpClient;
using cachewarm::sources::detail::join_url;
using cachewarm::sources::detail::path_for_message;
using cachewarm::sources::detail::Request;
using cachewarm::sources::detail::Response;
using cachewarm::sources::detail::Verdict;
using namespace cachewarm::test;

TEST_SUITE("sources::http_client")
{
  TEST_CASE("join_url keeps one slash between base and path")
  {
    CHECK(join_url("http://h:1", "/items/1") == "http://h:1/items/1");
    CHECK(join_url("http://h:1/", "/items/1") == "http://h:1/items/1");
    CHECK(join_url("http://h:1/api/", "items/1") == "http://h:1/api/items/1");
    CHECK(join_url("http://h:1/api", "") == "http://h:1/api");
  }

  TEST_CASE("messages show the path without its query")
  {
    CHECK(path_for_message("/items/1?api_key=s3cret") == "/items/1");
    CHECK(path_for_message("/items/1#top") == "/items/1");
    CHECK(path_for_message("/items/1") == "/items/1");
  }

  TEST_CASE("describe names the source, the path without its query, and the reason")
  {
    const HttpOptions options = http_options("http://127.0.0.1:9");
    const Request request{"http://127.0.0.1:9/items/7?key=s3cret", "/items/7?key=s3cret"};
    Response status;
    status.verdict = Verdict{false, true, "http_status"};
    status.status = 500;
    status.attempts = 3;
    CHECK(describe(options, request, status) == "http api GET /items/7: status 500 (3 attempts)");

    Response too_large;
    too_large.verdict = Verdict{false, false, "too_large"};
    too_large.status = 200;
    too_large.attempts = 1;
    CHECK(describe(options, request, too_large)
          == "http api GET /items/7: the body is over max_body (8388608 bytes)");

    Response refused;
    refused.verdict = Verdict{false, true, "http_error"};
    refused.code = CURLE_COULDNT_CONNECT;
    refused.error = "Failed to connect";
    refused.attempts = 2;
    CHECK(describe(options, request, refused)
          == "http api GET /items/7: Failed to connect (2 attempts)");
  }

  TEST_CASE("create rejects a header name with a colon without showing the value")
  {
    HttpOptions options = http_options("http://127.0.0.1:9");
    options.headers = {{"X-Key:", "s3cret"}};
    CHECK(error_message(HttpClient::create(options), Errc::manifest)
          == "http api: header X-Key: has a line break (or a colon in its name)");
  }

  TEST_CASE("run ends every request once, in any order, and nothing for no requests")
  {
    // An unsupported scheme fails inside curl before any connection: no network involved.
    auto client = require_ok(HttpClient::create(http_options("ftp://127.0.0.1:9")));
    const std::vector<Request> requests{{"ftp://127.0.0.1:9/a", "/a"},
                                        {"ftp://127.0.0.1:9/b", "/b"},
                                        {"ftp://127.0.0.1:9/c", "/c"}};
    std::vector<int> calls(requests.size(), 0);
    const auto ran = client->run(requests, [&](std::size_t index, Response&& response) {
      ++calls.at(index);
      CHECK_FALSE(response.verdict.ok);
      CHECK(response.verdict.kind == "http_error");
      CHECK(response.code == CURLE_UNSUPPORTED_PROTOCOL);
      CHECK(response.attempts == 1);
      CHECK_FALSE(response.error.empty());
    });
    REQUIRE(ran.has_value());
    CHECK(calls == std::vector<int>{1, 1, 1});

    bool called = false;
    REQUIRE(client->run({}, [&](std::size_t, Response&&) { called = true; }).has_value());
    CHECK_FALSE(called);
  }
}
