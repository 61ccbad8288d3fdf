#include "key_table.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace cachewarm::predict::detail {

namespace {

// The decayed weights are kept relative to a landmark time; past this exponent they are moved
// to a later landmark before they could overflow a double.
constexpr double k_max_exponent = 500;

} // namespace

int
hour_of_day(double time)
{
  constexpr double k_day = 86400;
  const double in_day = time - std::floor(time / k_day) * k_day;
  return std::clamp(static_cast<int>(in_day / 3600), 0, 23);
}

std::optional<Numbered>
numbered(std::string_view key)
{
  const std::size_t last = key.find_last_of("0123456789");
  if (last == std::string_view::npos) {
    return std::nullopt;
  }
  std::size_t first = last;
  while (first > 0 && key[first - 1] >= '0' && key[first - 1] <= '9') {
    --first;
  }
  auto alphanumeric = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  if (last - first + 1 > 18 || (first > 0 && alphanumeric(key[first - 1]))
      || (last + 1 < key.size() && alphanumeric(key[last + 1]))) {
    return std::nullopt; // not a counter: too long, or part of a word (an id like "a8Qx")
  }
  return Numbered{key.substr(0, first), key.substr(first, last - first + 1), key.substr(last + 1)};
}

// `numbered` with its number plus `step`, as wide as before (leading zeros kept).
std::string
successor(const Numbered& numbered, std::uint64_t step)
{
  std::uint64_t value = 0;
  for (const char digit : numbered.digits) {
    value = value * 10 + static_cast<std::uint64_t>(digit - '0');
  }
  std::string digits = std::to_string(value + step);
  if (numbered.digits.size() > 1 && numbered.digits[0] == '0'
      && digits.size() < numbered.digits.size()) {
    digits.insert(0, numbered.digits.size() - digits.size(), '0');
  }
  std::string out;
  out.reserve(numbered.prefix.size() + digits.size() + numbered.suffix.size());
  out.append(numbered.prefix).append(digits).append(numbered.suffix);
  return out;
}

KeyTable::KeyTable(std::size_t capacity, std::array<double, 3> half_lives_s)
    : m_capacity(std::max<std::size_t>(capacity, 16))
{
  for (std::size_t i = 0; i < m_rates.size(); ++i) {
    m_rates[i] = std::numbers::ln2 / half_lives_s[i];
  }
  m_keys.reserve(std::min<std::size_t>(m_capacity, 1 << 16));
}

std::size_t
KeyTable::slot_of(std::string_view key, std::uint64_t hash) const
{
  const std::size_t mask = m_slots.size() - 1;
  const auto high = static_cast<std::uint32_t>(hash >> 32);
  for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
    const Slot& slot = m_slots[at];
    if (slot.index_plus_one == 0
        || (slot.hash == high && m_keys[slot.index_plus_one - 1].key == key)) {
      return at;
    }
  }
}

void
KeyTable::index_key(std::uint32_t index, std::uint64_t hash)
{
  if (2 * (m_indexed + 1) > m_slots.size()) {
    std::vector<Slot> old = std::move(m_slots);
    m_slots.assign(std::max<std::size_t>(1024, 2 * old.size()), Slot{});
    m_indexed = 0;
    for (const Slot& slot : old) {
      if (slot.index_plus_one != 0) {
        const std::uint32_t i = slot.index_plus_one - 1;
        m_slots[slot_of(m_keys[i].key, TextHash{}(m_keys[i].key))] = slot;
        ++m_indexed;
      }
    }
  }
  m_slots[slot_of(m_keys[index].key, hash)] =
      Slot{static_cast<std::uint32_t>(hash >> 32), index + 1};
  ++m_indexed;
}

KeyStats*
KeyTable::find(std::string_view key)
{
  return find(key, TextHash{}(key));
}

KeyStats*
KeyTable::find(std::string_view key, std::uint64_t hash)
{
  if (m_slots.empty()) {
    return nullptr;
  }
  const Slot& slot = m_slots[slot_of(key, hash)];
  return slot.index_plus_one == 0 ? nullptr : &m_keys[slot.index_plus_one - 1];
}

void
KeyTable::rebase(double time)
{
  for (std::size_t i = 0; i < m_rates.size(); ++i) {
    const double scale = std::exp(-m_rates[i] * (time - m_landmark));
    for (KeyStats& stats : m_keys) {
      stats.decayed[i] *= scale;
    }
    m_decayed_total[i] *= scale;
  }
  m_landmark = time;
}

KeyStats&
KeyTable::add(std::string_view key, double time, std::int64_t window, bool& seen_before)
{
  if (!m_started) {
    m_started = true;
    m_landmark = time;
    m_last_time = time - 1;
  }
  if (time != m_last_time) {
    if (m_rates[0] * (time - m_landmark) > k_max_exponent) {
      rebase(time);
    }
    for (std::size_t i = 0; i < m_rates.size(); ++i) {
      m_last_weight[i] = std::exp(m_rates[i] * (time - m_landmark));
    }
    m_last_time = time;
  }
  const std::uint64_t hash = TextHash{}(key);
  KeyStats* stats = find(key, hash);
  seen_before =
      stats != nullptr && stats->count > (stats->window == window ? stats->window_count : 0);
  if (stats == nullptr) {
    if (m_keys.size() >= m_capacity) {
      evict_half();
    }
    stats = &m_keys.emplace_back();
    stats->key.assign(key);
    index_key(static_cast<std::uint32_t>(m_keys.size() - 1), hash);
  }
  stats->count += 1;
  for (std::size_t i = 0; i < m_rates.size(); ++i) {
    stats->decayed[i] += m_last_weight[i];
    m_decayed_total[i] += m_last_weight[i];
  }
  if (stats->window != window) {
    stats->window = window;
    stats->window_count = 0;
  }
  stats->window_count += 1;
  stats->last_time = std::max(stats->last_time, time);
  const int hour = hour_of_day(time);
  stats->hours[static_cast<std::size_t>(hour)] += 1;
  m_hours[static_cast<std::size_t>(hour)] += 1;
  m_total += 1;
  return *stats;
}

void
KeyTable::evict_half()
{
  // What a key is worth keeping for: its share of all requests or of the recent ones.
  auto worth = [&](const KeyStats& stats) {
    return std::max(stats.count / std::max(m_total, 1.0), decayed_share(stats, 1));
  };
  std::vector<std::pair<double, std::uint32_t>> ranked;
  ranked.reserve(m_keys.size());
  for (std::uint32_t i = 0; i < m_keys.size(); ++i) {
    ranked.emplace_back(worth(m_keys[i]), i);
  }
  const std::size_t keep = m_keys.size() / 2;
  std::nth_element(ranked.begin(),
                   ranked.begin() + static_cast<std::ptrdiff_t>(keep),
                   ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  // Compacted in place (no second table's worth of memory to fault in), in table order.
  std::vector<char> kept(m_keys.size(), 0);
  for (std::size_t r = 0; r < keep; ++r) {
    kept[ranked[r].second] = 1;
  }
  std::size_t out = 0;
  for (std::size_t i = 0; i < m_keys.size(); ++i) {
    if (kept[i] != 0) {
      if (out != i) {
        m_keys[out] = std::move(m_keys[i]);
      }
      ++out;
    }
  }
  m_evictions += m_keys.size() - keep;
  m_keys.resize(out);
  std::fill(m_slots.begin(), m_slots.end(), Slot{});
  m_indexed = 0;
  for (std::uint32_t i = 0; i < m_keys.size(); ++i) {
    index_key(i, TextHash{}(m_keys[i].key));
  }
}

ClientTable::ClientTable(std::size_t capacity)
    : m_capacity(std::max<std::size_t>(capacity, 16))
{}

ClientTable::Last&
ClientTable::last(std::string_view client)
{
  auto found = m_clients.find(client);
  if (found == m_clients.end()) {
    if (m_clients.size() >= m_capacity) {
      // Forget the least recent half.
      std::vector<double> times;
      times.reserve(m_clients.size());
      for (const auto& [name, last] : m_clients) {
        times.push_back(last.time);
      }
      const auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
      std::nth_element(times.begin(), middle, times.end());
      const double cut = *middle;
      std::erase_if(m_clients, [&](const auto& item) { return item.second.time < cut; });
      if (m_clients.size() >= m_capacity) {
        m_clients.clear(); // every client at the same instant
      }
    }
    found = m_clients.emplace(std::string(client), Last{}).first;
  }
  return found->second;
}

} // namespace cachewarm::predict::detail
