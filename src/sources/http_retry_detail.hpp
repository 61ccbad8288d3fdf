#pragma once

// Private to the HTTP parts of src/sources: when an attempt has failed and whether to try again
// (http_retry.cpp), used by the curl client (http_client.cpp).

#include <curl/curl.h>

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

} // namespace cachewarm::sources::detail
