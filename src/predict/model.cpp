#include "cachewarm/predict/model.hpp"

#include "key_table.hpp"

#include "cachewarm/core/assert.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <deque>
#include <numbers>
#include <optional>
#include <unordered_set>

namespace cachewarm::predict {

using detail::KeyStats;
using detail::TextMap;

namespace {

// The features, in the order of a feature vector.
enum Feature : std::size_t {
  f_all,    // share of all requests so far
  f_short,  // share of requests decayed with a half-life of W/4
  f_mid,    // ... of W
  f_long,   // ... of 4W
  f_last,   // share of the last window's requests
  f_season, // share of the requests at this time of day on earlier days
  f_trend,  // f_short - f_long: rising keys gain, fading ones lose
  f_seq,    // expected share as the next key of a client's recent request
  f_next,   // share as a successor of a recently requested numbered key
  f_count,
};

constexpr std::array<std::string_view, f_count> k_feature_names = {
    "all", "short", "mid", "long", "last", "season", "trend", "seq", "next"};

using Vector = std::array<double, f_count>;

struct Candidate {
  std::string name;
  Vector weights{};
};

// The weightings the backtest chooses from. The first two are the baselines themselves, so the
// model can always fall back on whichever of them predicts this log best.
std::vector<Candidate>
make_candidates()
{
  std::vector<Candidate> out;
  auto add = [&](std::string name, std::initializer_list<std::pair<Feature, double>> weights) {
    Candidate candidate{std::move(name), {}};
    for (const auto& [feature, weight] : weights) {
      candidate.weights[feature] = weight;
    }
    out.push_back(std::move(candidate));
  };
  add("all", {{f_all, 1}});
  add("last", {{f_last, 1}});
  const std::array<std::pair<std::string_view, Feature>, 3> bases = {
      {{"all", f_all}, {"long", f_long}, {"short", f_short}}};
  for (const auto& [base_name, base] : bases) {
    for (const double trend : {0.0, 0.5}) {
      for (const double season : {0.0, 0.5}) {
        for (const double seq : {0.0, 0.3}) {
          for (const double next : {0.0, 0.3, 3.0}) {
            if (trend == 0 && season == 0 && seq == 0 && next == 0 && base == f_all) {
              continue; // the baseline
            }
            std::string name(base_name);
            auto part = [&](std::string_view feature, double weight) {
              if (weight > 0) {
                char text[32];
                std::snprintf(text, sizeof text, "+%s*%g", std::string(feature).c_str(), weight);
                name += text;
              }
            };
            part("trend", trend);
            part("season", season);
            part("seq", seq);
            part("next", next);
            add(std::move(name),
                {{base, 1}, {f_trend, trend}, {f_season, season}, {f_seq, seq}, {f_next, next}});
          }
        }
      }
    }
  }
  return out;
}

// How many successors of one recent key are predicted, and how many recent numbered requests
// are remembered (per largest top).
constexpr std::uint64_t k_successors = 8;
constexpr std::size_t k_recent_per_top = 4;
// How much more of a window's requests (as a share) a weighting must cover than the baselines.
constexpr double k_margin = 0.003;

} // namespace

struct Model::State {
  explicit State(ModelOptions options_in)
      : options(std::move(options_in))
      , top_max(*std::max_element(options.tops.begin(), options.tops.end()))
      , keys(options.capacity > 0 ? options.capacity : std::max<std::size_t>(100000, 20 * top_max),
             {detail::k_half_lives[0] * options.window_s,
              detail::k_half_lives[1] * options.window_s,
              detail::k_half_lives[2] * options.window_s})
      , clients(options.clients)
      , candidates(make_candidates())
      , covers(options.tops.size(), std::vector<double>(candidates.size(), 0))
  {
    std::sort(options.tops.begin(), options.tops.end());
  }

  ModelOptions options;
  std::size_t top_max;
  detail::KeyTable keys;
  detail::ClientTable clients;
  std::vector<Candidate> candidates;

  bool started = false;
  double first_time = 0;
  double last_time = 0;
  std::int64_t window = 0;
  double window_requests = 0;
  std::uint64_t requests = 0;
  std::uint64_t out_of_order = 0;

  // Recent requests of numbered keys: a ring whose oldest entry is at recent_next once full.
  std::vector<std::pair<std::string, double>> recent;
  std::size_t recent_next = 0;

  // The predictions made at the start of the current window: the pool of keys scored, each
  // candidate's top_max best (indices into pool), and how often each pooled key was asked for
  // in the current window (only keys that some candidate predicted are counted).
  bool lists_fresh = false;
  std::vector<std::string> pool;
  std::vector<Vector> pool_features;
  std::vector<double> pool_recency;
  TextMap<std::uint32_t> pool_index; // pool key -> its index, while the pool is built
  std::vector<std::vector<std::uint32_t>> lists;
  TextMap<std::uint32_t> watched;   // the pool keys some candidate predicted -> pool index
  std::vector<double> watch_counts; // by pool index
  bool predictions_pending = false; // made at the start of the current window

  // Backtest: per top, per candidate, the summed cover over `pairs` window pairs.
  std::vector<std::vector<double>> covers;
  std::uint64_t pairs = 0;
  double seen_sum = 0;
  double seen_in_window = 0; // requests of the current window whose key was tracked before it

  WindowObserver* observer = nullptr;
  Model* owner = nullptr;

  std::int64_t index_of(double time) const
  {
    return static_cast<std::int64_t>(std::floor((time - first_time) / options.window_s));
  }

  std::size_t top_slot(std::size_t k) const
  {
    std::size_t best = 0;
    for (std::size_t i = 0; i < options.tops.size(); ++i) {
      if (std::llabs(static_cast<long long>(options.tops[i]) - static_cast<long long>(k))
          < std::llabs(static_cast<long long>(options.tops[best]) - static_cast<long long>(k))) {
        best = i;
      }
    }
    return best;
  }

  // The candidate with the best mean cover so far; another than the baselines must beat them
  // by k_margin, so that noise in a few windows does not pick a weighting that merely got lucky.
  std::size_t chosen(std::size_t slot) const
  {
    const double margin = std::max(
        k_margin, 0.05 / std::sqrt(static_cast<double>(std::max<std::uint64_t>(pairs, 1))));
    auto merit = [&](std::size_t c) {
      return covers[slot][c] / static_cast<double>(std::max<std::uint64_t>(pairs, 1))
             - (c < 2 ? 0.0 : margin);
    };
    std::size_t best = 0;
    for (std::size_t c = 1; c < candidates.size(); ++c) {
      if (merit(c) > merit(best) + 1e-12) {
        best = c;
      }
    }
    return best;
  }

  void add(double time, std::string_view key, std::string_view client);
  static void count_transition(KeyStats& from, std::string_view to);
  void close_window(std::int64_t next_window);
  void score_pending();
  void build_pool();
  // The pool index of `key`, added (with no features yet) if it is not pooled.
  std::uint32_t pool_slot(std::string_view key);
  // Numbered keys: scores the successors of the most recent ones (f_next), nearer steps and
  // newer keys first.
  void add_numbered_successors();
  void build_lists();
  std::vector<ScoredKey> top(std::size_t k, const Vector& weights);
};

void
Model::State::add(double time, std::string_view key, std::string_view client)
{
  if (!started) {
    started = true;
    first_time = time;
    last_time = time;
    window = 0;
  }
  std::int64_t index = index_of(time);
  if (index < window) {
    ++out_of_order;
    index = window;
  }
  if (index > window) {
    close_window(index);
  }
  last_time = std::max(last_time, time);
  ++requests;
  window_requests += 1;
  bool seen_before = false;
  const std::uint64_t generation = keys.generation();
  const std::size_t tracked = keys.keys().size();
  KeyStats& stats = keys.add(key, time, window, seen_before);
  const std::uint32_t slot = keys.index_of(stats);
  if (predictions_pending) {
    // A key tracked before carries its watch slot; a new one (or one the table just made room
    // for) is looked up.
    if (keys.generation() == generation && slot < tracked) {
      if (stats.watch >= 0) {
        watch_counts[static_cast<std::size_t>(stats.watch)] += 1;
      }
    } else if (const auto found = watched.find(key); found != watched.end()) {
      stats.watch = static_cast<std::int32_t>(found->second);
      watch_counts[found->second] += 1;
    }
  }
  if (seen_before) {
    seen_in_window += 1;
  }
  if (!client.empty()) {
    detail::ClientTable::Last& last = clients.last(client);
    if (!last.key.empty() && time - last.time <= options.window_s) {
      const bool known = last.generation == keys.generation();
      if (known ? last.index != slot : last.key != key) {
        if (KeyStats* from = known ? &keys.at(last.index) : keys.find(last.key)) {
          count_transition(*from, key);
        }
      }
    }
    last.key.assign(key);
    last.time = time;
    last.index = slot;
    last.generation = keys.generation();
  }
  if (detail::numbered(key)) {
    // A ring of the latest numbered requests (strings reused).
    const std::size_t capacity = k_recent_per_top * top_max;
    if (recent.size() < capacity) {
      recent.emplace_back(std::string(key), time);
    } else {
      recent[recent_next].first.assign(key);
      recent[recent_next].second = time;
    }
    recent_next = (recent_next + 1) % capacity;
  }
  if (observer != nullptr) {
    observer->request(key);
  }
  lists_fresh = false;
}

// One client asked for `to` right after `from`.
void
Model::State::count_transition(KeyStats& from, std::string_view to)
{
  from.next_total += 1;
  detail::Successor* weakest = &from.next[0];
  for (detail::Successor& next : from.next) {
    if (next.key == to) {
      next.count += 1;
      return;
    }
    if (next.count < weakest->count) {
      weakest = &next;
    }
  }
  // Space-saving: the newcomer takes the weakest slot and its count plus one.
  weakest->key.assign(to);
  weakest->count += 1;
}

void
Model::State::score_pending()
{
  if (!predictions_pending || window_requests <= 0) {
    return;
  }
  for (std::size_t slot = 0; slot < options.tops.size(); ++slot) {
    const std::size_t k = options.tops[slot];
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      double covered = 0;
      const std::vector<std::uint32_t>& list = lists[c];
      for (std::size_t i = 0; i < std::min(k, list.size()); ++i) {
        covered += watch_counts[list[i]];
      }
      covers[slot][c] += covered / window_requests;
    }
  }
  seen_sum += seen_in_window / window_requests;
  ++pairs;
}

void
Model::State::close_window(std::int64_t next_window)
{
  score_pending();
  predictions_pending = false;
  // Predict the window after this one, from the state at this one's end.
  build_lists();
  if (observer != nullptr) {
    observer->window_closed(
        window, first_time + static_cast<double>(window) * options.window_s, *owner);
  }
  // Predictions only count for the very next window, and only when it has requests.
  predictions_pending = next_window == window + 1;
  watch_counts.assign(watch_counts.size(), 0);
  window = next_window;
  window_requests = 0;
  seen_in_window = 0;
}

namespace {

// The indices of the `k` highest `score`s (ties: the higher `recency` first), best first.
std::vector<std::uint32_t>
best_of(const std::vector<double>& score, const std::vector<double>& recency, std::size_t k)
{
  std::vector<std::uint32_t> order;
  order.reserve(score.size());
  for (std::uint32_t i = 0; i < score.size(); ++i) {
    if (score[i] > 0) {
      order.push_back(i);
    }
  }
  auto better = [&](std::uint32_t a, std::uint32_t b) {
    if (score[a] != score[b]) {
      return score[a] > score[b];
    }
    if (recency[a] != recency[b]) {
      return recency[a] > recency[b];
    }
    return a < b;
  };
  const std::size_t n = std::min(k, order.size());
  const auto end = order.begin() + static_cast<std::ptrdiff_t>(n);
  if (n < order.size()) {
    std::nth_element(order.begin(), end, order.end(), better);
  }
  std::sort(order.begin(), end, better);
  order.resize(n);
  return order;
}

} // namespace

void
Model::State::build_pool()
{
  pool.clear();
  pool_features.clear();
  pool_recency.clear();
  pool_index.clear();
  const std::vector<KeyStats>& tracked = keys.keys();
  const double total = std::max(keys.total(), 1.0);
  // Time of day: the hours the next window covers, on earlier days (once the log spans two).
  const double now = last_time;
  const bool seasonal = now - first_time >= 2 * 86400.0 && options.window_s <= 6 * 3600.0;
  std::array<bool, 24> hours{};
  double hours_total = 0;
  if (seasonal) {
    for (double t = now; t < now + options.window_s; t += 3600) {
      hours[static_cast<std::size_t>(detail::hour_of_day(t))] = true;
    }
    for (std::size_t h = 0; h < 24; ++h) {
      hours_total += hours[h] ? keys.hours()[h] : 0;
    }
  }
  double last_total = 0;
  for (const KeyStats& stats : tracked) {
    last_total += stats.window == window ? stats.window_count : 0;
  }
  // Each base feature proposes its best keys; the pool is their union (plus the sequence
  // features' keys), so that every candidate's top_max comes from it.
  const std::size_t per_feature = 2 * top_max;
  std::vector<Vector> features(tracked.size());
  std::vector<double> recency(tracked.size());
  for (std::size_t i = 0; i < tracked.size(); ++i) {
    const KeyStats& stats = tracked[i];
    Vector& f = features[i];
    f[f_all] = stats.count / total;
    f[f_short] = keys.decayed_share(stats, 0);
    f[f_mid] = keys.decayed_share(stats, 1);
    f[f_long] = keys.decayed_share(stats, 2);
    f[f_last] = stats.window == window && last_total > 0 ? stats.window_count / last_total : 0;
    if (seasonal && hours_total > 0) {
      double in_hours = 0;
      for (std::size_t h = 0; h < 24; ++h) {
        in_hours += hours[h] ? static_cast<double>(stats.hours[h]) : 0;
      }
      f[f_season] = in_hours / hours_total;
    }
    f[f_trend] = f[f_short] - f[f_long];
    recency[i] = stats.last_time;
  }
  std::vector<std::uint32_t> chosen_keys;
  for (const Feature feature : {f_all, f_short, f_mid, f_long, f_last, f_season}) {
    std::vector<double> column(tracked.size());
    for (std::size_t i = 0; i < tracked.size(); ++i) {
      column[i] = features[i][feature];
    }
    for (const std::uint32_t i : best_of(column, recency, per_feature)) {
      chosen_keys.push_back(i);
    }
  }
  for (const std::uint32_t i : chosen_keys) {
    const std::uint32_t slot = pool_slot(tracked[i].key);
    pool_features[slot] = features[i];
    pool_recency[slot] = recency[i];
  }
  // Sequence: the next keys of the recently requested ones, weighted by how recent those are.
  std::vector<double> short_share(tracked.size());
  for (std::size_t i = 0; i < tracked.size(); ++i) {
    short_share[i] = features[i][f_short];
  }
  for (const std::uint32_t i : best_of(short_share, recency, per_feature)) {
    const KeyStats& from = tracked[i];
    if (from.next_total <= 0) {
      continue;
    }
    for (const detail::Successor& next : from.next) {
      if (next.count > 0) {
        const std::uint32_t slot = pool_slot(next.key);
        pool_features[slot][f_seq] +=
            short_share[i] * static_cast<double>(next.count / from.next_total);
        if (const KeyStats* known = keys.find(next.key);
            known != nullptr && pool_recency[slot] == 0) {
          pool_recency[slot] = known->last_time;
        }
      }
    }
  }
  add_numbered_successors();
}

std::uint32_t
Model::State::pool_slot(std::string_view key)
{
  const auto found = pool_index.find(key);
  if (found != pool_index.end()) {
    return found->second;
  }
  const auto index = static_cast<std::uint32_t>(pool.size());
  pool_index.emplace(std::string(key), index);
  pool.emplace_back(key);
  pool_features.push_back(Vector{});
  pool_recency.push_back(0);
  return index;
}

void
Model::State::add_numbered_successors()
{
  std::unordered_set<std::string_view> done;
  double next_total = 0;
  std::vector<std::pair<std::uint32_t, double>> next_scores;
  for (std::size_t back = 1; back <= recent.size() && done.size() < top_max; ++back) {
    const std::string& key = recent[(recent_next + recent.size() - back) % recent.size()].first;
    if (!done.insert(key).second) {
      continue;
    }
    const std::optional<detail::Numbered> parts = detail::numbered(key);
    const double weight = 1.0 / static_cast<double>(done.size()); // the newest key weighs most
    for (std::uint64_t step = 1; step <= k_successors; ++step) {
      const double score = weight / static_cast<double>(step);
      next_scores.emplace_back(pool_slot(detail::successor(*parts, step)), score);
      next_total += score;
    }
  }
  for (const auto& [slot, score] : next_scores) {
    pool_features[slot][f_next] += score / next_total;
  }
}

void
Model::State::build_lists()
{
  build_pool();
  lists.assign(candidates.size(), {});
  // A feature that is zero for every pooled key (no seasons yet, no clients, no numbered keys)
  // leaves the candidates that weigh it ranking as those that do not: each ranking is made once.
  Vector active{};
  for (const Vector& features : pool_features) {
    for (std::size_t f = 0; f < f_count; ++f) {
      active[f] = features[f] != 0 ? 1 : active[f];
    }
  }
  std::vector<std::pair<Vector, std::size_t>> ranked; // effective weights -> candidate
  std::vector<double> score(pool.size());
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    Vector w = candidates[c].weights;
    for (std::size_t f = 0; f < f_count; ++f) {
      w[f] *= active[f];
    }
    const auto same = std::find_if(
        ranked.begin(), ranked.end(), [&](const auto& done) { return done.first == w; });
    if (same != ranked.end()) {
      lists[c] = lists[same->second];
      continue;
    }
    ranked.emplace_back(w, c);
    for (std::size_t i = 0; i < pool.size(); ++i) {
      double sum = 0;
      for (std::size_t f = 0; f < f_count; ++f) {
        sum += w[f] * pool_features[i][f];
      }
      score[i] = sum;
    }
    lists[c] = best_of(score, pool_recency, top_max);
  }
  watched.clear();
  watch_counts.assign(pool.size(), 0);
  for (KeyStats& stats : keys.mutable_keys()) {
    stats.watch = -1;
  }
  std::vector<char> listed(pool.size(), 0);
  for (const std::vector<std::uint32_t>& list : lists) {
    for (const std::uint32_t i : list) {
      listed[i] = 1;
    }
  }
  for (std::uint32_t i = 0; i < pool.size(); ++i) {
    if (listed[i] != 0) {
      watched.emplace(pool[i], i);
      if (KeyStats* stats = keys.find(pool[i])) {
        stats->watch = static_cast<std::int32_t>(i);
      }
    }
  }
  lists_fresh = true;
}

std::vector<ScoredKey>
Model::State::top(std::size_t k, const Vector& weights)
{
  std::vector<double> score(pool.size());
  double positive = 0;
  for (std::size_t f = 0; f < f_count; ++f) {
    positive += std::max(0.0, weights[f]);
  }
  for (std::size_t i = 0; i < pool.size(); ++i) {
    double sum = 0;
    for (std::size_t f = 0; f < f_count; ++f) {
      sum += weights[f] * pool_features[i][f];
    }
    score[i] = sum;
  }
  std::vector<ScoredKey> out;
  const double seen = pairs > 0 ? seen_sum / static_cast<double>(pairs) : 1.0;
  for (const std::uint32_t i : best_of(score, pool_recency, k)) {
    out.push_back(ScoredKey{pool[i], positive > 0 ? seen * score[i] / positive : 0});
  }
  return out;
}

Model::Model(ModelOptions options)
{
  CW_ASSERT(!options.tops.empty() && options.window_s > 0);
  m_state = std::make_unique<State>(std::move(options));
  m_state->owner = this;
}

Model::~Model() = default;

void
Model::add(double time, std::string_view key, std::string_view client)
{
  m_state->add(time, key, client);
}

void
Model::close_until(double time)
{
  State& s = *m_state;
  if (!s.started) {
    return;
  }
  const std::int64_t index = s.index_of(time);
  if (index > s.window) {
    s.close_window(index);
  }
}

std::vector<ScoredKey>
Model::predict(std::size_t k, Predictor predictor)
{
  State& s = *m_state;
  if (!s.started) {
    return {};
  }
  if (!s.lists_fresh) {
    // Mid-window: the predictions made at its start are no longer scored by this window.
    s.predictions_pending = false;
    s.build_lists();
  }
  Vector weights{};
  switch (predictor) {
  case Predictor::model:
    weights = s.candidates[s.chosen(s.top_slot(k))].weights;
    break;
  case Predictor::last_window:
    weights[f_last] = 1;
    break;
  case Predictor::all_time:
    weights[f_all] = 1;
    break;
  }
  return s.top(k, weights);
}

Weights
Model::weights(std::size_t k) const
{
  const State& s = *m_state;
  const Candidate& candidate = s.candidates[s.chosen(s.top_slot(k))];
  Weights out{candidate.name, {}};
  for (std::size_t f = 0; f < f_count; ++f) {
    if (candidate.weights[f] != 0) {
      out.features.emplace_back(std::string(k_feature_names[f]), candidate.weights[f]);
    }
  }
  return out;
}

std::vector<CandidateScore>
Model::backtest(std::size_t k) const
{
  const State& s = *m_state;
  const std::size_t slot = s.top_slot(k);
  std::vector<CandidateScore> out;
  for (std::size_t c = 0; c < s.candidates.size(); ++c) {
    out.push_back(CandidateScore{
        s.candidates[c].name, s.pairs > 0 ? s.covers[slot][c] / static_cast<double>(s.pairs) : 0});
  }
  std::stable_sort(out.begin(), out.end(), [](const CandidateScore& a, const CandidateScore& b) {
    return a.cover > b.cover;
  });
  return out;
}

double
Model::seen_share() const
{
  return m_state->pairs > 0 ? m_state->seen_sum / static_cast<double>(m_state->pairs) : 1.0;
}

std::uint64_t
Model::pairs() const
{
  return m_state->pairs;
}

std::uint64_t
Model::requests() const
{
  return m_state->requests;
}

std::uint64_t
Model::out_of_order() const
{
  return m_state->out_of_order;
}

double
Model::window_start() const
{
  return m_state->first_time + static_cast<double>(m_state->window) * m_state->options.window_s;
}

std::int64_t
Model::window_index() const
{
  return m_state->window;
}

void
Model::set_observer(WindowObserver* observer)
{
  m_state->observer = observer;
}

} // namespace cachewarm::predict
