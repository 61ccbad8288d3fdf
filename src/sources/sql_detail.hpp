#pragma once

// Private to src/sources: what the SQL drivers (sqlite.cpp, postgres.cpp) implement, and the one
// query KeySource and one lookup ValueResolver written over it (sql.cpp). Key rendering, the
// `null_key` failure, lookup parameter rendering and the lookup tail (`not_found`,
// `source_error`, the entry) exist only in sql.cpp; a driver only moves rows and values.

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/sources/source.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cachewarm::sources::detail {

// An open query result, read one row at a time. Owns whatever the driver holds for it
// (connection, statement, cursor, transaction).
class RowCursor {
public:
  virtual ~RowCursor() = default;

  // The result's column names, in order (the rows' field names).
  virtual const std::vector<std::string>& columns() const = 0;

  // Moves to the next row. Returns false when no row is left (the driver has then ended what it
  // held, e.g. the transaction). Errors: Errc::source when the query fails mid-stream; the
  // cursor is then spent.
  virtual core::Result<bool> advance() = 0;

  // Column `column` (< columns().size()) of the row advance() moved to: NULL as nullopt,
  // binary-safe. Only the columns asked for are converted and copied.
  virtual std::optional<std::string> column(std::size_t column) const = 0;

  // True when the cursor knows, without another round trip, that no row is left (and has ended
  // what it held, as next_row would); false when it cannot tell yet. Lets a source say
  // "exhausted" with its last partial batch. Errors: Errc::source.
  virtual core::Result<bool> at_end() { return false; }

  // Counts the rows the query produces without consuming any (KeySource::count()).
  // Errors: Errc::source.
  virtual core::Result<std::optional<std::uint64_t>> count() = 0;
};

// `key` bound to the query's `columns`. Errors (Errc::manifest): the template names a column the
// query does not return, as "key template \"<text>\": unknown variable {x} (available: ...)".
core::Result<core::BoundTemplate> bind_key(const core::Template& key,
                                           std::span<const std::string> columns);

// The KeySource of a query: one row per cursor row, its key `key` (bound to the cursor's
// columns) rendered over the row's fields; a row whose key uses a NULL column is a failure
// `null_key` ("row N", 1-based over every row read). Takes ownership of `cursor`.
std::unique_ptr<KeySource> make_query_source(std::unique_ptr<RowCursor> cursor,
                                             core::BoundTemplate key);

// What one lookup found.
struct LookupAnswer {
  enum class Kind {
    value,  // `text` is the first column of the first row
    no_row, // the statement returned no row
    null,   // the first column of the first row is NULL
    error,  // the database refused this one lookup; `text` is its message
  };
  Kind kind = Kind::no_row;
  std::string text;
};

// A prepared per-key lookup statement of one driver. Owns its connection and statement.
class LookupStatement {
public:
  virtual ~LookupStatement() = default;

  // Runs the statement once per element of `calls` (the parameter values of one key each, in
  // placeholder order) and sets `answers[i]` for `calls[i]`; `answers.size() == calls.size()`.
  // Errors: Errc::source when the database fails as a whole (e.g. the connection is lost); the
  // answers are then unspecified.
  virtual core::Result<void> run(std::span<const std::vector<std::string>> calls,
                                 std::span<LookupAnswer> answers) = 0;
};

// The ValueResolver of a per-key SQL lookup: `params` (templates over the rows' `fields` +
// `{key}`, one per of the statement's `placeholders`) rendered for each row and run through
// `statement` in one batch per resolve(). Entries and failures come in row order: a parameter
// over a NULL field, no row or a NULL value are `not_found`, a per-key database error is
// `source_error`. Takes ownership of `statement`.
// Errors (Errc::manifest): as bind_sql_params (count mismatch, unknown template variable).
core::Result<std::unique_ptr<ValueResolver>>
make_lookup_resolver(std::unique_ptr<LookupStatement> statement,
                     std::span<const core::Template> params,
                     std::size_t placeholders,
                     std::span<const std::string> fields);

} // namespace cachewarm::sources::detail
