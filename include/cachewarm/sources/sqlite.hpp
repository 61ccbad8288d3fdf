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

// Rows of `sql` run on the SQLite database at `path` (opened read-only), one key per row rendered
// through `key` over the result's column names. The statement is prepared here, so SQL errors
// and unknown template variables surface before anything runs; rows are streamed on next().
// Errors: Errc::source (cannot open the database), Errc::manifest (SQL does not prepare, or the
// key template names a column the query does not return).
core::Result<std::unique_ptr<KeySource>>
open_sqlite_query(const std::string& path, const std::string& sql, const core::Template& key);

// A per-key lookup: `sql` with one `?` per entry of `params` (templates over `fields` + `{key}`,
// always bound, never spliced into SQL); the value is the first column of the first row
// (no row or NULL: `not_found`; an SQLite error for one key: `source_error`).
// Errors: Errc::source (cannot open), Errc::manifest (bad SQL, parameter count mismatch,
// unknown template variable).
core::Result<std::unique_ptr<ValueResolver>>
open_sqlite_lookup(const std::string& path,
                   const std::string& sql,
                   std::span<const core::Template> params,
                   std::span<const std::string> fields);

} // namespace cachewarm::sources
