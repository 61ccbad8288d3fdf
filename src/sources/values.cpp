#include "cachewarm/sources/values.hpp"

#include "values_detail.hpp"

#include <algorithm>
#include <utility>

namespace cachewarm::sources {

namespace {

core::Failure
not_found(const core::Row& row, std::string message)
{
  return core::Failure{row.key, "not_found", std::move(message)};
}

class ColumnValue final : public ValueResolver {
public:
  ColumnValue(std::size_t index, std::string column)
      : m_index(index)
      , m_column(std::move(column))
  {}

  core::Result<void> resolve(std::span<core::Row> rows,
                             std::vector<core::Entry>& entries,
                             std::vector<core::Failure>& failures) override
  {
    for (core::Row& row : rows) {
      std::optional<std::string>& value = row.fields[m_index];
      if (!value) {
        failures.push_back(not_found(row, "column " + m_column + " is NULL"));
        continue;
      }
      // The rows are spent after resolve: their key and value move into the entry.
      entries.push_back(core::Entry{std::move(row.key), std::move(*value), {}, false});
    }
    return {};
  }

private:
  std::size_t m_index;
  std::string m_column;
};

class HashValue final : public ValueResolver {
public:
  HashValue(std::vector<std::size_t> indices, std::vector<std::string> columns)
      : m_indices(std::move(indices))
      , m_columns(std::move(columns))
  {}

  core::Result<void> resolve(std::span<core::Row> rows,
                             std::vector<core::Entry>& entries,
                             std::vector<core::Failure>& failures) override
  {
    for (const core::Row& row : rows) {
      core::HashValue hash;
      for (std::size_t i = 0; i < m_indices.size(); ++i) {
        if (const std::optional<std::string>& value = row.fields[m_indices[i]]) {
          hash.fields.emplace_back(m_columns[i], *value);
        }
      }
      if (hash.fields.empty()) {
        failures.push_back(not_found(row, "every hash column is NULL"));
        continue;
      }
      entries.push_back(core::Entry{std::move(row.key), std::move(hash), {}, false});
    }
    return {};
  }

private:
  std::vector<std::size_t> m_indices;
  std::vector<std::string> m_columns;
};

class TextValue final : public ValueResolver {
public:
  explicit TextValue(core::BoundTemplate text)
      : m_text(std::move(text))
  {}

  core::Result<void> resolve(std::span<core::Row> rows,
                             std::vector<core::Entry>& entries,
                             std::vector<core::Failure>& failures) override
  {
    for (const core::Row& row : rows) {
      // Template names are the row's fields followed by "key".
      m_scratch.assign(row.fields.begin(), row.fields.end());
      m_scratch.emplace_back(row.key);
      std::optional<std::string> value = m_text.render(m_scratch);
      if (!value) {
        failures.push_back(not_found(row, "a template variable is NULL"));
        continue;
      }
      entries.push_back(core::Entry{row.key, std::move(*value), {}, false});
    }
    return {};
  }

private:
  core::BoundTemplate m_text;
  std::vector<std::optional<std::string>> m_scratch;
};

} // namespace

std::vector<std::string>
template_names(std::span<const std::string> fields)
{
  std::vector<std::string> names(fields.begin(), fields.end());
  names.emplace_back("key");
  return names;
}

core::Result<std::vector<core::BoundTemplate>>
bind_sql_params(std::span<const core::Template> params,
                std::size_t placeholders,
                std::span<const std::string> fields)
{
  if (placeholders != params.size()) {
    return core::fail(core::Errc::manifest,
                      "sql has " + std::to_string(placeholders) + " parameter(s) but params lists "
                          + std::to_string(params.size()));
  }
  const std::vector<std::string> names = template_names(fields);
  std::vector<core::BoundTemplate> bound;
  for (const core::Template& param : params) {
    core::Result<core::BoundTemplate> one = param.bind(names);
    if (!one) {
      return tl::unexpected(core::with_context(one.error(), "param \"" + param.text() + "\""));
    }
    bound.push_back(std::move(*one));
  }
  return bound;
}

core::Result<std::unique_ptr<ValueResolver>>
make_column_value(std::string_view column, std::span<const std::string> fields)
{
  CW_TRY_ASSIGN(const std::size_t index, detail::column_index(column, fields));
  return std::make_unique<ColumnValue>(index, std::string(column));
}

core::Result<std::unique_ptr<ValueResolver>>
make_hash_value(std::span<const std::string> columns, std::span<const std::string> fields)
{
  std::vector<std::size_t> indices;
  for (const std::string& column : columns) {
    CW_TRY_ASSIGN(const std::size_t index, detail::column_index(column, fields));
    indices.push_back(index);
  }
  return std::make_unique<HashValue>(std::move(indices),
                                     std::vector<std::string>(columns.begin(), columns.end()));
}

core::Result<std::unique_ptr<ValueResolver>>
make_text_value(const core::Template& text, std::span<const std::string> fields)
{
  const std::vector<std::string> names = template_names(fields);
  CW_TRY_ASSIGN(core::BoundTemplate bound, text.bind(names));
  return std::make_unique<TextValue>(std::move(bound));
}

namespace detail {

core::Result<std::size_t>
column_index(std::string_view column, std::span<const std::string> fields)
{
  const auto found = std::find(fields.begin(), fields.end(), column);
  if (found == fields.end()) {
    std::string available;
    for (const std::string& field : fields) {
      available += available.empty() ? field : ", " + field;
    }
    return core::fail(core::Errc::manifest,
                      "column \"" + std::string(column) + "\" is not in the query's columns ("
                          + available + ")");
  }
  return static_cast<std::size_t>(found - fields.begin());
}

} // namespace detail

} // namespace cachewarm::sources
