#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/sources/source.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cachewarm::sources {

// The value resolvers that need no other source: they read the rows themselves, own nothing
// but their settings, and only read `fields` (the key source's field names) during the call.

// Value = the row's field `column` (NULL: failure `not_found`), moved out of the row.
// Errors (Errc::manifest): `column "x" is not in the query's columns (a, b)`.
core::Result<std::unique_ptr<ValueResolver>> make_column_value(std::string_view column,
                                                               std::span<const std::string> fields);

// Value = a hash with one field per column, named after it; NULL columns are left out, and a row
// with every column NULL is `not_found`. Errors as make_column_value.
core::Result<std::unique_ptr<ValueResolver>> make_hash_value(std::span<const std::string> columns,
                                                             std::span<const std::string> fields);

// Value = `text` rendered over the row's fields and `{key}` (a NULL field: `not_found`).
// Errors (Errc::manifest): unknown template variable.
core::Result<std::unique_ptr<ValueResolver>> make_text_value(const core::Template& text,
                                                             std::span<const std::string> fields);

// The kind of collection a grouped value builds.
enum class Collection { set, zset, list };

// Value = a collection built from the run of consecutive rows sharing a key (the query must
// ORDER BY the key's columns): set and list take `member`, zset takes `member` and `score`.
// A row whose member is NULL adds nothing; a key left with no member is `not_found`; a zset score
// that is not a number fails the key as `invalid_score`. A key's run may span several resolve()
// calls; the last key is emitted by finish(). Entries come in the order of the keys' first rows.
// Rows not grouped by key: a key whose rows come back after another key's (A, B, A) is not
// emitted again, since its first run was already emitted (or failed) and a second entry would
// replace it: the returning rows are dropped and the key fails once, as `rows_not_grouped` with
// Failure::key exactly the emitted key (for the caller to remove what the first run wrote) and
// a message naming the key and asking for ORDER BY the key column(s); later runs of that key
// are dropped silently. To know them, the resolver keeps a 64-bit hash of every key it has
// begun (never the keys): 10-15 bytes per collection key for the life of the resolver (a
// million keys: 10-15 MiB), and two keys sharing a hash (about n^2 / 2^64 over n keys) make the
// later one fail as `rows_not_grouped` too.
// The resolver owns no handle; `fields` is only read during the call.
// Errors (Errc::manifest): a column is not in the query's columns.
core::Result<std::unique_ptr<ValueResolver>>
make_grouped_value(Collection collection,
                   std::string_view member,
                   std::string_view score,
                   std::span<const std::string> fields);

// The names value templates may use for rows of a source with `fields`: the fields then "key".
std::vector<std::string> template_names(std::span<const std::string> fields);

// Binds an SQL lookup's `params` to the template names of rows with `fields`, after checking
// they are as many as the statement's `placeholders`. Errors (Errc::manifest): "sql has N
// parameter(s) but params lists M", or a param naming an unknown variable.
core::Result<std::vector<core::BoundTemplate>>
bind_sql_params(std::span<const core::Template> params,
                std::size_t placeholders,
                std::span<const std::string> fields);

} // namespace cachewarm::sources
