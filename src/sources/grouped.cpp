#include "values_detail.hpp"

#include "cachewarm/core/hash.hpp"
#include "cachewarm/sources/values.hpp"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>

namespace cachewarm::sources {

namespace detail {

namespace {

// The key's hash as stored in a slot: bit 0 is left for the "reported" flag, and 0 means empty.
std::uint64_t
tag_of(std::string_view key)
{
  const std::uint64_t tag = core::key_hash(key) & ~std::uint64_t{1};
  return tag == 0 ? 2 : tag;
}

constexpr std::uint64_t k_reported = 1;
constexpr std::size_t k_first_capacity = 16;

} // namespace

bool
SeenKeys::insert(std::string_view key)
{
  const std::uint64_t tag = tag_of(key);
  if (!m_slots.empty() && slot(tag) != 0) {
    return false;
  }
  // At most 4/5 full, so a probe always ends at an empty slot and stays short.
  if ((m_size + 1) * 5 > m_slots.size() * 4) {
    grow();
  }
  slot(tag) = tag;
  ++m_size;
  return true;
}

bool
SeenKeys::mark_reported(std::string_view key)
{
  insert(key);
  std::uint64_t& found = slot(tag_of(key));
  if ((found & k_reported) != 0) {
    return false;
  }
  found |= k_reported;
  return true;
}

std::uint64_t&
SeenKeys::slot(std::uint64_t tag)
{
  // Bit 0 of a tag is always 0: index by the bits above it.
  std::size_t index = static_cast<std::size_t>((tag >> 1) % m_slots.size());
  while (m_slots[index] != 0 && (m_slots[index] & ~k_reported) != tag) {
    index = index + 1 == m_slots.size() ? 0 : index + 1;
  }
  return m_slots[index];
}

void
SeenKeys::grow()
{
  std::vector<std::uint64_t> old = std::move(m_slots);
  // By half, not doubling: keeps the table between 8/15 and 4/5 full (10-15 bytes per key).
  m_slots.assign(old.empty() ? k_first_capacity : old.size() + old.size() / 2, 0);
  for (const std::uint64_t stored : old) {
    if (stored != 0) {
      slot(stored & ~k_reported) = stored;
    }
  }
}

} // namespace detail

namespace {

// Merges runs of rows with the same key into one collection value. A key whose rows come back
// after another key's is not emitted again: its later runs are dropped and it fails once as
// `rows_not_grouped` (see make_grouped_value).
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
      if (m_state == State::idle || row.key != m_key) {
        emit(entries, failures);
        begin(row.key, failures);
      }
      if (m_state == State::collecting) {
        add(row);
      }
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
  enum class State {
    idle,       // no run open (before the first row, after finish)
    collecting, // the run of a key seen for the first time: its members are gathered
    skipping,   // a later run of a key already emitted: its rows are dropped
  };

  // Opens the run of rows of `key`.
  void begin(const std::string& key, std::vector<core::Failure>& failures)
  {
    m_key = key;
    if (!m_seen.insert(key)) {
      m_state = State::skipping;
      // One failure per key, however many times it comes back. The key is exactly as emitted,
      // so the caller can remove what its first run wrote.
      if (m_seen.mark_reported(key)) {
        failures.push_back(core::Failure{key,
                                         "rows_not_grouped",
                                         "the rows of key \"" + key
                                             + "\" are not contiguous (they come back after other "
                                               "keys' rows): ORDER BY the key column(s) in the "
                                               "query"});
      }
      return;
    }
    m_state = State::collecting;
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

  // Closes the open run: a collected key becomes an entry (or a failure); a skipped one nothing.
  void emit(std::vector<core::Entry>& entries, std::vector<core::Failure>& failures)
  {
    const State state = m_state;
    m_state = State::idle;
    if (state != State::collecting) {
      return;
    }
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
  State m_state = State::idle;
  std::string m_key;
  core::Value m_value;
  std::uint64_t m_count = 0;
  std::string m_error;
  detail::SeenKeys m_seen; // every key whose first run was opened, emitted or failed
};

} // namespace

core::Result<std::unique_ptr<ValueResolver>>
make_grouped_value(Collection collection,
                   std::string_view member,
                   std::string_view score,
                   std::span<const std::string> fields)
{
  CW_TRY_ASSIGN(const std::size_t member_index, detail::column_index(member, fields));
  std::optional<std::size_t> score_index;
  if (collection == Collection::zset) {
    CW_TRY_ASSIGN(const std::size_t index, detail::column_index(score, fields));
    score_index = index;
  }
  return std::make_unique<GroupedValue>(collection, member_index, score_index);
}

} // namespace cachewarm::sources
