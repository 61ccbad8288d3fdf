#include "support/results.hpp"
#include "support/sources.hpp"

#include "cachewarm/core/template.hpp"
#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/generated.hpp"
#include "cachewarm/sources/values.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

using cachewarm::core::Entry;
using cachewarm::core::Errc;
using cachewarm::core::Failure;
using cachewarm::core::HashValue;
using cachewarm::core::Row;
using cachewarm::sources::Dimension;
using cachewarm::sources::KeySource;
using cachewarm::sources::make_column_value;
using cachewarm::sources::make_hash_value;
using cachewarm::sources::make_literal_keys;
using cachewarm::sources::make_pattern_keys;
using cachewarm::sources::make_text_value;
using cachewarm::sources::template_names;
using namespace cachewarm::test;

namespace {

// A dimension over `values`, counting how often a value is computed.
Dimension
list_dimension(std::string name, Strings values, int* calls = nullptr)
{
  const auto size = static_cast<std::uint64_t>(values.size());
  return Dimension{std::move(name),
                   size,
                   [values = std::move(values), calls](std::uint64_t index, std::string& out) {
                     if (calls != nullptr) {
                       ++*calls;
                     }
                     out = values.at(static_cast<std::size_t>(index));
                   }};
}

std::unique_ptr<KeySource>
pattern_ok(std::string_view pattern, std::vector<Dimension> dimensions)
{
  return require_ok(make_pattern_keys(parse_template(pattern), std::move(dimensions)));
}

} // namespace

TEST_SUITE("sources::generated")
{
  TEST_CASE("literal keys come in batches of at most max, in order")
  {
    auto source = make_literal_keys({"a", "b", "c", "d", "e"});
    std::vector<Row> rows;
    std::vector<Failure> failures;
    auto more = source->next(2, rows, failures);
    REQUIRE(more.has_value());
    CHECK(*more == true);
    CHECK(keys_of(rows) == Strings{"a", "b"});
    more = source->next(2, rows, failures);
    REQUIRE(more.has_value());
    CHECK(*more == true);
    CHECK(keys_of(rows) == Strings{"a", "b", "c", "d"});
    more = source->next(2, rows, failures);
    REQUIRE(more.has_value());
    CHECK(*more == false);
    CHECK(keys_of(rows) == Strings{"a", "b", "c", "d", "e"});
    CHECK(failures.empty());
  }

  TEST_CASE("literal keys return false with the batch that exhausts them")
  {
    auto source = make_literal_keys({"a", "b", "c", "d"});
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(2, rows, failures) == true);
    CHECK(source->next(2, rows, failures) == false);
    CHECK(keys_of(rows) == Strings{"a", "b", "c", "d"});
    CHECK(source->next(2, rows, failures) == false);
    CHECK(rows.size() == 4);
  }

  TEST_CASE("literal keys have no fields, and rows carry none")
  {
    auto source = make_literal_keys({"x"});
    CHECK(source->fields().empty());
    const std::vector<Row> rows = drain_rows(*source, 10);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].fields.empty());
  }

  TEST_CASE("literal keys know their size")
  {
    CHECK(make_literal_keys({"a", "b", "c"})->size_hint() == std::optional<std::uint64_t>{3});
    CHECK(make_literal_keys({})->size_hint() == std::optional<std::uint64_t>{0});
  }

  TEST_CASE("an empty literal list is exhausted at once")
  {
    auto source = make_literal_keys({});
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(10, rows, failures) == false);
    CHECK(rows.empty());
  }

  TEST_CASE("literal keys keep arbitrary bytes")
  {
    const std::string binary("k\0\n\xFF", 4);
    auto source = make_literal_keys({binary, "cl\xC3\xA9"});
    CHECK(keys_of(drain_rows(*source, 1)) == Strings{binary, "cl\xC3\xA9"});
  }

  TEST_CASE("a pattern is the cartesian product with the last dimension fastest")
  {
    auto source = pattern_ok(
        "p:{a}:{b}", {list_dimension("a", {"x", "y"}), list_dimension("b", {"1", "2", "3"})});
    CHECK(keys_of(drain_rows(*source, 100))
          == Strings{"p:x:1", "p:x:2", "p:x:3", "p:y:1", "p:y:2", "p:y:3"});
  }

  TEST_CASE("a pattern over three dimensions counts like an odometer")
  {
    auto source = pattern_ok("{a}{b}{c}",
                             {list_dimension("a", {"0", "1"}),
                              list_dimension("b", {"0", "1"}),
                              list_dimension("c", {"0", "1"})});
    CHECK(keys_of(drain_rows(*source, 3))
          == Strings{"000", "001", "010", "011", "100", "101", "110", "111"});
  }

  TEST_CASE("a pattern is streamed in batches and reports false with the last one")
  {
    auto source = pattern_ok(
        "{a}-{b}", {list_dimension("a", {"x", "y"}), list_dimension("b", {"1", "2", "3"})});
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(4, rows, failures) == true);
    CHECK(keys_of(rows) == Strings{"x-1", "x-2", "x-3", "y-1"});
    CHECK(source->next(4, rows, failures) == false);
    CHECK(keys_of(rows) == Strings{"x-1", "x-2", "x-3", "y-1", "y-2", "y-3"});
    CHECK(source->next(4, rows, failures) == false);
    CHECK(rows.size() == 6);
  }

  TEST_CASE("a pattern's size hint is the product of its dimensions")
  {
    auto source = pattern_ok(
        "{a}{b}", {list_dimension("a", {"x", "y"}), list_dimension("b", {"1", "2", "3"})});
    CHECK(source->size_hint() == std::optional<std::uint64_t>{6});
  }

  TEST_CASE("a zero-size dimension gives no rows and computes no value")
  {
    int calls = 0;
    auto source = pattern_ok(
        "{a}:{b}", {list_dimension("a", {"x", "y"}, &calls), list_dimension("b", {}, &calls)});
    CHECK(source->size_hint() == std::optional<std::uint64_t>{0});
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(source->next(10, rows, failures) == false);
    CHECK(rows.empty());
    CHECK(calls == 0);
  }

  TEST_CASE("a pattern's rows carry the variable values as fields, in dimension order")
  {
    auto source =
        pattern_ok("{b}/{a}", {list_dimension("a", {"x", "y"}), list_dimension("b", {"1", "2"})});
    CHECK(source->fields() == Strings{"a", "b"});
    const std::vector<Row> rows = drain_rows(*source, 10);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].key == "1/x");
    CHECK(rows[0].fields == Fields{"x", "1"});
    CHECK(rows[1].key == "2/x");
    CHECK(rows[1].fields == Fields{"x", "2"});
    CHECK(rows[3].key == "2/y");
    CHECK(rows[3].fields == Fields{"y", "2"});
  }

  TEST_CASE("a pattern need not use every dimension")
  {
    auto source =
        pattern_ok("k:{a}", {list_dimension("a", {"x"}), list_dimension("b", {"1", "2"})});
    const std::vector<Row> rows = drain_rows(*source, 10);
    CHECK(keys_of(rows) == Strings{"k:x", "k:x"});
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Fields{"x", "2"});
  }

  TEST_CASE("a pattern without dimensions is one key")
  {
    auto source = pattern_ok("config:features", {});
    CHECK(source->size_hint() == std::optional<std::uint64_t>{1});
    CHECK(keys_of(drain_rows(*source, 10)) == Strings{"config:features"});
  }

  TEST_CASE("a pattern variable that is not a dimension is an error")
  {
    CHECK(error_message(
              make_pattern_keys(parse_template("p:{id}:{lang}"), {list_dimension("id", {"1"})}),
              Errc::manifest)
          == "unknown variable {lang} (available: id)");
  }

  TEST_CASE("a pattern expanding beyond 2^64 keys is an error")
  {
    const auto huge = [](std::string name) {
      return Dimension{std::move(name), std::uint64_t{1} << 32, [](std::uint64_t, std::string&) {}};
    };
    CHECK(error_message(make_pattern_keys(parse_template("{a}{b}"), {huge("a"), huge("b")}),
                        Errc::manifest)
          == "pattern expands to more than 2^64 keys");
  }
}

TEST_SUITE("sources::values")
{
  TEST_CASE("template_names are the fields followed by key")
  {
    const Strings fields{"id", "name"};
    CHECK(template_names(fields) == Strings{"id", "name", "key"});
    CHECK(template_names({}) == Strings{"key"});
  }

  TEST_CASE("a column value is that column of each row")
  {
    const Strings fields{"id", "payload"};
    auto resolver = require_ok(make_column_value("payload", fields));
    const Resolved out =
        resolve(*resolver, {Row{"item:1", {"1", "first"}}, Row{"item:2", {"2", ""}}});
    CHECK(out.failures.empty());
    REQUIRE(out.entries.size() == 2);
    CHECK(out.entries[0].key == "item:1");
    CHECK(text_of(out.entries[0]) == "first");
    CHECK(out.entries[0].ttl.count() == 0);
    CHECK(out.entries[0].only_missing == false);
    CHECK(out.entries[1].key == "item:2");
    CHECK(text_of(out.entries[1]).empty());
  }

  TEST_CASE("a column value keeps binary bytes")
  {
    const Strings fields{"blob"};
    const std::string bytes("\0a\0\xFF", 4);
    auto resolver = require_ok(make_column_value("blob", fields));
    const Resolved out = resolve(*resolver, {Row{"k", {bytes}}});
    REQUIRE(out.entries.size() == 1);
    CHECK(text_of(out.entries[0]) == bytes);
  }

  TEST_CASE("a NULL column is a not_found failure and the other rows still resolve")
  {
    const Strings fields{"id", "payload"};
    auto resolver = require_ok(make_column_value("payload", fields));
    const Resolved out =
        resolve(*resolver, {Row{"item:1", {"1", std::nullopt}}, Row{"item:2", {"2", "second"}}});
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "item:1");
    CHECK(out.failures[0].kind == "not_found");
    CHECK(out.failures[0].message == "column payload is NULL");
    REQUIRE(out.entries.size() == 1);
    CHECK(out.entries[0].key == "item:2");
    CHECK(text_of(out.entries[0]) == "second");
  }

  TEST_CASE("an unknown value column is an error listing the query's columns")
  {
    const Strings fields{"id", "name", "price"};
    CHECK(error_message(make_column_value("payload", fields), Errc::manifest)
          == "column \"payload\" is not in the query's columns (id, name, price)");
  }

  TEST_CASE("a hash value has one field per column, named after it, in column order")
  {
    const Strings fields{"id", "name", "price"};
    const Strings columns{"price", "name"};
    auto resolver = require_ok(make_hash_value(columns, fields));
    const Resolved out = resolve(*resolver, {Row{"product:1", {"1", "lamp", "9.5"}}});
    CHECK(out.failures.empty());
    REQUIRE(out.entries.size() == 1);
    CHECK(out.entries[0].key == "product:1");
    REQUIRE(std::holds_alternative<HashValue>(out.entries[0].value));
    const HashValue& hash = std::get<HashValue>(out.entries[0].value);
    CHECK(hash.fields
          == std::vector<std::pair<std::string, std::string>>{{"price", "9.5"}, {"name", "lamp"}});
  }

  TEST_CASE("a hash value leaves out NULL columns")
  {
    const Strings fields{"id", "name", "price"};
    const Strings columns{"name", "price"};
    auto resolver = require_ok(make_hash_value(columns, fields));
    const Resolved out = resolve(*resolver, {Row{"product:2", {"2", std::nullopt, "3"}}});
    CHECK(out.failures.empty());
    REQUIRE(out.entries.size() == 1);
    const HashValue& hash = std::get<HashValue>(out.entries[0].value);
    CHECK(hash.fields == std::vector<std::pair<std::string, std::string>>{{"price", "3"}});
  }

  TEST_CASE("a hash value with every column NULL is not_found")
  {
    const Strings fields{"id", "name", "price"};
    const Strings columns{"name", "price"};
    auto resolver = require_ok(make_hash_value(columns, fields));
    const Resolved out = resolve(*resolver, {Row{"product:3", {"3", std::nullopt, std::nullopt}}});
    CHECK(out.entries.empty());
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "product:3");
    CHECK(out.failures[0].kind == "not_found");
    CHECK(out.failures[0].message == "every hash column is NULL");
  }

  TEST_CASE("an unknown hash column is an error listing the query's columns")
  {
    const Strings fields{"id", "name"};
    const Strings columns{"name", "price"};
    CHECK(error_message(make_hash_value(columns, fields), Errc::manifest)
          == "column \"price\" is not in the query's columns (id, name)");
  }

  TEST_CASE("a text value renders the row's fields and {key}")
  {
    const Strings fields{"id", "lang"};
    auto resolver = require_ok(make_text_value(parse_template("{key} is {id} in {lang}"), fields));
    const Resolved out = resolve(*resolver, {Row{"page:7:de", {"7", "de"}}});
    CHECK(out.failures.empty());
    REQUIRE(out.entries.size() == 1);
    CHECK(out.entries[0].key == "page:7:de");
    CHECK(text_of(out.entries[0]) == "page:7:de is 7 in de");
  }

  TEST_CASE("a constant text value works for rows without fields")
  {
    auto resolver = require_ok(make_text_value(parse_template("on"), {}));
    const Resolved out = resolve(*resolver, {Row{"a", {}}, Row{"b", {}}});
    REQUIRE(out.entries.size() == 2);
    CHECK(text_of(out.entries[0]) == "on");
    CHECK(text_of(out.entries[1]) == "on");
  }

  TEST_CASE("a text value over a NULL field is not_found")
  {
    const Strings fields{"id", "name"};
    auto resolver = require_ok(make_text_value(parse_template("{name}"), fields));
    const Resolved out =
        resolve(*resolver, {Row{"k1", {"1", std::nullopt}}, Row{"k2", {"2", "ada"}}});
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "k1");
    CHECK(out.failures[0].kind == "not_found");
    CHECK(out.failures[0].message == "a template variable is NULL");
    REQUIRE(out.entries.size() == 1);
    CHECK(text_of(out.entries[0]) == "ada");
  }

  TEST_CASE("a text value naming an unknown variable is an error")
  {
    const Strings fields{"id"};
    CHECK(error_message(make_text_value(parse_template("{id}-{nope}"), fields), Errc::manifest)
          == "unknown variable {nope} (available: id, key)");
  }

  TEST_CASE("resolvers append to the output vectors")
  {
    const Strings fields{"v"};
    auto resolver = require_ok(make_column_value("v", fields));
    std::vector<Entry> entries;
    std::vector<Failure> failures;
    std::vector<Row> first{Row{"a", {"1"}}};
    std::vector<Row> second{Row{"b", {std::nullopt}}, Row{"c", {"3"}}};
    REQUIRE(resolver->resolve(first, entries, failures).has_value());
    REQUIRE(resolver->resolve(second, entries, failures).has_value());
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].key == "a");
    CHECK(entries[1].key == "c");
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].key == "b");
  }
}
