#pragma once

// Private to the HTTP parts of src/sources: the value of a response body (http_extract.cpp), for
// the HTTP lookup (http_lookup.cpp).

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/types.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace cachewarm::sources::detail {

// Parses a manifest json_pointer: nullopt for "" (the value is the raw body).
// Error (Errc::manifest): `invalid json_pointer "x": <why>`.
core::Result<std::optional<nlohmann::json::json_pointer>>
parse_json_pointer(const std::string& text);

// A value extracted from a response body, or why not (`kind` and `message` of a Failure).
struct Extracted {
  std::optional<core::Value> value;
  std::string kind;
  std::string message;
};

// The value for `body`: the body itself when there is neither a `pointer` nor `hash_from_json`;
// else the body parsed as JSON, narrowed to `*pointer` when given (absent: not_found), and
// stored as text (a string raw, anything else compact JSON) or, with `hash_from_json`, as a hash
// (an object's string members raw, others compact JSON; not an object: invalid_json).
// A body that is not JSON is invalid_json.
Extracted
extract_value(std::string body, const nlohmann::json::json_pointer* pointer, bool hash_from_json);

} // namespace cachewarm::sources::detail
