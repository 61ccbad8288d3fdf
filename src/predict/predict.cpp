#include "cachewarm/predict/predict.hpp"

#include <algorithm>

namespace cachewarm::predict {

core::Result<Prediction>
predict_keys(LogReader& reader, const PredictOptions& options)
{
  const std::size_t wanted = options.cover ? options.max_keys : options.top;
  ModelOptions model_options;
  model_options.window_s = options.window_s;
  model_options.capacity = options.capacity;
  model_options.tops = {wanted};
  Model model(model_options);
  Prediction out;
  Request request;
  for (;;) {
    CW_TRY_ASSIGN(const bool more, reader.next(request));
    if (!more) {
      break;
    }
    if (options.at && request.time >= *options.at) {
      ++out.left_out; // the future, as seen from `at`
      continue;
    }
    model.add(request.time, request.key, request.client);
  }
  if (options.at) {
    model.close_until(*options.at);
  }
  out.keys = model.predict(wanted);
  if (options.cover) {
    std::size_t n = 0;
    while (n < out.keys.size() && out.expected_cover < *options.cover) {
      out.expected_cover += out.keys[n++].score;
    }
    out.keys.resize(n);
  } else {
    for (const ScoredKey& key : out.keys) {
      out.expected_cover += key.score;
    }
  }
  out.weights = model.weights(wanted);
  out.pairs = model.pairs();
  const std::vector<CandidateScore> backtest = model.backtest(wanted);
  for (const CandidateScore& candidate : backtest) {
    if (candidate.name == out.weights.candidate) {
      out.backtest_cover = candidate.cover;
    }
  }
  out.log = reader.counts();
  return out;
}

} // namespace cachewarm::predict
