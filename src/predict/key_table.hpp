#pragma once

// Private to src/predict: the model's memory of keys and clients, bounded whatever the number
// of distinct keys in a log (a heavy-hitter sketch in the manner of space-saving: when full,
// the half of the keys that are least requested, overall and lately, is forgotten at once).

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cachewarm::predict::detail {

// Hashes std::string and std::string_view alike, so lookups by view allocate nothing.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept
  {
    return std::hash<std::string_view>{}(text);
  }
};

template <class T> using TextMap = std::unordered_map<std::string, T, TextHash, std::equal_to<>>;

// The half-lives of the decayed counts, in windows.
inline constexpr std::array<double, 3> k_half_lives = {0.25, 1.0, 4.0};

// A key that followed another in one client's requests, and how often.
struct Successor {
  std::string key;
  float count = 0;
};

struct KeyStats {
  std::string key;
  double count = 0;                // requests while tracked (all time)
  std::array<double, 3> decayed{}; // requests weighted by exp(t - landmark) per half-life
  double window_count = 0;         // requests in window `window`
  std::int64_t window = -1;
  double last_time = 0;            // the latest request
  std::array<float, 24> hours{};   // requests by UTC hour of day
  std::array<Successor, 4> next{}; // the most frequent next keys of one client
  float next_total = 0;            // transitions from this key counted
  std::int32_t watch = -1;         // the model's watch slot while this key is watched; else -1
};

class KeyTable {
public:
  // `capacity` keys at most (>= 16); half-lives in seconds.
  KeyTable(std::size_t capacity, std::array<double, 3> half_lives_s);

  // Counts a request of `key` at `time` in window `window`; returns its stats. `seen_before`
  // is set to whether the key was requested (and is still tracked) before window `window`.
  KeyStats& add(std::string_view key, double time, std::int64_t window, bool& seen_before);

  // The stats of `key`, or null when it is not tracked.
  KeyStats* find(std::string_view key);

  // Where `stats` (a key of this table) is: valid until the generation changes.
  std::uint32_t index_of(const KeyStats& stats) const
  {
    return static_cast<std::uint32_t>(&stats - m_keys.data());
  }
  KeyStats& at(std::uint32_t index) { return m_keys[index]; }
  // Changes whenever keys move (an eviction), so that a remembered index can be trusted.
  std::uint64_t generation() const { return m_evictions; }
  std::vector<KeyStats>& mutable_keys() { return m_keys; }

  const std::vector<KeyStats>& keys() const { return m_keys; }

  // The share of the decayed request mass of half-life `i` that `stats` holds (0..1).
  double decayed_share(const KeyStats& stats, std::size_t i) const
  {
    return m_decayed_total[i] > 0 ? stats.decayed[i] / m_decayed_total[i] : 0;
  }

  double total() const { return m_total; }
  const std::array<double, 24>& hours() const { return m_hours; }
  std::uint64_t evictions() const { return m_evictions; }

private:
  void evict_half();
  void rebase(double time);
  // The index's slot for `key` (hash `hash`): the one holding it, or the empty one where it
  // would go.
  std::size_t slot_of(std::string_view key, std::uint64_t hash) const;
  KeyStats* find(std::string_view key, std::uint64_t hash); // find() with its hash known
  // Adds m_keys[index] (hash `hash`) to the index, growing it to keep it at most half full.
  void index_key(std::uint32_t index, std::uint64_t hash);

  std::size_t m_capacity;
  std::array<double, 3> m_rates{}; // ln 2 / half-life
  std::vector<KeyStats> m_keys;
  // An open-addressing index of m_keys (linear probing, no deletion: rebuilt after an eviction):
  // the high half of each key's hash and its index + 1 (0: an empty slot). Flat, so a lookup
  // costs about one cache miss in the index and one in the key's stats.
  struct Slot {
    std::uint32_t hash = 0;
    std::uint32_t index_plus_one = 0;
  };
  std::vector<Slot> m_slots;
  std::size_t m_indexed = 0;
  double m_landmark = 0;
  bool m_started = false;
  double m_last_time = 0;
  std::array<double, 3> m_last_weight{1, 1, 1};
  std::array<double, 3> m_decayed_total{};
  std::array<double, 24> m_hours{};
  double m_total = 0;
  std::uint64_t m_evictions = 0;
};

// The last key each client asked for, for at most `capacity` clients (the least recent half is
// forgotten when full).
class ClientTable {
public:
  explicit ClientTable(std::size_t capacity);

  // The last request of one client: key (empty for a new client), time, and where that key
  // was in the KeyTable (`index`, trusted while the table's generation is `generation`).
  struct Last {
    std::string key;
    double time = 0;
    std::uint32_t index = 0;
    std::uint64_t generation = ~std::uint64_t{0};
  };

  // The last request of `client`, for the caller to read and then overwrite.
  Last& last(std::string_view client);

private:
  std::size_t m_capacity;
  TextMap<Last> m_clients;
};

// The UTC hour of day (0..23) of `time` (seconds since the epoch).
int hour_of_day(double time);

// A key with a number in it: the text around its last run of digits.
struct Numbered {
  std::string_view prefix;
  std::string_view digits;
  std::string_view suffix;
};

// The last number of `key` when it reads as a counter (block numbers, offsets, ids, pages): at
// most 18 digits, not part of a word (`/p/7`, `page=3`, `42932745`, not `lML9dik8Q`).
std::optional<Numbered> numbered(std::string_view key);

// `numbered` with its number plus `step`, as wide as before when written with leading zeros.
std::string successor(const Numbered& numbered, std::uint64_t step);

} // namespace cachewarm::predict::detail
