#include "sql_detail.hpp"

#include "cachewarm/sources/values.hpp"

#include <cstddef>
#include <functional>
#include <numeric>
#include <utility>

namespace cachewarm::sources::detail {

namespace {

// --- Query source -----------------------------------------------------------------------------

class QuerySource final : public KeySource {
public:
  QuerySource(std::unique_ptr<RowCursor> cursor, core::BoundTemplate key)
      : m_cursor(std::move(cursor))
      , m_key(std::move(key))
      , m_first_columns(m_cursor->columns().size())
  {
    std::iota(m_first_columns.begin(), m_first_columns.end(), std::size_t{0});
  }

  const std::vector<std::string>& fields() const override { return m_cursor->columns(); }

  core::Result<std::optional<std::uint64_t>> count() override { return m_cursor->count(); }

  // A row is read in two steps: its key's columns, then, if the filter keeps the key, the rest.
  bool filter_keys(std::function<bool(std::string_view key)> keep) override
  {
    m_keep = std::move(keep);
    const std::span<const std::size_t> used = m_key.field_indices();
    std::vector<bool> in_key(m_first_columns.size(), false);
    for (const std::size_t index : used) {
      in_key[index] = true;
    }
    m_first_columns.clear();
    m_later_columns.clear();
    for (std::size_t c = 0; c < in_key.size(); ++c) {
      (in_key[c] ? m_first_columns : m_later_columns).push_back(c);
    }
    return true;
  }

  std::uint64_t dropped() const override { return m_dropped; }

  core::Result<bool>
  next(std::size_t max, std::vector<core::Row>& rows, std::vector<core::Failure>& failures) override
  {
    if (m_done) {
      return false;
    }
    const std::size_t columns = m_cursor->columns().size();
    for (std::size_t n = 0; n < max;) {
      CW_TRY_ASSIGN(const bool read, spent_on_error(m_cursor->advance()));
      if (!read) {
        m_done = true;
        return false;
      }
      ++m_row;
      // A dropped row leaves m_next as it was (no value column was read), so it costs no
      // allocation beyond its key columns.
      m_next.fields.resize(columns);
      for (const std::size_t c : m_first_columns) {
        m_next.fields[c] = m_cursor->column(c);
      }
      m_next.key.clear();
      if (!m_key.render_to(m_next.key, m_next.fields)) {
        core::Failure failure{"row " + std::to_string(m_row), "null_key", "a key column is NULL"};
        if (m_keep && !m_keep(failure.key)) {
          ++m_dropped;
          continue;
        }
        failures.push_back(std::move(failure));
      } else if (m_keep && !m_keep(m_next.key)) {
        ++m_dropped;
        continue;
      } else {
        for (const std::size_t c : m_later_columns) {
          m_next.fields[c] = m_cursor->column(c);
        }
        rows.push_back(std::move(m_next));
        m_next = core::Row{};
      }
      ++n;
    }
    CW_TRY_ASSIGN(const bool end, spent_on_error(m_cursor->at_end()));
    if (end) {
      m_done = true;
      return false;
    }
    return true;
  }

private:
  // A cursor that failed is never read again.
  core::Result<bool> spent_on_error(core::Result<bool> result)
  {
    if (!result) {
      m_done = true;
    }
    return result;
  }

  std::unique_ptr<RowCursor> m_cursor;
  core::BoundTemplate m_key;
  std::vector<std::size_t> m_first_columns; // read for every row: all, or the key's (filtered)
  std::vector<std::size_t> m_later_columns; // read for the rows the filter keeps
  std::function<bool(std::string_view)> m_keep;
  core::Row m_next;            // the row being read
  std::uint64_t m_row = 0;     // rows read
  std::uint64_t m_dropped = 0; // of them, dropped by m_keep
  bool m_done = false;
};

// --- Lookup resolver --------------------------------------------------------------------------

class LookupResolver final : public ValueResolver {
public:
  LookupResolver(std::unique_ptr<LookupStatement> statement,
                 std::vector<core::BoundTemplate> params)
      : m_statement(std::move(statement))
      , m_params(std::move(params))
  {}

  core::Result<void> resolve(std::span<core::Row> rows,
                             std::vector<core::Entry>& entries,
                             std::vector<core::Failure>& failures) override
  {
    // call_of[r]: the index in m_calls of row r's lookup, or k_no_call when a parameter is NULL.
    m_call_of.assign(rows.size(), k_no_call);
    std::size_t calls = 0;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (calls == m_calls.size()) {
        m_calls.emplace_back();
      }
      if (render_params(rows[r], m_calls[calls])) {
        m_call_of[r] = calls++;
      }
    }
    m_answers.assign(calls, LookupAnswer{});
    if (calls > 0) {
      CW_TRY(m_statement->run(std::span(m_calls).first(calls), m_answers));
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
      core::Row& row = rows[r];
      if (m_call_of[r] == k_no_call) {
        failures.push_back(core::Failure{row.key, "not_found", "a lookup parameter is NULL"});
        continue;
      }
      LookupAnswer& answer = m_answers[m_call_of[r]];
      switch (answer.kind) {
      case LookupAnswer::Kind::value:
        // The rows are spent after resolve: the key moves into the entry.
        entries.push_back(core::Entry{std::move(row.key), std::move(answer.text), {}, false});
        break;
      case LookupAnswer::Kind::no_row:
        failures.push_back(core::Failure{row.key, "not_found", "the lookup returned no row"});
        break;
      case LookupAnswer::Kind::null:
        failures.push_back(core::Failure{row.key, "not_found", "the lookup returned NULL"});
        break;
      case LookupAnswer::Kind::error:
        failures.push_back(core::Failure{row.key, "source_error", std::move(answer.text)});
        break;
      }
    }
    return {};
  }

private:
  static constexpr std::size_t k_no_call = static_cast<std::size_t>(-1);

  // Renders `row`'s parameters into `values` (reusing its strings); false if one uses a NULL
  // field. Template names are the row's fields followed by "key".
  bool render_params(const core::Row& row, std::vector<std::string>& values)
  {
    m_scratch.assign(row.fields.begin(), row.fields.end());
    m_scratch.emplace_back(row.key);
    values.resize(m_params.size());
    for (std::size_t i = 0; i < m_params.size(); ++i) {
      values[i].clear();
      if (!m_params[i].render_to(values[i], m_scratch)) {
        return false;
      }
    }
    return true;
  }

  std::unique_ptr<LookupStatement> m_statement;
  std::vector<core::BoundTemplate> m_params;
  // Per-batch scratch, kept so its strings' capacity is reused from batch to batch.
  std::vector<std::optional<std::string>> m_scratch;
  std::vector<std::vector<std::string>> m_calls;
  std::vector<std::size_t> m_call_of;
  std::vector<LookupAnswer> m_answers;
};

} // namespace

core::Result<core::BoundTemplate>
bind_key(const core::Template& key, std::span<const std::string> columns)
{
  core::Result<core::BoundTemplate> bound = key.bind(columns);
  if (!bound) {
    return tl::unexpected(core::with_context(bound.error(), "key template \"" + key.text() + "\""));
  }
  return bound;
}

std::unique_ptr<KeySource>
make_query_source(std::unique_ptr<RowCursor> cursor, core::BoundTemplate key)
{
  return std::make_unique<QuerySource>(std::move(cursor), std::move(key));
}

core::Result<std::unique_ptr<ValueResolver>>
make_lookup_resolver(std::unique_ptr<LookupStatement> statement,
                     std::span<const core::Template> params,
                     std::size_t placeholders,
                     std::span<const std::string> fields)
{
  CW_TRY_ASSIGN(std::vector<core::BoundTemplate> bound,
                bind_sql_params(params, placeholders, fields));
  return std::make_unique<LookupResolver>(std::move(statement), std::move(bound));
}

} // namespace cachewarm::sources::detail
