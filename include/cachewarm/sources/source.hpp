#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/types.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::sources {

// `SELECT count(*) FROM (<sql>) AS cw_count`, with trailing semicolons and blanks of `sql` cut
// and a newline after it (so a trailing `-- comment` cannot swallow the parenthesis). Pure text;
// never fails (an `sql` the database rejects fails when the count runs).
std::string count_sql(std::string_view sql);

// A stream of rows (keys plus named fields) for one group, pulled in batches so memory stays
// bounded whatever the number of keys. Implementations: literal lists, patterns, SQL queries,
// key files and documents. A source owns what it reads from (file, connection, statement,
// cursor) and releases it when destroyed; it is used by one thread at a time.
class KeySource {
public:
  virtual ~KeySource() = default;

  // Names of the fields every row carries (pattern variables or query columns), in order.
  virtual const std::vector<std::string>& fields() const = 0;

  // Appends up to `max` rows to `rows`; a row whose key cannot be formed (a NULL column in the
  // key template) goes to `failures` instead (kind `null_key`) and counts toward `max`.
  // Returns false once the source is exhausted (possibly after appending a last partial batch);
  // later calls append nothing and return false. The appended rows are the caller's.
  // Errors: Errc::source when the underlying query or read fails mid-stream (read no further).
  virtual core::Result<bool>
  next(std::size_t max, std::vector<core::Row>& rows, std::vector<core::Failure>& failures) = 0;

  // Asks the source to drop, as it reads them, the rows whose key `keep` rejects, where it can
  // do that more cheaply than its caller (an SQL source converts only a dropped row's key
  // columns). Dropped rows do not count toward next()'s `max` (a batch still holds up to `max`
  // kept rows) and are counted by dropped(). A row whose key cannot be formed is kept or
  // dropped by its failure's label ("row N"). Returns false when the source does not filter:
  // the caller filters what next() returns. Set before the first next() that should filter.
  virtual bool filter_keys(std::function<bool(std::string_view key)> keep)
  {
    (void)keep;
    return false;
  }

  // The rows filter_keys() made the source drop so far.
  virtual std::uint64_t dropped() const { return 0; }

  // The total number of rows when known in advance (for progress), else nullopt.
  virtual std::optional<std::uint64_t> size_hint() const { return std::nullopt; }

  // Counts the rows the source will produce without consuming any, for the memory pre-flight;
  // may cost a query (SQL sources run `SELECT count(*)` over theirs, in the same snapshot where
  // the database has one). nullopt when it cannot know. Errors: Errc::source.
  virtual core::Result<std::optional<std::uint64_t>> count() { return size_hint(); }
};

// Turns rows into entries by resolving each key's value (from the row itself, a template, or a
// lookup in another source). Batched so lookups can be batched too. A resolver owns its
// connections and handles (released when destroyed) and is used by one thread at a time.
class ValueResolver {
public:
  virtual ~ValueResolver() = default;

  // For every row in `rows`, appends either an Entry (key + value; TTL and write mode are the
  // caller's) to `entries` or a Failure (e.g. kind `not_found`) to `failures`. The rows are
  // spent afterwards: a resolver may move their keys and fields into the entries.
  // Errors: Errc::source when the source as a whole fails (per-key problems are failures).
  virtual core::Result<void> resolve(std::span<core::Row> rows,
                                     std::vector<core::Entry>& entries,
                                     std::vector<core::Failure>& failures) = 0;

  // Called once after the last resolve(), when the key source is exhausted: a resolver that
  // merges consecutive rows into one value (sets, lists) emits its last entry here; the others
  // append nothing. Errors: Errc::source, as resolve().
  virtual core::Result<void> finish(std::vector<core::Entry>& /*entries*/,
                                    std::vector<core::Failure>& /*failures*/)
  {
    return {};
  }
};

} // namespace cachewarm::sources
