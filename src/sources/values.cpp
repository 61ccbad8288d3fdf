#include "cachewarm/sources/values.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace cachewarm::sources {

namespace {

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

// Merges runs of rows with the same key into one collection value.
class GroupedValue final : public ValueResolver {
public:
  GroupedValue(Collection collection, std::size_t member, std::optional<std::size_t> score)
      : m_collection(collection)
      , m_member(member)
      , m_score(score)
  {}

  core::Result<void> resolve(std::span<core::Row> rows,
                             std::vector<core::Entry>& entries,
                             std::vector<core::Failure>& failures) override
  {
    for (const core::Row& row : rows) {
      if (!m_open || row.key != m_key) {
        emit(entries, failures);
        start(row.key);
      }
      add(row);
    }
    return {};
  }

  core::Result<void> finish(std::vector<core::Entry>& entries,
                            std::vector<core::Failure>& failures) override
  {
    emit(entries, failures);
    return {};
  }

private:
  void start(const std::string& key)
  {
    m_open = true;
    m_key = key;
    m_count = 0;
    m_error.clear();
    switch (m_collection) {
    case Collection::set:
      m_value = core::SetValue{};
      break;
    case Collection::zset:
      m_value = core::ZSetValue{};
      break;
    case Collection::list:
      m_value = core::ListValue{};
      break;
    }
  }

  void add(const core::Row& row)
  {
    const std::optional<std::string>& member = row.fields[m_member];
    if (!member || !m_error.empty()) {
      return;
    }
    ++m_count;
    if (auto* set = std::get_if<core::SetValue>(&m_value)) {
      set->members.push_back(*member);
    } else if (auto* list = std::get_if<core::ListValue>(&m_value)) {
      list->items.push_back(*member);
    } else {
      const std::optional<std::string>& score = row.fields[*m_score];
      if (!score || !is_number(*score)) {
        m_error = "score " + (score ? "\"" + *score + "\"" : std::string("NULL")) + " of member \""
                  + *member + "\" is not a number";
        return;
      }
      std::get<core::ZSetValue>(m_value).entries.emplace_back(*score, *member);
    }
  }

  void emit(std::vector<core::Entry>& entries, std::vector<core::Failure>& failures)
  {
    if (!m_open) {
      return;
    }
    m_open = false;
    if (!m_error.empty()) {
      failures.push_back(core::Failure{m_key, "invalid_score", m_error});
    } else if (m_count == 0) {
      failures.push_back(core::Failure{m_key, "not_found", "every member is NULL"});
    } else {
      entries.push_back(core::Entry{m_key, std::move(m_value), {}, false});
    }
  }

  // Accepts what Redis reads as a score: a finite decimal or inf/-inf/+inf.
  static bool is_number(const std::string& text)
  {
    if (text == "inf" || text == "+inf" || text == "-inf") {
      return true;
    }
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    return !text.empty() && end == text.c_str() + text.size() && std::isfinite(value);
  }

  Collection m_collection;
  std::size_t m_member;
  std::optional<std::size_t> m_score;
  bool m_open = false;
  std::string m_key;
  core::Value m_value;
  std::uint64_t m_count = 0;
  std::string m_error;
};

} // namespace

core::Result<std::unique_ptr<ValueResolver>>
make_grouped_value(Collection collection,
                   std::string_view member,
                   std::string_view score,
                   std::span<const std::string> fields)
{
  CW_TRY_ASSIGN(const std::size_t member_index, column_index(member, fields));
  std::optional<std::size_t> score_index;
  if (collection == Collection::zset) {
    CW_TRY_ASSIGN(const std::size_t index, column_index(score, fields));
    score_index = index;
  }
  return std::make_unique<GroupedValue>(collection, member_index, score_index);
}

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
  CW_TRY_ASSIGN(const std::size_t index, column_index(column, fields));
  return std::make_unique<ColumnValue>(index, std::string(column));
}

core::Result<std::unique_ptr<ValueResolver>>
make_hash_value(std::span<const std::string> columns, std::span<const std::string> fields)
{
  std::vector<std::size_t> indices;
  for (const std::string& column : columns) {
    CW_TRY_ASSIGN(const std::size_t index, column_index(column, fields));
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

} // namespace cachewarm::sources
