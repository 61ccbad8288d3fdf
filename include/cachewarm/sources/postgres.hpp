#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/sources/postgres_conninfo.hpp"
#include "cachewarm/sources/source.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::sources {

// Rows of `sql` run on the PostgreSQL server named by `conninfo` (a libpq URI or key=value
// conninfo; passwords may also come from PGPASSWORD or ~/.pgpass), streamed through a
// server-side cursor (`fetch_size` rows per round trip) inside a read-only transaction, so a
// 5M-row result is never held in memory. Column values are text (bytea decoded to raw bytes,
// json/jsonb as their text, NULL as nullopt). The statement is described when opening, so column
// names (and key template errors) are known before any row is read.
// A NULL key column is a `null_key` failure "row N"; count() counts in the same snapshot.
// The source owns its connection (one per source, closed when destroyed); the arguments are
// only read during the call. `fetch_size` 0 is taken as 1.
// Errors: Errc::manifest when `conninfo` does not parse ("postgres \"<redacted>\": invalid
// connection string: ..."), the SQL does not prepare ("sql: ..."), takes parameters, or the key
// template names a column the query does not return; Errc::source when the server cannot be
// reached or authentication fails (the message names host and port, never the password).
// Later, next() and count() fail with Errc::source when the server does.
core::Result<std::unique_ptr<KeySource>> open_postgres_query(const std::string& conninfo,
                                                             const std::string& sql,
                                                             const core::Template& key,
                                                             std::size_t fetch_size = 1000);

// A per-key lookup: `sql` with $1..$N bound from `params` (templates over `fields` + `{key}`; never
// spliced into SQL), prepared once and sent for a whole batch of keys in libpq pipeline mode (one
// round trip per batch, not per key), the batch in one read-only transaction. The value is the
// first column of the first row (no row, NULL, or a parameter over a NULL field: `not_found`; an
// error for one key: `source_error`). The resolver owns its connection; the arguments are only
// read during the call.
// Errors as open_postgres_query, plus Errc::manifest when the parameter count differs. Later,
// resolve() fails with Errc::source ("postgres host:port: lookup failed: ...") when the
// connection is lost.
core::Result<std::unique_ptr<ValueResolver>>
open_postgres_lookup(const std::string& conninfo,
                     const std::string& sql,
                     std::span<const core::Template> params,
                     std::span<const std::string> fields);

} // namespace cachewarm::sources
