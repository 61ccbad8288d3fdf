#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cachewarm::core {

// A Redis hash: field/value pairs in the order they were produced.
struct HashValue {
  std::vector<std::pair<std::string, std::string>> fields;
};

// The shape of a value to warm. Strings are binary-safe. More shapes (set, zset, list) join the
// variant later; sinks must handle every alternative.
using Value = std::variant<std::string, HashValue>;

// One key ready to be written to a sink.
struct Entry {
  std::string key;
  Value value;
  std::chrono::milliseconds ttl{0}; // 0 = no expiry
  bool only_missing = false;        // never overwrite an existing key
};

// A key that could not be warmed, counted and reported by `kind` (snake_case, e.g. "not_found").
struct Failure {
  std::string key;
  std::string kind;
  std::string message;
};

// A row produced by a key source: its rendered key plus the named fields that value templates
// and value shapes can use (pattern variables or query columns; NULL columns are nullopt).
struct Row {
  std::string key;
  std::vector<std::optional<std::string>> fields;
};

// Bytes a value occupies (sum of field names and values for a hash).
std::uint64_t value_size(const Value& value);

} // namespace cachewarm::core
