#pragma once

// Private to the value resolvers of src/sources (values.cpp, grouped.cpp).

#include "cachewarm/core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::sources::detail {

// The index of `column` in `fields`. Errors (Errc::manifest):
// `column "x" is not in the query's columns (a, b)`.
core::Result<std::size_t> column_index(std::string_view column,
                                       std::span<const std::string> fields);

// A set of keys kept as 64-bit hashes, never as the keys themselves, so a grouped resolver can
// remember every key it has emitted whatever their length. Each key takes one 8-byte slot of an
// open-addressing table (linear probing) that is kept at most 4/5 full and grows by half when it
// would be fuller: 10-15 bytes per key (a million keys: 10-15 MiB; while growing, the old and the
// new table are held together for a moment). A slot holds 63 bits of the key's hash plus a
// "reported" flag, so two distinct keys look the same with probability about n^2 / 2^64 over n
// keys (5e-8 for a million): the later one is then taken for one already seen.
class SeenKeys {
public:
  // Records `key`; true if it was not recorded before (as far as its hash tells).
  bool insert(std::string_view key);

  // Marks `key` as reported, recording it if needed; true the first time it is marked.
  bool mark_reported(std::string_view key);

  // The number of keys recorded.
  std::size_t size() const { return m_size; }

  // The number of 8-byte slots allocated (memory is 8 * capacity() bytes).
  std::size_t capacity() const { return m_slots.size(); }

private:
  // The slot holding `tag`, or the empty slot where it would go.
  std::uint64_t& slot(std::uint64_t tag);
  void grow();

  std::vector<std::uint64_t> m_slots; // 0 = empty; else the tag, bit 0 = reported
  std::size_t m_size = 0;
};

} // namespace cachewarm::sources::detail
