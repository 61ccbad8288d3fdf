#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/sources/source.hpp"

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cachewarm::sources {

// Rows of `sql` run on the SQLite database at `path` (opened read-only; a missing file is not
// created), one key per row rendered through `key` over the result's column names. The statement
// is prepared here, so SQL errors and unknown template variables surface before anything runs;
// rows are streamed on next() (columns as bytes: BLOBs raw, numbers in SQLite's text form, NULL
// as nullopt; a NULL key column is a `null_key` failure "row N"). count() runs `count_sql(sql)`.
// The source owns its connection and statement; the arguments are only read during the call.
// Errors: Errc::source (cannot open the database: "sqlite <path>: <reason>"), Errc::manifest
// (SQL does not prepare: "sql: <reason>"; an empty statement; the key template names a column
// the query does not return: "key template \"<text>\": unknown variable ..."). Later, next()
// and count() fail with Errc::source ("sqlite query failed: ...", "counting rows: ...").
core::Result<std::unique_ptr<KeySource>>
open_sqlite_query(const std::string& path, const std::string& sql, const core::Template& key);

// A per-key lookup: `sql` with one `?` per entry of `params` (templates over `fields` + `{key}`,
// always bound, never spliced into SQL); the value is the first column of the first row
// (no row, NULL, or a parameter over a NULL field: `not_found`; an SQLite error for one key:
// `source_error`). Each resolve() runs its batch in one read transaction and holds no lock
// between batches. The resolver owns its read-only connection and statement; the arguments are
// only read during the call.
// Errors: Errc::source (cannot open), Errc::manifest (bad SQL, "sql has N parameter(s) but
// params lists M", unknown template variable).
core::Result<std::unique_ptr<ValueResolver>>
open_sqlite_lookup(const std::string& path,
                   const std::string& sql,
                   std::span<const core::Template> params,
                   std::span<const std::string> fields);

} // namespace cachewarm::sources
