#include "cachewarm/sources/values.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

using cachewarm::core::Entry;
using cachewarm::core::Failure;
using cachewarm::core::ListValue;
using cachewarm::core::Row;
using cachewarm::core::SetValue;
using cachewarm::core::ZSetValue;
using cachewarm::sources::Collection;
using cachewarm::sources::make_grouped_value;
using cachewarm::sources::ValueResolver;

namespace {

using Strings = std::vector<std::string>;
using Field = std::optional<std::string>;

const Strings k_fields{"board", "member", "score"};

Row
row(std::string key, Field member, Field score = "1")
{
  return Row{std::move(key), {Field{"b"}, std::move(member), std::move(score)}};
}

std::unique_ptr<ValueResolver>
grouped(Collection collection)
{
  auto resolver = make_grouped_value(collection, "member", "score", k_fields);
  REQUIRE(resolver.has_value());
  return std::move(*resolver);
}

struct Out {
  std::vector<Entry> entries;
  std::vector<Failure> failures;
};

// Resolves `batches` one resolve() call each, then finish().
Out
run(ValueResolver& resolver, std::vector<std::vector<Row>> batches)
{
  Out out;
  for (std::vector<Row>& batch : batches) {
    REQUIRE(resolver.resolve(batch, out.entries, out.failures).has_value());
  }
  REQUIRE(resolver.finish(out.entries, out.failures).has_value());
  return out;
}

} // namespace

TEST_SUITE("sources::grouped")
{
  TEST_CASE("consecutive rows with one key become one set")
  {
    auto resolver = grouped(Collection::set);
    const Out out = run(*resolver, {{row("a", "x"), row("a", "y"), row("b", "z")}});
    REQUIRE(out.entries.size() == 2);
    CHECK(out.entries[0].key == "a");
    CHECK(std::get<SetValue>(out.entries[0].value).members == Strings{"x", "y"});
    CHECK(out.entries[1].key == "b");
    CHECK(std::get<SetValue>(out.entries[1].value).members == Strings{"z"});
    CHECK(out.failures.empty());
  }

  TEST_CASE("a key spanning two batches is emitted once, whole")
  {
    auto resolver = grouped(Collection::list);
    Out out;
    std::vector<Row> first{row("a", "1"), row("a", "2")};
    REQUIRE(resolver->resolve(first, out.entries, out.failures).has_value());
    CHECK(out.entries.empty()); // "a" may continue in the next batch
    std::vector<Row> second{row("a", "3"), row("b", "4")};
    REQUIRE(resolver->resolve(second, out.entries, out.failures).has_value());
    REQUIRE(out.entries.size() == 1);
    CHECK(std::get<ListValue>(out.entries[0].value).items == Strings{"1", "2", "3"});
    REQUIRE(resolver->finish(out.entries, out.failures).has_value());
    REQUIRE(out.entries.size() == 2);
    CHECK(out.entries[1].key == "b");
  }

  TEST_CASE("a zset keeps score and member pairs in row order")
  {
    auto resolver = grouped(Collection::zset);
    const Out out = run(*resolver, {{row("top", "ada", "10"), row("top", "bob", "-2.5e3")}});
    REQUIRE(out.entries.size() == 1);
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    CHECK(std::get<ZSetValue>(out.entries[0].value).entries
          == Pairs{{"10", "ada"}, {"-2.5e3", "bob"}});
  }

  TEST_CASE("a zset score that is not a number fails the whole key as invalid_score")
  {
    auto resolver = grouped(Collection::zset);
    const Out out = run(
        *resolver, {{row("top", "ada", "10"), row("top", "bob", "lots"), row("next", "c", "inf")}});
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "top");
    CHECK(out.failures[0].kind == "invalid_score");
    CHECK(out.failures[0].message == "score \"lots\" of member \"bob\" is not a number");
    REQUIRE(out.entries.size() == 1);
    CHECK(out.entries[0].key == "next");
  }

  TEST_CASE("NULL members add nothing and a key with only NULL members is not_found")
  {
    auto resolver = grouped(Collection::set);
    const Out out =
        run(*resolver, {{row("a", std::nullopt), row("a", "x"), row("b", std::nullopt)}});
    REQUIRE(out.entries.size() == 1);
    CHECK(std::get<SetValue>(out.entries[0].value).members == Strings{"x"});
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "b");
    CHECK(out.failures[0].kind == "not_found");
  }

  TEST_CASE("a missing member or score column is a manifest error naming the columns")
  {
    auto missing = make_grouped_value(Collection::zset, "member", "points", k_fields);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().message
          == "column \"points\" is not in the query's columns (board, member, score)");
  }

  TEST_CASE("no rows give no entries")
  {
    auto resolver = grouped(Collection::list);
    const Out out = run(*resolver, {{}});
    CHECK(out.entries.empty());
    CHECK(out.failures.empty());
  }
}
