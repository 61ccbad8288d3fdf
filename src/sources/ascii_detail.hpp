#pragma once

// Private to src/sources: ASCII text comparisons that ignore case, for protocol words that are
// case-insensitive (HTTP header names in http_client.cpp, libpq URI schemes and conninfo keywords
// in postgres_conninfo.cpp). Only A-Z and a-z fold (as in the "C" locale); other bytes, UTF-8
// included, must match exactly.

#include <string_view>

namespace cachewarm::sources::detail {

// True if `text` begins with `prefix`, ignoring ASCII case ("Retry-After: 5" starts with
// "retry-after:"). An empty `prefix` is a prefix of anything.
bool starts_with_no_case(std::string_view text, std::string_view prefix);

// True if `a` and `b` are the same text, ignoring ASCII case.
bool equals_no_case(std::string_view a, std::string_view b);

} // namespace cachewarm::sources::detail
