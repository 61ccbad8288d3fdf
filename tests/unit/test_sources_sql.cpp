#include "../../src/sources/sql_detail.hpp"
#include "support/results.hpp"
#include "support/sources.hpp"

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/core/types.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

using cachewarm::core::Entry;
using cachewarm::core::Errc;
using cachewarm::core::Failure;
using cachewarm::core::Result;
using cachewarm::core::Row;
using cachewarm::core::Template;
using cachewarm::sources::KeySource;
using cachewarm::sources::ValueResolver;
using cachewarm::sources::detail::bind_key;
using cachewarm::sources::detail::LookupAnswer;
using cachewarm::sources::detail::LookupStatement;
using cachewarm::sources::detail::make_lookup_resolver;
using cachewarm::sources::detail::make_query_source;
using cachewarm::sources::detail::RowCursor;
using namespace cachewarm::test;

namespace {

// Rows from memory; `knows_end` makes at_end() report the end once every row was read; a row
// index in `fail_at` fails instead of being read. Records which columns were asked for.
struct FakeCursor final : RowCursor {
  Strings names{"id", "name"};
  std::vector<Fields> rows;
  bool knows_end = false;
  std::optional<std::size_t> fail_at;
  std::size_t read = 0;
  int calls_after_end = 0;
  mutable std::vector<std::size_t> columns_read;

  const std::vector<std::string>& columns() const override { return names; }

  Result<bool> advance() override
  {
    if (fail_at == read) {
      return cachewarm::core::fail(Errc::source, "boom");
    }
    if (read == rows.size()) {
      ++calls_after_end;
      return false;
    }
    ++read;
    return true;
  }

  std::optional<std::string> column(std::size_t column) const override
  {
    columns_read.push_back(column);
    return rows[read - 1][column];
  }

  Result<bool> at_end() override { return knows_end && read == rows.size(); }

  Result<std::optional<std::uint64_t>> count() override { return rows.size(); }
};

std::unique_ptr<KeySource>
query(std::unique_ptr<FakeCursor> cursor, std::string_view key = "k:{id}")
{
  auto bound = bind_key(parse_template(key), cursor->names);
  REQUIRE(bound.has_value());
  return make_query_source(std::move(cursor), std::move(*bound));
}

// next(), which must succeed: whether more rows may follow.
bool
more(KeySource& source, std::size_t max, std::vector<Row>& rows, std::vector<Failure>& failures)
{
  const Result<bool> next = source.next(max, rows, failures);
  REQUIRE(next.has_value());
  return *next;
}

// Answers from a script: a parameter "none" is no row, "null" a NULL, "err" an error, anything
// else the value "v=<params joined by ,>". Records the batches it ran.
struct FakeStatement final : LookupStatement {
  std::vector<std::size_t>* batches = nullptr;
  bool lose = false;

  Result<void> run(std::span<const std::vector<std::string>> calls,
                   std::span<LookupAnswer> answers) override
  {
    if (lose) {
      return cachewarm::core::fail(Errc::source, "connection lost");
    }
    batches->push_back(calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const std::string& first = calls[i].front();
      if (first == "none") {
        answers[i] = {LookupAnswer::Kind::no_row, {}};
      } else if (first == "null") {
        answers[i] = {LookupAnswer::Kind::null, {}};
      } else if (first == "err") {
        answers[i] = {LookupAnswer::Kind::error, "permission denied"};
      } else {
        std::string joined;
        for (const std::string& param : calls[i]) {
          joined += joined.empty() ? param : "," + param;
        }
        answers[i] = {LookupAnswer::Kind::value, "v=" + joined};
      }
    }
    return {};
  }
};

Row
row(std::string key, std::optional<std::string> field)
{
  return Row{std::move(key), {std::move(field)}};
}

} // namespace

TEST_SUITE("sources::sql")
{
  TEST_CASE("a query renders each row's key over its columns, in batches")
  {
    auto cursor = std::make_unique<FakeCursor>();
    cursor->rows = {{"1", "a"}, {"2", "b"}, {"3", "c"}};
    auto source = query(std::move(cursor), "k:{id}:{name}");
    CHECK(source->fields() == Strings{"id", "name"});
    std::vector<Row> rows;
    std::vector<Failure> failures;
    REQUIRE(more(*source, 2, rows, failures) == true);
    REQUIRE(more(*source, 2, rows, failures) == false);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].key == "k:1:a");
    CHECK(rows[2].key == "k:3:c");
    CHECK(rows[2].fields == Fields{"3", "c"});
    CHECK(failures.empty());
    CHECK(more(*source, 2, rows, failures) == false); // and stays exhausted
  }

  TEST_CASE("a NULL key column is a null_key failure naming the row and counting toward max")
  {
    auto cursor = std::make_unique<FakeCursor>();
    cursor->rows = {{"1", "a"}, {std::nullopt, "b"}, {"3", "c"}};
    auto source = query(std::move(cursor));
    std::vector<Row> rows;
    std::vector<Failure> failures;
    REQUIRE(more(*source, 2, rows, failures) == true);
    CHECK(rows.size() == 1);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].key == "row 2");
    CHECK(failures[0].kind == "null_key");
    CHECK(failures[0].message == "a key column is NULL");
  }

  TEST_CASE("a key filter drops rows reading only their key columns, outside of max")
  {
    auto cursor = std::make_unique<FakeCursor>();
    cursor->names = {"name", "id"};
    cursor->rows = {{"a", "1"}, {"b", "2"}, {"c", std::nullopt}, {"d", "4"}, {"e", "5"}};
    FakeCursor& fake = *cursor;
    auto source = query(std::move(cursor), "k:{id}");
    REQUIRE(source->filter_keys(
        [](std::string_view key) { return key == "k:2" || key == "k:5" || key == "row 3"; }));
    std::vector<Row> rows;
    std::vector<Failure> failures;
    // Two kept rows fill a batch of two: row 2 and row 3's null_key (row 1 is dropped).
    REQUIRE(more(*source, 2, rows, failures) == true);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].key == "k:2");
    CHECK(rows[0].fields == Fields{"b", "2"});
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].key == "row 3");
    CHECK(source->dropped() == 1);
    // Column 0 (name) was read for row 2 only, after its key (column 1) was kept.
    CHECK(fake.columns_read == std::vector<std::size_t>{1, 1, 0, 1});
    REQUIRE(more(*source, 2, rows, failures) == false);
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].key == "k:5");
    CHECK(rows[1].fields == Fields{"e", "5"});
    CHECK(source->dropped() == 2);
  }

  TEST_CASE("a cursor that knows its end ends the stream with the last partial batch")
  {
    auto cursor = std::make_unique<FakeCursor>();
    cursor->rows = {{"1", "a"}, {"2", "b"}};
    cursor->knows_end = true;
    FakeCursor& fake = *cursor;
    auto source = query(std::move(cursor));
    std::vector<Row> rows;
    std::vector<Failure> failures;
    CHECK(more(*source, 2, rows, failures) == false);
    CHECK(rows.size() == 2);
    CHECK(more(*source, 2, rows, failures) == false);
    CHECK(fake.calls_after_end == 0); // never read again
  }

  TEST_CASE("a cursor error fails next() once and the source is spent")
  {
    auto cursor = std::make_unique<FakeCursor>();
    cursor->rows = {{"1", "a"}, {"2", "b"}};
    cursor->fail_at = 1;
    auto source = query(std::move(cursor));
    std::vector<Row> rows;
    std::vector<Failure> failures;
    const Result<bool> first = source->next(5, rows, failures);
    REQUIRE_FALSE(first.has_value());
    CHECK(first.error().code == Errc::source);
    CHECK(first.error().message == "boom");
    CHECK(more(*source, 5, rows, failures) == false);
  }

  TEST_CASE("count() is the cursor's")
  {
    auto cursor = std::make_unique<FakeCursor>();
    cursor->rows = {{"1", "a"}};
    auto source = query(std::move(cursor));
    const Result<std::optional<std::uint64_t>> count = source->count();
    REQUIRE(count.has_value());
    CHECK(*count == std::optional<std::uint64_t>(1));
  }

  TEST_CASE("a key template naming a missing column is a manifest error with context")
  {
    const Strings columns{"id", "name"};
    CHECK(error_message(bind_key(parse_template("k:{sku}"), columns), Errc::manifest)
          == "key template \"k:{sku}\": unknown variable {sku} (available: id, name)");
  }

  TEST_CASE("a lookup maps every answer to an entry or a failure, in row order, one batch")
  {
    std::vector<std::size_t> batches;
    auto statement = std::make_unique<FakeStatement>();
    statement->batches = &batches;
    const std::vector<Template> params{parse_template("{f}"), parse_template("{key}")};
    const Strings fields{"f"};
    auto resolver = make_lookup_resolver(std::move(statement), params, 2, fields);
    REQUIRE(resolver.has_value());
    std::vector<Row> rows{row("a", "x"),
                          row("b", std::nullopt),
                          row("c", "none"),
                          row("d", "null"),
                          row("e", "err"),
                          row("f", "y")};
    std::vector<Entry> entries;
    std::vector<Failure> failures;
    REQUIRE((*resolver)->resolve(rows, entries, failures).has_value());
    CHECK(batches == std::vector<std::size_t>{5}); // the row with a NULL parameter is not run
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].key == "a");
    CHECK(std::get<std::string>(entries[0].value) == "v=x,a");
    CHECK(entries[1].key == "f");
    CHECK(std::get<std::string>(entries[1].value) == "v=y,f");
    REQUIRE(failures.size() == 4);
    CHECK(failures[0].key == "b");
    CHECK(failures[0].kind == "not_found");
    CHECK(failures[0].message == "a lookup parameter is NULL");
    CHECK(failures[1].message == "the lookup returned no row");
    CHECK(failures[2].message == "the lookup returned NULL");
    CHECK(failures[3].key == "e");
    CHECK(failures[3].kind == "source_error");
    CHECK(failures[3].message == "permission denied");
  }

  TEST_CASE("a batch whose every parameter is NULL runs nothing")
  {
    std::vector<std::size_t> batches;
    auto statement = std::make_unique<FakeStatement>();
    statement->batches = &batches;
    const std::vector<Template> params{parse_template("{f}")};
    const Strings fields{"f"};
    auto resolver = make_lookup_resolver(std::move(statement), params, 1, fields);
    REQUIRE(resolver.has_value());
    std::vector<Row> rows{row("a", std::nullopt)};
    std::vector<Entry> entries;
    std::vector<Failure> failures;
    REQUIRE((*resolver)->resolve(rows, entries, failures).has_value());
    CHECK(batches.empty());
    CHECK(failures.size() == 1);
  }

  TEST_CASE("a statement failing as a whole fails resolve()")
  {
    auto statement = std::make_unique<FakeStatement>();
    statement->lose = true;
    const std::vector<Template> params{parse_template("{key}")};
    const Strings fields;
    auto resolver = make_lookup_resolver(std::move(statement), params, 1, fields);
    REQUIRE(resolver.has_value());
    std::vector<Row> rows{row("a", "x")};
    std::vector<Entry> entries;
    std::vector<Failure> failures;
    const auto resolved = (*resolver)->resolve(rows, entries, failures);
    REQUIRE_FALSE(resolved.has_value());
    CHECK(resolved.error().message == "connection lost");
  }

  TEST_CASE("a lookup whose placeholders differ from params is a manifest error")
  {
    const std::vector<Template> params{parse_template("{key}")};
    const Strings fields;
    CHECK(error_message(make_lookup_resolver(std::make_unique<FakeStatement>(), params, 2, fields),
                        Errc::manifest)
          == "sql has 2 parameter(s) but params lists 1");
  }
}
