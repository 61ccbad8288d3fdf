#include "cachewarm/predict/predict.hpp"

#include <algorithm>
#include <map>
#include <memory>

namespace cachewarm::predict {

namespace {

ModelOptions
model_options(const PredictOptions& options)
{
  ModelOptions out;
  out.window_s = options.window_s;
  out.capacity = options.capacity;
  out.tops = {options.cover ? options.max_keys : options.top};
  return out;
}

// The prediction of a model that has seen its requests.
Prediction
conclude(Model& model, const PredictOptions& options)
{
  const std::size_t wanted = options.cover ? options.max_keys : options.top;
  if (options.at) {
    model.close_until(*options.at);
  }
  Prediction out;
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
  for (const CandidateScore& candidate : model.backtest(wanted)) {
    if (candidate.name == out.weights.candidate) {
      out.backtest_cover = candidate.cover;
    }
  }
  return out;
}

} // namespace

core::Result<Prediction>
predict_keys(LogReader& reader, const PredictOptions& options)
{
  Model model(model_options(options));
  std::uint64_t left_out = 0;
  Request request;
  for (;;) {
    CW_TRY_ASSIGN(const bool more, reader.next(request));
    if (!more) {
      break;
    }
    if (options.segment && request.segment != *options.segment) {
      continue;
    }
    if (options.at && request.time >= *options.at) {
      ++left_out; // the future, as seen from `at`
      continue;
    }
    model.add(request.time, request.key, request.client);
  }
  Prediction out = conclude(model, options);
  out.left_out = left_out;
  out.log = reader.counts();
  return out;
}

core::Result<std::vector<SegmentPrediction>>
predict_segments(LogReader& reader, const PredictOptions& options, std::size_t max_segments)
{
  std::map<std::string, std::pair<std::unique_ptr<Model>, std::uint64_t>, std::less<>> models;
  const ModelOptions settings = model_options(options);
  Request request;
  for (;;) {
    CW_TRY_ASSIGN(const bool more, reader.next(request));
    if (!more) {
      break;
    }
    auto found = models.find(request.segment);
    if (found == models.end()) {
      if (models.size() == max_segments) {
        return core::fail(core::Errc::usage,
                          "--by: more than " + std::to_string(max_segments)
                              + " segments (the next one is \"" + request.segment
                              + "\"); raise --max-segments, or segment by a field with fewer "
                                "values");
      }
      found = models.emplace(request.segment, std::make_pair(std::make_unique<Model>(settings), 0))
                  .first;
    }
    if (options.at && request.time >= *options.at) {
      ++found->second.second;
      continue;
    }
    found->second.first->add(request.time, request.key, request.client);
  }
  std::vector<SegmentPrediction> out;
  for (auto& [segment, model] : models) {
    Prediction prediction = conclude(*model.first, options);
    prediction.left_out = model.second;
    out.push_back(SegmentPrediction{segment, std::move(prediction)});
  }
  return out;
}

} // namespace cachewarm::predict
