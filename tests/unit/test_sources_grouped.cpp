#include "../../src/sources/values_detail.hpp"
#include "support/results.hpp"
#include "support/sources.hpp"

#include "cachewarm/sources/values.hpp"

#include <doctest/doctest.h>

#include <cstddef>
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
using cachewarm::sources::detail::SeenKeys;
using namespace cachewarm::test;

namespace {

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
  return require_ok(make_grouped_value(collection, "member", "score", k_fields));
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

// The message of the rows_not_grouped failure of `key`.
std::string
not_grouped(const std::string& key)
{
  return "the rows of key \"" + key
         + "\" are not contiguous (they come back after other keys' rows): ORDER BY the key "
           "column(s) in the query";
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

  TEST_CASE("contiguous keys over several batches give no rows_not_grouped failure")
  {
    auto resolver = grouped(Collection::set);
    const Out out = run(*resolver,
                        {{row("a", "1"), row("a", "2"), row("b", "3")},
                         {row("b", "4"), row("c", "5")},
                         {row("c", "6"), row("d", "7")}});
    CHECK(keys_of(out.entries) == Strings{"a", "b", "c", "d"});
    CHECK(std::get<SetValue>(out.entries[1].value).members == Strings{"3", "4"});
    CHECK(out.failures.empty());
  }

  TEST_CASE("a key coming back after another is emitted once, with its first run, and fails once")
  {
    auto resolver = grouped(Collection::set);
    const Out out = run(*resolver, {{row("a", "1"), row("a", "2"), row("b", "3"), row("a", "4")}});
    CHECK(keys_of(out.entries) == Strings{"a", "b"});
    CHECK(std::get<SetValue>(out.entries[0].value).members == Strings{"1", "2"});
    CHECK(std::get<SetValue>(out.entries[1].value).members == Strings{"3"});
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "a");
    CHECK(out.failures[0].kind == "rows_not_grouped");
    CHECK(out.failures[0].message == not_grouped("a"));
  }

  TEST_CASE("keys alternating several times fail once each, in the order they come back")
  {
    auto resolver = grouped(Collection::list);
    const Out out = run(
        *resolver, {{row("a", "1"), row("b", "2"), row("a", "3"), row("b", "4"), row("a", "5")}});
    CHECK(keys_of(out.entries) == Strings{"a", "b"});
    CHECK(std::get<ListValue>(out.entries[0].value).items == Strings{"1"});
    CHECK(std::get<ListValue>(out.entries[1].value).items == Strings{"2"});
    REQUIRE(out.failures.size() == 2);
    CHECK(out.failures[0].key == "a");
    CHECK(out.failures[0].kind == "rows_not_grouped");
    CHECK(out.failures[1].key == "b");
    CHECK(out.failures[1].kind == "rows_not_grouped");
    CHECK(out.failures[1].message == not_grouped("b"));
  }

  TEST_CASE("a returning key leaves the order of the other entries unchanged")
  {
    auto resolver = grouped(Collection::set);
    const Out out = run(*resolver,
                        {{row("a", "1"), row("b", "2"), row("a", "3")},
                         {row("a", "4"), row("c", "5"), row("d", "6")}});
    CHECK(keys_of(out.entries) == Strings{"a", "b", "c", "d"});
    CHECK(std::get<SetValue>(out.entries[2].value).members == Strings{"5"});
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].key == "a");
  }

  TEST_CASE("the returning run of a key is dropped across batch boundaries, up to finish")
  {
    auto resolver = grouped(Collection::list);
    const Out out =
        run(*resolver, {{row("a", "1"), row("b", "2")}, {row("a", "3")}, {row("a", "4")}});
    CHECK(keys_of(out.entries) == Strings{"a", "b"});
    CHECK(std::get<ListValue>(out.entries[0].value).items == Strings{"1"});
    REQUIRE(out.failures.size() == 1);
    CHECK(out.failures[0].kind == "rows_not_grouped");
  }

  TEST_CASE("a key whose first run failed fails again as rows_not_grouped when it comes back")
  {
    auto resolver = grouped(Collection::zset);
    const Out out =
        run(*resolver, {{row("top", "ada", "x"), row("next", "bob", "1"), row("top", "cy", "2")}});
    CHECK(keys_of(out.entries) == Strings{"next"});
    REQUIRE(out.failures.size() == 2);
    CHECK(out.failures[0].kind == "invalid_score");
    CHECK(out.failures[1].key == "top");
    CHECK(out.failures[1].kind == "rows_not_grouped");
  }

  TEST_CASE("SeenKeys tells new keys from seen ones and reports each key once")
  {
    SeenKeys seen;
    CHECK(seen.insert("a"));
    CHECK(seen.insert("b"));
    CHECK_FALSE(seen.insert("a"));
    CHECK(seen.mark_reported("a"));
    CHECK_FALSE(seen.mark_reported("a"));
    CHECK_FALSE(seen.insert("a")); // still seen once reported
    CHECK(seen.mark_reported("c"));
    CHECK_FALSE(seen.insert("c"));
    CHECK(seen.size() == 3);
  }

  TEST_CASE("SeenKeys keeps every key through growth at 10 to 15 bytes a key")
  {
    SeenKeys seen;
    constexpr std::size_t k_keys = 200000;
    // Counted rather than checked one by one: 200,000 keys would be 600,000 assertions.
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < k_keys; ++i) {
      wrong += seen.insert("user:" + std::to_string(i)) ? 0 : 1;
      if (i % 1000 == 0) {
        wrong += seen.mark_reported("user:" + std::to_string(i)) ? 0 : 1;
      }
    }
    CHECK(wrong == 0);
    CHECK(seen.size() == k_keys);
    for (std::size_t i = 0; i < k_keys; ++i) {
      wrong += seen.insert("user:" + std::to_string(i)) ? 1 : 0;
      wrong += seen.mark_reported("user:" + std::to_string(i)) == (i % 1000 != 0) ? 0 : 1;
    }
    CHECK(wrong == 0);
    CHECK(seen.size() == k_keys);
    const double bytes_per_key =
        static_cast<double>(seen.capacity() * 8) / static_cast<double>(seen.size());
    CHECK(bytes_per_key >= 10.0);
    CHECK(bytes_per_key <= 15.0);
  }
}
