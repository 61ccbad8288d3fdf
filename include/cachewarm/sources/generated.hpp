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

// A source of literal keys, in order. Rows have no fields.
std::unique_ptr<KeySource> make_literal_keys(std::vector<std::string> keys);

// One variable of a pattern: `size` values, the i-th produced by `value_at(i, out)` (which
// assigns to `out`).
struct Dimension {
  std::string name;
  std::uint64_t size = 0;
  std::function<void(std::uint64_t, std::string&)> value_at;
};

// The cartesian product of `dimensions` (the last one varies fastest), each combination
// rendered through `pattern` into a key; rows carry the variables as fields, in dimension order.
// Generated lazily: memory does not depend on the product's size.
// Errors (Errc::manifest): the pattern uses a variable that is not a dimension.
core::Result<std::unique_ptr<KeySource>> make_pattern_keys(const core::Template& pattern,
                                                           std::vector<Dimension> dimensions);

} // namespace cachewarm::sources
