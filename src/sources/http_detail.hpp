#pragma once

// Pure helpers of the HTTP source (src/sources/http.cpp), split out so the unit tests can reach
// them: Retry-After parsing, the retry decision, URL joining and value extraction from JSON.

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/types.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cachewarm::sources::detail {

// The longest Retry-After we honour; a server asking for more gets retried after this long.
inline constexpr std::chrono::milliseconds k_max_retry_after{60000};

// The delay a Retry-After header value asks for: delta-seconds ("120") or an HTTP-date
// (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" or
// asctime "Sun Nov  6 08:49:37 1994"), relative to `now`. A date in the past gives zero; the
// result is capped at k_max_retry_after. nullopt when `value` is neither form.
std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// What to do with one finished attempt.
struct Verdict {
  bool ok = false;        // a 2xx response: extract the value
  bool retryable = false; // worth another attempt (connection error, timeout, 429, 5xx)
  std::string kind;       // the failure kind when !ok: not_found, http_status, http_timeout,
                          // http_error or too_large
};

// Classifies an attempt from curl's result `code`, the response `status` (0 if none) and whether
// the body was cut off for exceeding max_body (`too_large`).
Verdict classify(CURLcode code, long status, bool too_large);

// `base` + `path`, with one slash where `base` ends and `path` starts with one.
std::string join_url(std::string_view base, std::string_view path);

// `path` without its query string or fragment, for messages (queries may carry API keys).
std::string_view path_for_message(std::string_view path);

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
