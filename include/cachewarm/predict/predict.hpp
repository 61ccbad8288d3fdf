#pragma once

// One prediction from logs: every request read through a Model, then its top keys (or the
// fewest expected to cover a share of the next window). Used by `cachewarm predict` and by
// manifest groups with `keys_from: {access_log: ...}`.

#include "cachewarm/core/result.hpp"
#include "cachewarm/predict/access_log.hpp"
#include "cachewarm/predict/model.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cachewarm::predict {

struct PredictOptions {
  double window_s = 3600;       // the window predicted (and backtested) at a time
  std::size_t capacity = 0;     // keys tracked; 0 = the model's default
  std::size_t top = 1000;       // how many keys, unless `cover` is set
  std::optional<double> cover;  // the fewest keys whose scores add up to this share (0..1) ...
  std::size_t max_keys = 10000; // ... but at most this many
  std::optional<double> at;     // predict from the requests before this time (epoch seconds)
  std::optional<std::string>
      segment; // predict_keys: only this segment's requests (LogSpec::segment)
};

struct Prediction {
  std::vector<ScoredKey> keys; // best first
  double expected_cover = 0;   // the keys' scores added up
  Weights weights;             // the model's weights for the prediction
  std::uint64_t pairs = 0;     // window pairs backtested
  double backtest_cover = 0;   // the chosen weighting's mean cover in the backtest
  std::uint64_t left_out = 0;  // requests at or after `at`
  SkipCounts log;              // what the reader read
};

// Reads every request of `reader` and predicts. Errors: the reader's (Errc::io, Errc::usage).
core::Result<Prediction> predict_keys(LogReader& reader, const PredictOptions& options);

// The prediction of one segment of a log.
struct SegmentPrediction {
  std::string segment;
  Prediction prediction; // `log` left empty: the reader's counts() are the whole log's
};

// Reads every request of `reader` (whose spec has a segment template) and predicts each
// segment from its own requests alone, with a model of its own: memory grows with the number of
// segments. Segments in name order. Errors: the reader's; Errc::usage when a segment beyond
// `max_segments` appears ("--by: more than N segments ...").
core::Result<std::vector<SegmentPrediction>>
predict_segments(LogReader& reader, const PredictOptions& options, std::size_t max_segments);

} // namespace cachewarm::predict
