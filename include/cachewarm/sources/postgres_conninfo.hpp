#pragma once

#include <string>
#include <string_view>

namespace cachewarm::sources {

// PostgreSQL connection strings with their secrets hidden, for messages and logs. Pure text
// processing (no libpq): a conninfo is a libpq URI (`postgresql://` or `postgres://`, any case)
// or a `key=value ...` string (values bare or single-quoted, with backslash escapes).

// `conninfo` with every password replaced by `***`: the URI userinfo password (up to the first
// '@' before any '/', as libpq reads it), `password=` URI query parameters, `password` keywords,
// and the same inside a `dbname` that is itself a connection string (then re-quoted). Anything
// else, malformed parts included, is kept as it is. Never fails.
std::string redact_conninfo(std::string_view conninfo);

// `message` (e.g. libpq's complaint about `conninfo`) with every copy of `conninfo` replaced by
// redact_conninfo(`conninfo`); empty if a password of `conninfo` still appears in it (libpq may
// quote a bad token, which can be the password itself, on its own). Never fails.
std::string redact_conninfo_in(std::string message, std::string_view conninfo);

} // namespace cachewarm::sources
