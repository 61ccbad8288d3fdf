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
#include <utility>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::core::Failure;
using cachewarm::core::Row;
using cachewarm::sources::KeyListFormat;
using cachewarm::sources::open_key_file;
using cachewarm::sources::detail::add_item;
using cachewarm::sources::detail::bad_row;
using cachewarm::sources::detail::KeyItems;
using cachewarm::sources::detail::KeyMaker;
using cachewarm::sources::detail::make_buffered_keys;
using namespace cachewarm::test;

TEST_SUITE("sources::key_rows")
{
  TEST_CASE("key template: rendered over the fields of each row")
  {
    const TempFile file("1\n2\n");
    const Drained out =
        drain(*open_ok(file.path(), key_options(KeyListFormat::lines, "", "user:{line}:v1")));
    CHECK(keys_of(out.rows) == Strings{"user:1:v1", "user:2:v1"});
    CHECK(out.rows[0].fields == Fields{"1"});
  }

  TEST_CASE("key template: an unknown variable is a manifest error")
  {
    const TempFile file("1\n");
    CHECK(error_message(
              open_key_file(file.path(), key_options(KeyListFormat::lines, "", "user:{id}")),
              Errc::manifest)
          == "key template \"user:{id}\": unknown variable {id} (available: line)");
  }

  TEST_CASE("batching: documents parsed whole are handed out in batches too")
  {
    auto source = parse_ok("[\"a\", \"b\", \"c\"]", key_options(KeyListFormat::json));
    std::vector<Row> rows;
    std::vector<Failure> failures;
    auto more = source->next(2, rows, failures);
    REQUIRE(more);
    CHECK(*more);
    CHECK(rows.size() == 2);
    more = source->next(2, rows, failures);
    REQUIRE(more);
    CHECK(!*more);
    CHECK(keys_of(rows) == Strings{"a", "b", "c"});
  }

  TEST_CASE("KeyMaker without a template takes the key field as the key")
  {
    const KeyMaker maker(std::nullopt, 1);
    Row row{"stale", {"a", "b"}};
    CHECK(maker.make(row).empty());
    CHECK(row.key == "b");
  }

  TEST_CASE("KeyMaker says why a row gives no key")
  {
    const KeyMaker by_field(std::nullopt, 0);
    Row null_field{"", {std::nullopt}};
    CHECK(by_field.make(null_field) == "the key field is missing");
    Row empty{"", {""}};
    CHECK(by_field.make(empty) == "empty key");

    const Strings names{"id"};
    const KeyMaker by_template(require_ok(parse_template("k:{id}").bind(names)), 0);
    Row null_variable{"", {std::nullopt}};
    CHECK(by_template.make(null_variable) == "a field of the key template is missing");
    Row ok{"", {"7"}};
    CHECK(by_template.make(ok).empty());
    CHECK(ok.key == "k:7");
  }

  TEST_CASE("bad_row names the row by its position")
  {
    const Failure failure = bad_row("element", 3, "empty key");
    CHECK(failure.key == "element 3");
    CHECK(failure.kind == "bad_key_row");
    CHECK(failure.message == "empty key");
  }

  TEST_CASE("buffered keys keep rows and bad rows in order and know their size")
  {
    const KeyMaker maker(std::nullopt, 0);
    KeyItems items;
    add_item(items, maker, Row{"", {"a"}}, "element", 1);
    add_item(items, maker, Row{"", {""}}, "element", 2);
    add_item(items, maker, Row{"", {"c"}}, "element", 3);
    auto source = make_buffered_keys({"value"}, std::move(items));
    CHECK(source->fields() == Strings{"value"});
    CHECK(source->size_hint() == std::optional<std::uint64_t>(3));
    const Drained out = drain(*source, 2);
    CHECK(keys_of(out.rows) == Strings{"a", "c"});
    CHECK(messages_of(out.failures) == Strings{"element 2: empty key"});
    CHECK(out.calls == 2);
  }
}
