#include "../../src/sources/key_lists_detail.hpp"
#include "support/key_lists.hpp"
#include "support/results.hpp"
#include "support/sources.hpp"
#include "support/temp_files.hpp"

#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/key_lists.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>

using cachewarm::core::Errc;
using cachewarm::core::Row;
using cachewarm::sources::KeyListFormat;
using cachewarm::sources::parse_key_document;
using cachewarm::sources::detail::parse_jsonl_row;
using namespace cachewarm::test;

TEST_SUITE("sources::json_keys")
{
  TEST_CASE("json: an array of strings gives the field {value} and a size hint")
  {
    const TempFile file("[\"a\", \"b c\", \"ü\", 7]", ".json");
    auto source = open_ok(file.path(), key_options(KeyListFormat::json));
    CHECK(source->fields() == Strings{"value"});
    CHECK(source->size_hint() == std::optional<std::uint64_t>(4));
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows) == Strings{"a", "b c", "ü", "7"});
    CHECK(out.rows[1].fields == Fields{"b c"});
  }

  TEST_CASE("json: an array of objects takes the field's member, bad elements are bad rows")
  {
    auto source =
        parse_ok("[{\"slug\": \"x\"}, {\"slug\": 2}, {\"other\": 1}, \"s\", {\"slug\": null}]",
                 key_options(KeyListFormat::json, "slug"));
    CHECK(source->fields() == Strings{"slug"});
    CHECK(source->size_hint() == std::optional<std::uint64_t>(5));
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows) == Strings{"x", "2"});
    CHECK(messages_of(out.failures)
          == Strings{"element 3: no member \"slug\"",
                     "element 4: expected a json object, got string",
                     "element 5: member \"slug\" is null"});
  }

  TEST_CASE("json: null elements of a string array are bad rows")
  {
    const Drained out = drain(*parse_ok("[\"a\", null, [1]]", key_options(KeyListFormat::json)));
    CHECK(keys_of(out.rows) == Strings{"a"});
    CHECK(messages_of(out.failures)
          == Strings{"element 2: expected a string, got null",
                     "element 3: expected a string, got an array"});
  }

  TEST_CASE("json: objects without a field are a manifest error")
  {
    CHECK(error_message(parse_key_document(
                            "[\"a\", {\"id\": 1}]", "keys.json", key_options(KeyListFormat::json)),
                        Errc::manifest)
          == "keys.json: element 2 is an object: set field to the member that holds each key");
  }

  TEST_CASE("json: a document that is not an array, or not json, is a source error")
  {
    CHECK(error_message(
              parse_key_document("{\"a\": 1}", "keys.json", key_options(KeyListFormat::json)),
              Errc::source)
          == "keys.json: expected a json array, got object");

    auto broken = parse_key_document("[\"a\",", "keys.json", key_options(KeyListFormat::json));
    REQUIRE(!broken);
    CHECK(broken.error().code == Errc::source);
    CHECK(broken.error().message.starts_with("keys.json: not valid json: parse error at line 1"));
  }

  TEST_CASE("json: the fixture file")
  {
    const Drained out = drain(*open_ok(key_fixture("keys.json"), key_options(KeyListFormat::json)));
    CHECK(keys_of(out.rows) == Strings{"home", "about us", "produkt/ä"});
  }

  TEST_CASE("a jsonl row appends its member as key text")
  {
    Row row;
    CHECK(parse_jsonl_row(R"({"id": 42, "x": "y"})", "id", row).empty());
    CHECK(row.fields == Fields{"42"});
    Row text;
    CHECK(parse_jsonl_row(R"({"id": "a b"})", "id", text).empty());
    CHECK(text.fields == Fields{"a b"});
  }

  TEST_CASE("a jsonl line without a key says why and appends nothing")
  {
    Row row;
    CHECK(parse_jsonl_row("not json", "id", row) == "not valid json at column 2");
    CHECK(parse_jsonl_row("[1]", "id", row) == "expected a json object, got array");
    CHECK(parse_jsonl_row(R"({"other": 1})", "id", row) == "no member \"id\"");
    CHECK(parse_jsonl_row(R"({"id": null})", "id", row) == "member \"id\" is null");
    CHECK(parse_jsonl_row(R"({"id": {}})", "id", row) == "member \"id\" is an object");
    CHECK(row.fields.empty());
  }
}
