#pragma once

// Backtesting predictions on a log: windows of W seconds aligned on the first request; for
// every pair of consecutive non-empty windows (h, h+1), each predictor sees only the requests
// before the end of h and predicts K keys, which are scored against h+1:
//   cover     = the share of h+1's requests whose key is predicted,
//   precision = |predicted and in the top K of h+1| / |top K of h+1| (ties in h+1: the key
//               requested first in h+1 ranks first),
//   recall    = |predicted and requested in h+1| / |distinct keys of h+1|,
// each the unweighted mean over the window pairs. The model is compared with two baselines:
// last_window (h's top K, ties: the most recently requested first) and all_time (the top K of
// everything before the end of h, same ties).

#include "cachewarm/core/result.hpp"
#include "cachewarm/predict/access_log.hpp"
#include "cachewarm/predict/model.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cachewarm::predict {

struct Metrics {
  double cover = 0;
  double precision = 0;
  double recall = 0;
};

// The three predictors' metrics at one K.
struct TopMetrics {
  std::size_t top = 0;
  Metrics model;
  Metrics last_window;
  Metrics all_time;
};

// One scored window (the h+1 of a pair).
struct WindowScore {
  std::int64_t window = 0; // index from the first request's window
  double start = 0;        // seconds since the epoch
  std::uint64_t requests = 0;
  std::uint64_t distinct = 0;
  std::vector<TopMetrics> tops; // in the order of EvaluateOptions::tops
};

struct EvaluateOptions {
  ModelOptions model; // model.tops are the Ks evaluated (in the order given)
};

struct Evaluation {
  std::uint64_t pairs = 0;
  std::vector<TopMetrics> means;                       // the means over the pairs, per K
  std::vector<Weights> weights;                        // per K: the model's weights at the end
  std::vector<std::vector<CandidateScore>> candidates; // per K: the backtest at the end, best first
  std::vector<WindowScore> windows;                    // every scored window, in order
  std::uint64_t requests = 0;
  std::uint64_t out_of_order = 0;
  double seen_share = 1; // the mean share of a window's requests to keys seen before it
  SkipCounts log;
};

// Reads every request of `reader` through a Model and scores the model and the baselines on
// each window pair. Errors: the reader's (Errc::io, Errc::usage).
core::Result<Evaluation> evaluate(LogReader& reader, const EvaluateOptions& options);

// The evaluation as the JSON document `cachewarm evaluate --output json` prints:
// {"windows": pairs, "window_seconds": W, "requests": ..., "results": [{"top": K, "model": {cover,
// precision, recall, "weights": {"candidate": ..., "features": {...}}, "candidates": [{"name",
// "cover"}: the 10 best weightings of the backtest]}, "baselines":
// {"last_window": {...}, "all_time": {...}}}], "per_window": [{"window": i, "start": ISO 8601,
// "requests": n, "distinct": d, "tops": [{"top": K, "model": {...}, "last_window": {...},
// "all_time": {...}}]}], "log": {"lines": .., "requests": .., "skipped": {reason: n}, "examples":
// [...]}, "out_of_order": n, "seen_share": s}.
std::string evaluation_json(const Evaluation& evaluation, double window_s);

// The evaluation as a table for a person (one line per K, then the log's counts).
std::string evaluation_table(const Evaluation& evaluation, double window_s);

// An SVG chart of the cover per window of the model and both baselines, one panel per K.
std::string evaluation_svg(const Evaluation& evaluation, double window_s);

// `seconds` since the epoch as ISO 8601 UTC (`2015-05-17T10:05:03Z`, milliseconds when not
// whole).
std::string iso8601(double seconds);

} // namespace cachewarm::predict
