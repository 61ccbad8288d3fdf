#pragma once

// Hot-key prediction: a model fed a log's requests in time order that predicts which keys the
// next window of time will ask for. Its features are decayed request counts at several
// half-lives, the all-time count, the last window's count, time-of-day seasonality, trend, and
// two kinds of sequence: the keys that followed each other in one client's requests, and for
// keys that end in a number (block numbers, offsets, ids, pages), the successors of the most
// recently requested ones. A prediction is a weighted sum of the features; the weights are the
// candidate that covered the most requests when backtested on the log's own past windows (each
// window predicted only from what came before it). Memory is bounded by `capacity` keys and
// `clients` clients, however many distinct keys the log has.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::predict {

struct ModelOptions {
  double window_s = 3600;      // the window W predicted at a time, seconds (> 0)
  std::size_t capacity = 0;    // keys tracked by the heavy-hitter sketch; 0 = max(100000, 20 x
                               // the largest top)
  std::size_t clients = 50000; // clients whose last request is remembered (sequences)
  std::vector<std::size_t> tops{1000}; // the set sizes K that predictions and backtests use
};

// One predicted key: `score` is the model's estimate of the key's share of the next window's
// requests (the scores of all keys add up to at most 1).
struct ScoredKey {
  std::string key;
  double score = 0;
};

// What the backtest saw for one candidate weighting at one K: the mean share of a window's
// requests its prediction (made before the window) covered, over the window pairs so far.
struct CandidateScore {
  std::string name; // e.g. "all", "last", "d_long+seq+next"
  double cover = 0;
};

// The weights of one prediction, by feature name, and the candidate they come from.
struct Weights {
  std::string candidate;
  std::vector<std::pair<std::string, double>> features;
};

// The three predictors the evaluation compares.
enum class Predictor {
  model,       // the weights the backtest chose so far
  last_window, // the top K of the window just ended (ties: the most recently requested first)
  all_time,    // the top K of everything so far (ties: the most recently requested first)
};

class Model {
public:
  // `options.tops` must not be empty; windows are aligned on the first request's time.
  explicit Model(ModelOptions options);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Adds a request. Requests should come in time order; one earlier than the current window's
  // start is counted in the current window (see out_of_order()). A request in a later window
  // first closes the current one: the backtest scores the predictions made at its start.
  void add(double time, std::string_view key, std::string_view client);

  // Closes the windows up to `time` (when a log ends before its last window is over, predicting
  // "the next window" means the one starting at `time`). Requests added later must not be
  // earlier than `time`.
  void close_until(double time);

  // The top `k` keys for the window starting now (the end of what was added) by `predictor`,
  // best first, scores as in ScoredKey. `k` need not be one of the tops; the model's weights are
  // those chosen for the nearest top. Called mid-window (not from WindowObserver), it ends the
  // backtest of the current window (its predictions were made at its start).
  std::vector<ScoredKey> predict(std::size_t k, Predictor predictor = Predictor::model);

  // The model's weights for `k` now.
  Weights weights(std::size_t k) const;

  // The backtest so far: each candidate's mean cover at `k` (a top), best first.
  std::vector<CandidateScore> backtest(std::size_t k) const;

  // The share of requests that went to keys seen before their window, as backtested (an upper
  // bound for the cover of any prediction made of seen keys); 1 before any window pair.
  double seen_share() const;

  // Window pairs backtested so far, requests added, and requests that came out of time order.
  std::uint64_t pairs() const;
  std::uint64_t requests() const;
  std::uint64_t out_of_order() const;

  // The start of the current window and its index (0 for the first request's window).
  double window_start() const;
  std::int64_t window_index() const;

  // Called when a window closes, before the model predicts the next one: `index` is the window
  // that ended; `requests` of it. For the evaluation, which must see every window in order.
  struct WindowObserver {
    virtual ~WindowObserver() = default;
    // The window `index` (starting at `start`) just closed; the model's state is that of its
    // end: predict() now predicts window `index + 1`.
    virtual void window_closed(std::int64_t index, double start, Model& model) = 0;
    // A request of the current window (after `add` counted it).
    virtual void request(std::string_view key) = 0;
  };
  void set_observer(WindowObserver* observer);

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace cachewarm::predict
