#include "key_lists_detail.hpp"

#include <utility>

namespace cachewarm::sources::detail {

namespace {

// Rows (or bad rows) of a document parsed up front.
class BufferedKeys final : public KeySource {
public:
  BufferedKeys(std::vector<std::string> fields, KeyItems items)
      : m_fields(std::move(fields))
      , m_items(std::move(items))
  {}

  const std::vector<std::string>& fields() const override { return m_fields; }

  core::Result<bool>
  next(std::size_t max, std::vector<core::Row>& rows, std::vector<core::Failure>& failures) override
  {
    for (std::size_t n = 0; n < max && m_next < m_items.size(); ++n, ++m_next) {
      auto& item = m_items[m_next];
      if (core::Row* row = std::get_if<core::Row>(&item)) {
        rows.push_back(std::move(*row));
      } else {
        failures.push_back(std::move(std::get<core::Failure>(item)));
      }
    }
    return m_next < m_items.size();
  }

  std::optional<std::uint64_t> size_hint() const override { return m_items.size(); }

private:
  std::vector<std::string> m_fields;
  KeyItems m_items;
  std::size_t m_next = 0;
};

} // namespace

std::string
in_quotes(std::string_view text)
{
  return "\"" + std::string(text) + "\"";
}

KeyMaker::KeyMaker(std::optional<core::BoundTemplate> key, std::size_t field)
    : m_key(std::move(key))
    , m_field(field)
{}

std::string
KeyMaker::make(core::Row& row) const
{
  row.key.clear();
  if (m_key) {
    if (!m_key->render_to(row.key, row.fields)) {
      return "a field of the key template is missing";
    }
  } else if (row.fields[m_field]) {
    row.key = *row.fields[m_field];
  } else {
    return "the key field is missing";
  }
  if (row.key.empty()) {
    return "empty key";
  }
  return {};
}

core::Result<KeyMaker>
make_key_maker(const KeyListOptions& options,
               const std::vector<std::string>& names,
               std::size_t field)
{
  if (!options.key) {
    return KeyMaker(std::nullopt, field);
  }
  core::Result<core::BoundTemplate> bound = options.key->bind(names);
  if (!bound) {
    return tl::unexpected(
        core::with_context(bound.error(), "key template \"" + options.key->text() + "\""));
  }
  return KeyMaker(std::move(*bound), field);
}

core::Failure
bad_row(std::string_view unit, std::uint64_t number, const std::string& reason)
{
  // The row has no key: its position stands in (the report shows "line 3: <reason>").
  return core::Failure{std::string(unit) + " " + std::to_string(number), "bad_key_row", reason};
}

void
add_item(KeyItems& items,
         const KeyMaker& key,
         core::Row row,
         std::string_view unit,
         std::uint64_t number)
{
  const std::string error = key.make(row);
  if (error.empty()) {
    items.emplace_back(std::move(row));
  } else {
    items.emplace_back(bad_row(unit, number, error));
  }
}

std::unique_ptr<KeySource>
make_buffered_keys(std::vector<std::string> fields, KeyItems items)
{
  return std::make_unique<BufferedKeys>(std::move(fields), std::move(items));
}

} // namespace cachewarm::sources::detail
