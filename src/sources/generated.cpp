#include "cachewarm/sources/generated.hpp"

#include <limits>
#include <utility>

namespace cachewarm::sources {

namespace {

class LiteralKeys final : public KeySource {
public:
  explicit LiteralKeys(std::vector<std::string> keys)
      : m_keys(std::move(keys))
  {}

  const std::vector<std::string>& fields() const override { return m_fields; }

  core::Result<bool> next(std::size_t max,
                          std::vector<core::Row>& rows,
                          std::vector<core::Failure>& /*failures*/) override
  {
    for (std::size_t n = 0; n < max && m_next < m_keys.size(); ++n, ++m_next) {
      rows.push_back(core::Row{m_keys[m_next], {}});
    }
    return m_next < m_keys.size();
  }

  std::optional<std::uint64_t> size_hint() const override { return m_keys.size(); }

private:
  std::vector<std::string> m_keys;
  std::vector<std::string> m_fields;
  std::size_t m_next = 0;
};

class ValueKeys final : public KeySource {
public:
  ValueKeys(std::vector<std::string> values,
            std::string field,
            std::optional<core::BoundTemplate> key)
      : m_values(std::move(values))
      , m_fields{std::move(field)}
      , m_key(std::move(key))
  {}

  const std::vector<std::string>& fields() const override { return m_fields; }

  core::Result<bool> next(std::size_t max,
                          std::vector<core::Row>& rows,
                          std::vector<core::Failure>& /*failures*/) override
  {
    for (std::size_t n = 0; n < max && m_next < m_values.size(); ++n, ++m_next) {
      core::Row row{{}, {m_values[m_next]}};
      if (m_key) {
        m_key->render_to(row.key, row.fields); // the one field is never NULL
      } else {
        row.key = m_values[m_next];
      }
      rows.push_back(std::move(row));
    }
    return m_next < m_values.size();
  }

  std::optional<std::uint64_t> size_hint() const override { return m_values.size(); }

private:
  std::vector<std::string> m_values;
  std::vector<std::string> m_fields;
  std::optional<core::BoundTemplate> m_key;
  std::size_t m_next = 0;
};

class PatternKeys final : public KeySource {
public:
  PatternKeys(core::BoundTemplate pattern, std::vector<Dimension> dimensions, std::uint64_t total)
      : m_pattern(std::move(pattern))
      , m_dimensions(std::move(dimensions))
      , m_total(total)
      , m_odometer(m_dimensions.size(), 0)
      , m_values(m_dimensions.size())
  {
    for (const Dimension& dimension : m_dimensions) {
      m_fields.push_back(dimension.name);
    }
    for (std::size_t i = 0; i < m_dimensions.size() && m_total > 0; ++i) {
      m_values[i].emplace();
      m_dimensions[i].value_at(0, *m_values[i]);
    }
  }

  const std::vector<std::string>& fields() const override { return m_fields; }

  core::Result<bool> next(std::size_t max,
                          std::vector<core::Row>& rows,
                          std::vector<core::Failure>& /*failures*/) override
  {
    for (std::size_t n = 0; n < max && m_produced < m_total; ++n) {
      core::Row row;
      m_pattern.render_to(row.key, m_values);
      row.fields = m_values;
      rows.push_back(std::move(row));
      ++m_produced;
      advance();
    }
    return m_produced < m_total;
  }

  std::optional<std::uint64_t> size_hint() const override { return m_total; }

private:
  // Steps the odometer: the last dimension varies fastest. Only changed values are recomputed.
  void advance()
  {
    for (std::size_t i = m_dimensions.size(); i-- > 0;) {
      if (++m_odometer[i] < m_dimensions[i].size) {
        m_dimensions[i].value_at(m_odometer[i], *m_values[i]);
        return;
      }
      m_odometer[i] = 0;
      m_dimensions[i].value_at(0, *m_values[i]);
    }
  }

  core::BoundTemplate m_pattern;
  std::vector<Dimension> m_dimensions;
  std::vector<std::string> m_fields;
  std::uint64_t m_total;
  std::uint64_t m_produced = 0;
  std::vector<std::uint64_t> m_odometer;
  std::vector<std::optional<std::string>> m_values;
};

} // namespace

std::unique_ptr<KeySource>
make_literal_keys(std::vector<std::string> keys)
{
  return std::make_unique<LiteralKeys>(std::move(keys));
}

core::Result<std::unique_ptr<KeySource>>
make_pattern_keys(const core::Template& pattern, std::vector<Dimension> dimensions)
{
  std::vector<std::string> names;
  std::uint64_t total = 1;
  for (const Dimension& dimension : dimensions) {
    names.push_back(dimension.name);
    if (dimension.size != 0 && total > std::numeric_limits<std::uint64_t>::max() / dimension.size) {
      return core::fail(core::Errc::manifest, "pattern expands to more than 2^64 keys");
    }
    total *= dimension.size;
  }
  CW_TRY_ASSIGN(core::BoundTemplate bound, pattern.bind(names));
  return std::make_unique<PatternKeys>(std::move(bound), std::move(dimensions), total);
}

core::Result<std::unique_ptr<KeySource>>
make_value_keys(std::vector<std::string> values,
                std::string field,
                const std::optional<core::Template>& key)
{
  std::optional<core::BoundTemplate> bound;
  if (key) {
    core::Result<core::BoundTemplate> result = key->bind(std::span(&field, 1));
    if (!result) {
      return tl::unexpected(
          core::with_context(result.error(), "key template \"" + key->text() + "\""));
    }
    bound = std::move(*result);
  }
  return std::make_unique<ValueKeys>(std::move(values), std::move(field), std::move(bound));
}

} // namespace cachewarm::sources
