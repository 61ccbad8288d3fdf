#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/sources/source.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cachewarm::sources {

// A source of literal keys, in order, taking ownership of `keys`. Rows have no fields; size_hint()
// is the number of keys. Never fails.
std::unique_ptr<KeySource> make_literal_keys(std::vector<std::string> keys);

// Keys from a list of `values` (such as keys predicted from access logs), in order: each row
// has the one field `field` holding its value, and its key is `key` rendered over that field,
// or the value itself without a template. Errors: Errc::manifest when `key` names a variable
// other than `field` (`key template "<text>": unknown variable {x} (available: field)`).
core::Result<std::unique_ptr<KeySource>> make_value_keys(std::vector<std::string> values,
                                                         std::string field,
                                                         const std::optional<core::Template>& key);

// One variable of a pattern: `size` values, the i-th produced by `value_at(i, out)` (which
// assigns to `out`). Built from the manifest's `with:` (a range or a list).
struct Dimension {
  std::string name;       // the variable, as the pattern names it: {name}
  std::uint64_t size = 0; // how many values; 0 makes the whole product empty
  std::function<void(std::uint64_t, std::string&)> value_at; // i in [0, size)
};

// The cartesian product of `dimensions` (the last one varies fastest), each combination
// rendered through `pattern` into a key; rows carry the variables as fields, in dimension order.
// Generated lazily: memory does not depend on the product's size. size_hint() is the product's
// size. The source owns `dimensions` (and what their value_at captures).
// Errors (Errc::manifest): the pattern uses a variable that is not a dimension ("unknown
// variable {x} (available: ...)"); "pattern expands to more than 2^64 keys".
core::Result<std::unique_ptr<KeySource>> make_pattern_keys(const core::Template& pattern,
                                                           std::vector<Dimension> dimensions);

} // namespace cachewarm::sources
