#include "cachewarm/predict/evaluate.hpp"

#include "key_table.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_set>

namespace cachewarm::predict {

namespace {

// Scores the predictions made at the end of each window against the next one.
class Scorer final : public Model::WindowObserver {
public:
  Scorer(std::vector<std::size_t> tops, Evaluation& out)
      : m_tops(std::move(tops))
      , m_out(out)
  {}

  void request(std::string_view key) override
  {
    auto found = m_counts.find(key);
    if (found == m_counts.end()) {
      found = m_counts.emplace(std::string(key), Seen{0, m_total}).first;
    }
    found->second.count += 1;
    m_total += 1;
  }

  void window_closed(std::int64_t index, double start, Model& model) override
  {
    if (m_predicted_for == index && m_total > 0) {
      score(index, start);
    }
    m_predictions.clear();
    for (const std::size_t k : m_tops) {
      m_predictions.push_back({model.predict(k, Predictor::model),
                               model.predict(k, Predictor::last_window),
                               model.predict(k, Predictor::all_time)});
    }
    m_predicted_for = index + 1;
    m_counts.clear();
    m_total = 0;
  }

private:
  struct Seen {
    double count = 0;
    std::uint64_t first = 0; // requests of the window before this key's first
  };

  Metrics metrics(const std::vector<ScoredKey>& predicted,
                  std::size_t k,
                  const std::vector<std::string_view>& best) const
  {
    std::unordered_set<std::string_view> set;
    for (const ScoredKey& scored : predicted) {
      set.insert(scored.key);
    }
    Metrics out;
    double covered = 0;
    double hit = 0;
    for (const std::string_view key : set) {
      if (const auto found = m_counts.find(key); found != m_counts.end()) {
        covered += found->second.count;
        hit += 1;
      }
    }
    out.cover = covered / static_cast<double>(m_total);
    out.recall = hit / static_cast<double>(m_counts.size());
    double top_hits = 0;
    const std::size_t n = std::min(k, best.size());
    for (std::size_t i = 0; i < n; ++i) {
      top_hits += set.contains(best[i]) ? 1 : 0;
    }
    out.precision = n > 0 ? top_hits / static_cast<double>(n) : 0;
    return out;
  }

  void score(std::int64_t index, double start)
  {
    // The window's keys by count, ties: the one requested first ranks first.
    std::vector<std::pair<const std::string*, const Seen*>> ranked;
    ranked.reserve(m_counts.size());
    for (const auto& [key, seen] : m_counts) {
      ranked.emplace_back(&key, &seen);
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      if (a.second->count != b.second->count) {
        return a.second->count > b.second->count;
      }
      return a.second->first < b.second->first;
    });
    std::vector<std::string_view> best;
    best.reserve(ranked.size());
    for (const auto& [key, seen] : ranked) {
      best.emplace_back(*key);
    }
    WindowScore window{index, start, m_total, m_counts.size(), {}};
    for (std::size_t t = 0; t < m_tops.size(); ++t) {
      const std::size_t k = m_tops[t];
      const std::array<std::vector<ScoredKey>, 3>& p = m_predictions[t];
      window.tops.push_back(
          TopMetrics{k, metrics(p[0], k, best), metrics(p[1], k, best), metrics(p[2], k, best)});
    }
    m_out.windows.push_back(std::move(window));
  }

  std::vector<std::size_t> m_tops;
  Evaluation& m_out;
  detail::TextMap<Seen> m_counts;
  std::uint64_t m_total = 0;
  std::int64_t m_predicted_for = -1;
  std::vector<std::array<std::vector<ScoredKey>, 3>> m_predictions; // per top: model, last, all
};

void
add_metrics(Metrics& sum, const Metrics& one)
{
  sum.cover += one.cover;
  sum.precision += one.precision;
  sum.recall += one.recall;
}

Metrics
divided(Metrics sum, double n)
{
  if (n > 0) {
    sum.cover /= n;
    sum.precision /= n;
    sum.recall /= n;
  }
  return sum;
}

nlohmann::json
metrics_json(const Metrics& metrics)
{
  // Rounded to 4 decimals: the means are of a few dozen windows.
  auto round = [](double value) { return std::round(value * 10000) / 10000; };
  return {{"cover", round(metrics.cover)},
          {"precision", round(metrics.precision)},
          {"recall", round(metrics.recall)}};
}

std::string
format_duration(double seconds)
{
  if (std::fmod(seconds, 3600) == 0) {
    return std::to_string(static_cast<long long>(seconds / 3600)) + "h";
  }
  if (std::fmod(seconds, 60) == 0) {
    return std::to_string(static_cast<long long>(seconds / 60)) + "m";
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%gs", seconds);
  return buffer;
}

} // namespace

std::string
iso8601(double seconds)
{
  using namespace std::chrono;
  const auto ms = static_cast<long long>(std::llround(seconds * 1000));
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(ms)));
  const year_month_day ymd(day);
  const long long in_day = ms - duration_cast<milliseconds>(day.time_since_epoch()).count();
  char buffer[64];
  const long long s = in_day / 1000;
  if (in_day % 1000 == 0) {
    std::snprintf(buffer,
                  sizeof buffer,
                  "%04d-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()),
                  s / 3600,
                  s / 60 % 60,
                  s % 60);
  } else {
    std::snprintf(buffer,
                  sizeof buffer,
                  "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()),
                  s / 3600,
                  s / 60 % 60,
                  s % 60,
                  in_day % 1000);
  }
  return buffer;
}

core::Result<Evaluation>
evaluate(LogReader& reader, const EvaluateOptions& options)
{
  Evaluation out;
  Model model(options.model);
  Scorer scorer(options.model.tops, out);
  model.set_observer(&scorer);
  Request request;
  for (;;) {
    CW_TRY_ASSIGN(const bool more, reader.next(request));
    if (!more) {
      break;
    }
    model.add(request.time, request.key, request.client);
  }
  if (model.requests() > 0) {
    // The last window is over when the log is: it is the h+1 of the last pair.
    model.close_until(model.window_start() + options.model.window_s);
  }
  out.pairs = out.windows.size();
  for (std::size_t t = 0; t < options.model.tops.size(); ++t) {
    TopMetrics sum{options.model.tops[t], {}, {}, {}};
    for (const WindowScore& window : out.windows) {
      add_metrics(sum.model, window.tops[t].model);
      add_metrics(sum.last_window, window.tops[t].last_window);
      add_metrics(sum.all_time, window.tops[t].all_time);
    }
    const auto n = static_cast<double>(out.pairs);
    out.means.push_back(TopMetrics{
        sum.top, divided(sum.model, n), divided(sum.last_window, n), divided(sum.all_time, n)});
    out.weights.push_back(model.weights(sum.top));
    out.candidates.push_back(model.backtest(sum.top));
  }
  out.requests = model.requests();
  out.out_of_order = model.out_of_order();
  out.seen_share = model.seen_share();
  out.log = reader.counts();
  return out;
}

std::string
evaluation_json(const Evaluation& evaluation, double window_s)
{
  nlohmann::json results = nlohmann::json::array();
  for (std::size_t t = 0; t < evaluation.means.size(); ++t) {
    const TopMetrics& mean = evaluation.means[t];
    nlohmann::json model = metrics_json(mean.model);
    nlohmann::json features = nlohmann::json::object();
    for (const auto& [name, weight] : evaluation.weights[t].features) {
      features[name] = weight;
    }
    model["weights"] = {{"candidate", evaluation.weights[t].candidate}, {"features", features}};
    nlohmann::json candidates = nlohmann::json::array();
    for (std::size_t c = 0; c < std::min<std::size_t>(10, evaluation.candidates[t].size()); ++c) {
      const CandidateScore& candidate = evaluation.candidates[t][c];
      candidates.push_back(
          {{"name", candidate.name}, {"cover", std::round(candidate.cover * 10000) / 10000}});
    }
    model["candidates"] = candidates;
    results.push_back({{"top", mean.top},
                       {"model", model},
                       {"baselines",
                        {{"last_window", metrics_json(mean.last_window)},
                         {"all_time", metrics_json(mean.all_time)}}}});
  }
  nlohmann::json windows = nlohmann::json::array();
  for (const WindowScore& window : evaluation.windows) {
    nlohmann::json tops = nlohmann::json::array();
    for (const TopMetrics& top : window.tops) {
      tops.push_back({{"top", top.top},
                      {"model", metrics_json(top.model)},
                      {"last_window", metrics_json(top.last_window)},
                      {"all_time", metrics_json(top.all_time)}});
    }
    windows.push_back({{"window", window.window},
                       {"start", iso8601(window.start)},
                       {"requests", window.requests},
                       {"distinct", window.distinct},
                       {"tops", tops}});
  }
  nlohmann::json skipped = nlohmann::json::object();
  for (std::size_t r = 0; r < evaluation.log.skipped.size(); ++r) {
    skipped[std::string(skip_reason_name(static_cast<SkipReason>(r)))] = evaluation.log.skipped[r];
  }
  const nlohmann::json document = {
      {"windows", evaluation.pairs},
      {"window_seconds", window_s},
      {"requests", evaluation.requests},
      {"results", results},
      {"per_window", windows},
      {"log",
       {{"lines", evaluation.log.lines},
        {"requests", evaluation.log.requests},
        {"skipped", skipped},
        {"examples", evaluation.log.examples}}},
      {"out_of_order", evaluation.out_of_order},
      {"seen_share", std::round(evaluation.seen_share * 10000) / 10000}};
  return document.dump(2) + "\n";
}

std::string
evaluation_table(const Evaluation& evaluation, double window_s)
{
  std::string out;
  char line[256];
  std::snprintf(line,
                sizeof line,
                "%llu window pairs of %s over %llu requests\n",
                static_cast<unsigned long long>(evaluation.pairs),
                format_duration(window_s).c_str(),
                static_cast<unsigned long long>(evaluation.requests));
  out += line;
  out += "top       cover: model  last_window  all_time   precision: model  recall: model  "
         "weights\n";
  for (std::size_t t = 0; t < evaluation.means.size(); ++t) {
    const TopMetrics& m = evaluation.means[t];
    std::snprintf(line,
                  sizeof line,
                  "%-9zu %13.3f  %11.3f  %8.3f  %17.3f  %13.3f  %s\n",
                  m.top,
                  m.model.cover,
                  m.last_window.cover,
                  m.all_time.cover,
                  m.model.precision,
                  m.model.recall,
                  evaluation.weights[t].candidate.c_str());
    out += line;
  }
  std::snprintf(line,
                sizeof line,
                "keys seen before their window: %.3f of requests (the most any prediction of "
                "known keys covers)\n",
                evaluation.seen_share);
  out += line;
  std::snprintf(line,
                sizeof line,
                "log: %llu lines, %llu requests",
                static_cast<unsigned long long>(evaluation.log.lines),
                static_cast<unsigned long long>(evaluation.log.requests));
  out += line;
  for (std::size_t r = 0; r < evaluation.log.skipped.size(); ++r) {
    if (evaluation.log.skipped[r] > 0) {
      out += ", " + std::to_string(evaluation.log.skipped[r]) + " "
             + std::string(skip_reason_name(static_cast<SkipReason>(r)));
    }
  }
  if (evaluation.out_of_order > 0) {
    out += ", " + std::to_string(evaluation.out_of_order) + " out of time order";
  }
  out += "\n";
  for (const std::string& example : evaluation.log.examples) {
    out += "  " + example + "\n";
  }
  return out;
}

std::string
evaluation_svg(const Evaluation& evaluation, double window_s)
{
  constexpr double k_width = 800;
  constexpr double k_panel = 240;
  constexpr double k_left = 50;
  constexpr double k_top = 30;
  constexpr double k_plot_width = k_width - k_left - 150;
  constexpr double k_plot_height = k_panel - 70;
  const std::array<std::pair<const char*, const char*>, 3> series = {
      {{"model", "#1f77b4"}, {"last_window", "#ff7f0e"}, {"all_time", "#2ca02c"}}};
  const std::size_t panels = evaluation.means.size();
  const double height = k_top + k_panel * static_cast<double>(panels);
  std::string out;
  char buffer[512];
  std::snprintf(buffer,
                sizeof buffer,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
                "<title>cachewarm evaluate: cover per window (%s windows)</title>\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                k_width,
                height,
                k_width,
                height,
                format_duration(window_s).c_str());
  out += buffer;
  const std::size_t n = evaluation.windows.size();
  for (std::size_t t = 0; t < panels; ++t) {
    const double y0 = k_top + k_panel * static_cast<double>(t);
    const double bottom = y0 + 20 + k_plot_height;
    std::snprintf(buffer,
                  sizeof buffer,
                  "<g class=\"panel\" data-top=\"%zu\">\n"
                  "<text x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\">top %zu: cover of the next "
                  "window</text>\n"
                  "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"black\"/>\n"
                  "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"black\"/>\n"
                  "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">1</text>\n"
                  "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">0</text>\n"
                  "<text x=\"%.0f\" y=\"%.1f\">window pairs (%zu)</text>\n",
                  evaluation.means[t].top,
                  k_left,
                  y0 + 12,
                  evaluation.means[t].top,
                  k_left,
                  y0 + 20,
                  k_left,
                  bottom,
                  k_left,
                  bottom,
                  k_left + k_plot_width,
                  bottom,
                  k_left - 4,
                  y0 + 24,
                  k_left - 4,
                  bottom,
                  k_left,
                  bottom + 16,
                  n);
    out += buffer;
    for (std::size_t s = 0; s < series.size(); ++s) {
      std::snprintf(buffer,
                    sizeof buffer,
                    "<polyline class=\"series\" data-series=\"%s\" fill=\"none\" stroke=\"%s\" "
                    "stroke-width=\"1.5\" points=\"",
                    series[s].first,
                    series[s].second);
      out += buffer;
      for (std::size_t w = 0; w < n; ++w) {
        const TopMetrics& m = evaluation.windows[w].tops[t];
        const double cover = s == 0   ? m.model.cover
                             : s == 1 ? m.last_window.cover
                                      : m.all_time.cover;
        const double x =
            k_left
            + (n > 1 ? k_plot_width * static_cast<double>(w) / static_cast<double>(n - 1)
                     : k_plot_width / 2);
        const double y = bottom - cover * k_plot_height;
        std::snprintf(buffer, sizeof buffer, "%s%.1f,%.1f", w == 0 ? "" : " ", x, y);
        out += buffer;
      }
      out += "\"/>\n";
      const TopMetrics& mean = evaluation.means[t];
      const double average = s == 0   ? mean.model.cover
                             : s == 1 ? mean.last_window.cover
                                      : mean.all_time.cover;
      std::snprintf(buffer,
                    sizeof buffer,
                    "<text x=\"%.0f\" y=\"%.1f\" fill=\"%s\">%s %.3f</text>\n",
                    k_left + k_plot_width + 10,
                    y0 + 40 + 18 * static_cast<double>(s),
                    series[s].second,
                    series[s].first,
                    average);
      out += buffer;
    }
    out += "</g>\n";
  }
  out += "</svg>\n";
  return out;
}

} // namespace cachewarm::predict
