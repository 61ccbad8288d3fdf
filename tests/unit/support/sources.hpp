#pragma once

// Helpers for the unit tests of key sources and value resolvers (tests/unit/test_sources_*.cpp):
// templates from text, draining a KeySource, resolving rows, and the keys and texts of results.

#include "cachewarm/core/template.hpp"
#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/source.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::test {

using Strings = std::vector<std::string>;
using Fields = std::vector<std::optional<std::string>>; // a Row's fields

// `text` parsed as a template; fails the test case if it does not parse.
core::Template parse_template(std::string_view text);

// The keys of `items` (rows or entries: anything with a `key`), in order.
template <class T> Strings keys_of(const std::vector<T>& items);

// Everything a KeySource gave until it said it was exhausted, and how many next() calls it took.
struct Drained {
  std::vector<core::Row> rows;
  std::vector<core::Failure> failures;
  std::size_t calls = 0;
};

// Pulls every row from `source` with next(`batch`). Fails the test case if a call fails, gives
// more than `batch` items (rows plus failures), or the source does not end within 100,000 calls.
Drained drain(sources::KeySource& source, std::size_t batch = 100);

// The rows of drain(`source`, `batch`), checking that there was no failure.
std::vector<core::Row> drain_rows(sources::KeySource& source, std::size_t batch = 100);

// What one ValueResolver::resolve() call appended.
struct Resolved {
  std::vector<core::Entry> entries;
  std::vector<core::Failure> failures;
};

// Resolves `rows` in one call; fails the test case if the call fails.
Resolved resolve(sources::ValueResolver& resolver, std::vector<core::Row> rows);

// The text of a string entry; fails the test case if the value is not a string.
const std::string& text_of(const core::Entry& entry);

// --- Inline implementations ---

template <class T>
Strings
keys_of(const std::vector<T>& items)
{
  Strings keys;
  keys.reserve(items.size());
  for (const T& item : items) {
    keys.push_back(item.key);
  }
  return keys;
}

} // namespace cachewarm::test
