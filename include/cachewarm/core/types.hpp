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

// A Redis set: members in the order they were produced (duplicates collapse in Redis).
struct SetValue {
  std::vector<std::string> members;
};

// A Redis sorted set: (score, member) pairs; scores are decimal text as Redis reads them.
struct ZSetValue {
  std::vector<std::pair<std::string, std::string>> entries;
};

// A Redis list, in order (RPUSH).
struct ListValue {
  std::vector<std::string> items;
};

// A value of any type as Redis serialises it (DUMP), written back with RESTORE. Its entry's TTL
// is the key's own (set by whoever read the dump), not the group's.
struct DumpValue {
  std::string payload;
};

// The shape of a value to warm. Strings are binary-safe; sinks must handle every alternative.
using Value = std::variant<std::string, HashValue, SetValue, ZSetValue, ListValue, DumpValue>;

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
