#include "../../src/sources/http_extract_detail.hpp"
#include "support/results.hpp"

#include "cachewarm/core/types.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::core::HashValue;
using cachewarm::sources::detail::extract_value;
using cachewarm::sources::detail::Extracted;
using cachewarm::sources::detail::parse_json_pointer;
using cachewarm::test::error_message;

namespace {

using Json = nlohmann::json;
using Fields = std::vector<std::pair<std::string, std::string>>;

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

} // namespace

TEST_SUITE("sources::http_extract")
{
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
}
