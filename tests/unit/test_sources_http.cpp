#include "../../src/sources/http_detail.hpp"
#include "support/results.hpp"
#include "support/sources.hpp"

#include "cachewarm/core/template.hpp"
#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/http.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

using cachewarm::core::Entry;
using cachewarm::core::Errc;
using cachewarm::core::Failure;
using cachewarm::core::HashValue;
using cachewarm::core::Row;
using cachewarm::sources::HttpOptions;
using cachewarm::sources::open_http_lookup;
using cachewarm::sources::ValueResolver;
using cachewarm::sources::detail::classify;
using cachewarm::sources::detail::extract_value;
using cachewarm::sources::detail::Extracted;
using cachewarm::sources::detail::join_url;
using cachewarm::sources::detail::parse_json_pointer;
using cachewarm::sources::detail::parse_retry_after;
using cachewarm::sources::detail::path_for_message;
using cachewarm::sources::detail::Verdict;
using cachewarm::test::error_message;
using cachewarm::test::parse_template;
using cachewarm::test::Strings;
using namespace std::chrono_literals;

namespace {

using Json = nlohmann::json;
using Fields = std::vector<std::pair<std::string, std::string>>;

// 1994-11-06 08:49:00 UTC, 37 s before the RFC's example date.
std::chrono::system_clock::time_point
rfc_now()
{
  using namespace std::chrono;
  return sys_days(year(1994) / November / 6) + 8h + 49min;
}

std::optional<long long>
retry_after_ms(std::string_view value)
{
  const std::optional<std::chrono::milliseconds> delay = parse_retry_after(value, rfc_now());
  if (!delay) {
    return std::nullopt;
  }
  return delay->count();
}

Extracted
extract(std::string body, const std::string& pointer, bool hash = false)
{
  const std::optional<Json::json_pointer> parsed = *parse_json_pointer(pointer);
  return extract_value(std::move(body), parsed ? &*parsed : nullptr, hash);
}

std::string
text_of(const Extracted& extracted)
{
  REQUIRE_MESSAGE(extracted.value.has_value(), (extracted.kind + ": " + extracted.message));
  REQUIRE(std::holds_alternative<std::string>(*extracted.value));
  return std::get<std::string>(*extracted.value);
}

Fields
hash_of(const Extracted& extracted)
{
  REQUIRE_MESSAGE(extracted.value.has_value(), (extracted.kind + ": " + extracted.message));
  REQUIRE(std::holds_alternative<HashValue>(*extracted.value));
  return std::get<HashValue>(*extracted.value).fields;
}

constexpr const char* k_item =
    R"({"data": {"id": "7", "name": "item 7", "price": 21, "tags": ["a", "b"], "gone": null},)"
    R"( "meta": {"page": 1}})";

HttpOptions
options_for(std::string base_url)
{
  HttpOptions options;
  options.name = "api";
  options.base_url = std::move(base_url);
  options.retries = 0;
  return options;
}

} // namespace

TEST_SUITE("sources::http")
{
  TEST_CASE("Retry-After in delta-seconds is honoured up to 60 s")
  {
    CHECK(retry_after_ms("1") == 1000);
    CHECK(retry_after_ms("0") == 0);
    CHECK(retry_after_ms(" 42 ") == 42000);
    CHECK(retry_after_ms("60") == 60000);
    CHECK(retry_after_ms("61") == 60000);
    CHECK(retry_after_ms("99999999999999999999999999") == 60000);
  }

  TEST_CASE("Retry-After accepts the three HTTP-date forms")
  {
    CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT") == 37000);  // IMF-fixdate
    CHECK(retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT") == 37000); // RFC 850
    CHECK(retry_after_ms("Sun Nov  6 08:49:37 1994") == 37000);       // asctime
    CHECK(retry_after_ms("sun, 06 nov 1994 08:49:37 gmt") == 37000);
  }

  TEST_CASE("Retry-After dates in the past mean now, far ones are capped")
  {
    CHECK(retry_after_ms("Sun, 06 Nov 1994 08:00:00 GMT") == 0);
    CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:00 GMT") == 0);
    CHECK(retry_after_ms("Mon, 07 Nov 1994 08:49:37 GMT") == 60000);
  }

  TEST_CASE("Retry-After that is neither form is ignored")
  {
    CHECK(retry_after_ms("") == std::nullopt);
    CHECK(retry_after_ms("-1") == std::nullopt);
    CHECK(retry_after_ms("1.5") == std::nullopt);
    CHECK(retry_after_ms("soon") == std::nullopt);
    CHECK(retry_after_ms("Tue, 31 Feb 1994 08:49:37 GMT") == std::nullopt);
    CHECK(retry_after_ms("Sun, 06 Nov 1994 25:49:37 GMT") == std::nullopt);
    CHECK(retry_after_ms("Sun, 06 Foo 1994 08:49:37 GMT") == std::nullopt);
    CHECK(retry_after_ms("Sun, 06 Nov 08:49:37 GMT") == std::nullopt);
  }

  TEST_CASE("2xx responses succeed")
  {
    CHECK(classify(CURLE_OK, 200, false).ok);
    CHECK(classify(CURLE_OK, 204, false).ok);
    CHECK_FALSE(classify(CURLE_OK, 301, false).ok);
  }

  TEST_CASE("404 is not_found and is not retried")
  {
    const Verdict verdict = classify(CURLE_OK, 404, false);
    CHECK_FALSE(verdict.ok);
    CHECK_FALSE(verdict.retryable);
    CHECK(verdict.kind == "not_found");
  }

  TEST_CASE("429 and 5xx are retried as http_status, other statuses are not")
  {
    for (const long status : {429L, 500L, 502L, 503L, 504L}) {
      const Verdict verdict = classify(CURLE_OK, status, false);
      CHECK(verdict.retryable);
      CHECK(verdict.kind == "http_status");
    }
    for (const long status : {301L, 400L, 401L, 403L, 410L}) {
      const Verdict verdict = classify(CURLE_OK, status, false);
      CHECK_FALSE(verdict.retryable);
      CHECK(verdict.kind == "http_status");
    }
  }

  TEST_CASE("timeouts and connection errors are retried")
  {
    const Verdict timeout = classify(CURLE_OPERATION_TIMEDOUT, 0, false);
    CHECK(timeout.retryable);
    CHECK(timeout.kind == "http_timeout");
    for (const CURLcode code :
         {CURLE_COULDNT_CONNECT, CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR}) {
      const Verdict verdict = classify(code, 0, false);
      CHECK(verdict.retryable);
      CHECK(verdict.kind == "http_error");
    }
  }

  TEST_CASE("errors that would repeat are not retried")
  {
    for (const CURLcode code :
         {CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_PEER_FAILED_VERIFICATION}) {
      const Verdict verdict = classify(code, 0, false);
      CHECK_FALSE(verdict.retryable);
      CHECK(verdict.kind == "http_error");
    }
  }

  TEST_CASE("an oversized body is too_large, whether cut off or refused by Content-Length")
  {
    for (const Verdict& verdict :
         {classify(CURLE_WRITE_ERROR, 200, true), classify(CURLE_FILESIZE_EXCEEDED, 200, false)}) {
      CHECK_FALSE(verdict.ok);
      CHECK_FALSE(verdict.retryable);
      CHECK(verdict.kind == "too_large");
    }
  }

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

  TEST_CASE("an empty json_pointer means the raw body")
  {
    const auto parsed = parse_json_pointer("");
    REQUIRE(parsed.has_value());
    CHECK_FALSE(parsed->has_value());
    CHECK(text_of(extract("not json at all", "")) == "not json at all");
  }

  TEST_CASE("an invalid json_pointer is a manifest error")
  {
    CHECK(error_message(parse_json_pointer("data"), Errc::manifest)
          == "invalid json_pointer \"data\": JSON pointer must be empty or begin with '/' - was: "
             "'data'");
    CHECK(error_message(parse_json_pointer("/a/~2"), Errc::manifest)
          == "invalid json_pointer \"/a/~2\": escape character '~' must be followed with '0' or "
             "'1'");
  }

  TEST_CASE("json_pointer to an object or array stores compact JSON")
  {
    CHECK(text_of(extract(k_item, "/data"))
          == R"({"gone":null,"id":"7","name":"item 7","price":21,"tags":["a","b"]})");
    CHECK(text_of(extract(k_item, "/data/tags")) == R"(["a","b"])");
  }

  TEST_CASE("json_pointer to a string stores it raw, to a scalar its JSON text")
  {
    CHECK(text_of(extract(k_item, "/data/name")) == "item 7");
    CHECK(text_of(extract(R"({"s": "\u00e9t\u00e9 \"q\""})", "/s")) == "\xc3\xa9t\xc3\xa9 \"q\"");
    CHECK(text_of(extract(k_item, "/data/price")) == "21");
    CHECK(text_of(extract(k_item, "/data/gone")) == "null");
    CHECK(text_of(extract(k_item, "/data/tags/1")) == "b");
  }

  TEST_CASE("json_pointer that is absent is not_found")
  {
    const Extracted missing = extract(k_item, "/data/nope");
    CHECK_FALSE(missing.value.has_value());
    CHECK(missing.kind == "not_found");
    CHECK(missing.message == "json_pointer /data/nope is absent");
    CHECK(extract(k_item, "/data/tags/5").kind == "not_found");
    CHECK(extract(k_item, "/data/tags/x").kind == "not_found");
    CHECK_FALSE(extract(k_item, "/data/name/deeper").value.has_value());
  }

  TEST_CASE("a body that is not JSON is invalid_json")
  {
    const Extracted broken = extract("<html>oops</html>", "/data");
    CHECK_FALSE(broken.value.has_value());
    CHECK(broken.kind == "invalid_json");
    CHECK(broken.message == "the body is not JSON");
    CHECK(extract("{\"a\": 1", "", true).kind == "invalid_json");
  }

  TEST_CASE("hash_from_json makes one field per member, strings raw and others compact")
  {
    CHECK(hash_of(extract(k_item, "/data", true))
          == Fields{{"gone", "null"},
                    {"id", "7"},
                    {"name", "item 7"},
                    {"price", "21"},
                    {"tags", R"(["a","b"])"}});
    CHECK(hash_of(extract(R"({"a": "x", "b": {"c": [1, 2]}})", "", true))
          == Fields{{"a", "x"}, {"b", R"({"c":[1,2]})"}});
  }

  TEST_CASE("hash_from_json on a non-object is invalid_json, on an empty object not_found")
  {
    const Extracted array = extract(k_item, "/data/tags", true);
    CHECK_FALSE(array.value.has_value());
    CHECK(array.kind == "invalid_json");
    CHECK(array.message == "hash_from_json needs a JSON object, got array");
    CHECK(extract(k_item, "/data/name", true).message
          == "hash_from_json needs a JSON object, got string");
    const Extracted empty = extract(R"({"data": {}})", "/data", true);
    CHECK(empty.kind == "not_found");
    CHECK(empty.message == "hash_from_json: the JSON object is empty");
  }

  TEST_CASE("open_http_lookup rejects a get template with an unknown variable")
  {
    const Strings fields{"id"};
    CHECK(
        error_message(
            open_http_lookup(
                options_for("http://127.0.0.1:9"), parse_template("/x/{nope}"), "", false, fields),
            Errc::manifest)
        == "get \"/x/{nope}\": unknown variable {nope} (available: id, key)");
  }

  TEST_CASE("open_http_lookup rejects an invalid json_pointer")
  {
    const Strings fields;
    CHECK(error_message(open_http_lookup(options_for("http://127.0.0.1:9"),
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
    HttpOptions options = options_for("http://127.0.0.1:9");
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
    auto resolver = open_http_lookup(
        options_for("http://127.0.0.1:9"), parse_template("/items/{id}"), "", false, fields);
    REQUIRE_MESSAGE(resolver.has_value(), resolver.error().message);
    std::vector<Row> rows{Row{"item:null", {std::nullopt}}};
    std::vector<Entry> entries;
    std::vector<Failure> failures;
    REQUIRE((*resolver)->resolve(rows, entries, failures).has_value());
    CHECK(entries.empty());
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].key == "item:null");
    CHECK(failures[0].kind == "not_found");
    CHECK(failures[0].message == "a URL variable is NULL");
  }

  TEST_CASE("a request curl refuses to make fails per key, naming only the path")
  {
    // An unsupported scheme fails inside curl before any connection: no network involved.
    HttpOptions options = options_for("ftp://user:pw@127.0.0.1:9");
    options.retries = 3;
    options.headers = {{"Authorization", "Bearer s3cret"}};
    const Strings fields{"id"};
    auto resolver = open_http_lookup(options, parse_template("/a b/{id}"), "", false, fields);
    REQUIRE_MESSAGE(resolver.has_value(), resolver.error().message);
    std::vector<Row> rows{Row{"k1", {"1 /?"}}, Row{"k2", {"2"}}};
    std::vector<Entry> entries;
    std::vector<Failure> failures;
    REQUIRE((*resolver)->resolve(rows, entries, failures).has_value());
    CHECK(entries.empty());
    REQUIRE(failures.size() == 2);
    for (const Failure& failure : failures) {
      CHECK(failure.kind == "http_error");
      CHECK(failure.message.find("pw") == std::string::npos);
      CHECK(failure.message.find("s3cret") == std::string::npos);
    }
    const Failure& first = failures[0].key == "k1" ? failures[0] : failures[1];
    CHECK(first.message.starts_with("http api GET /a b/1%20%2F%3F: "));
  }

  TEST_CASE("http_fetch reports a failed GET as a source error")
  {
    const auto body = cachewarm::sources::http_fetch(options_for("ftp://127.0.0.1:9"), "/keys.txt");
    REQUIRE_FALSE(body.has_value());
    CHECK(body.error().code == Errc::source);
    CHECK(body.error().message.starts_with("http api GET /keys.txt: "));
  }
}
