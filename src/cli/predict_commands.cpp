// `cachewarm predict` and `cachewarm evaluate`: hot keys from access logs, and the backtest that
// measures them against naive baselines.

#include "predict_commands.hpp"

#include "exit_codes.hpp"
#include "output.hpp"

#include "cachewarm/core/log.hpp"
#include "cachewarm/manifest/key_rules.hpp"
#include "cachewarm/manifest/units.hpp"
#include "cachewarm/plan/schedule.hpp"
#include "cachewarm/predict/access_log.hpp"
#include "cachewarm/predict/evaluate.hpp"
#include "cachewarm/predict/model.hpp"
#include "cachewarm/predict/predict.hpp"
#include "cachewarm/predict/segments.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <variant>

namespace cachewarm::cli {

namespace {

int
fail_with(const core::Error& error)
{
  core::log(core::LogLevel::error, error.message);
  return error.code == core::Errc::usage || error.code == core::Errc::manifest ? k_exit_usage
                                                                               : k_exit_unreachable;
}

// --status 2xx,3 -> {2, 3}.
core::Result<std::vector<int>>
parse_status_classes(const std::vector<std::string>& words)
{
  std::vector<int> classes;
  for (const std::string& word : words) {
    std::size_t start = 0;
    while (start <= word.size()) {
      const std::size_t comma = std::min(word.find(',', start), word.size());
      const std::string item = word.substr(start, comma - start);
      const bool ok = (item.size() == 1 || (item.size() == 3 && item.substr(1) == "xx"))
                      && item[0] >= '1' && item[0] <= '5';
      if (!ok) {
        return core::fail(core::Errc::usage,
                          "--status: expected status classes such as 2xx,3xx (1xx to 5xx), got \""
                              + item + "\"");
      }
      classes.push_back(item[0] - '0');
      start = comma + 1;
    }
  }
  return classes;
}

// Where rule `index` (1-based) of `rules` was written, for messages of the log reader.
std::string
with_rule_location(std::string message,
                   const std::string& file,
                   const std::vector<manifest::AccessLogRule>& rules)
{
  if (message.rfind("rule ", 0) != 0) {
    return message;
  }
  const std::size_t index = std::strtoul(message.c_str() + 5, nullptr, 10);
  if (index == 0 || index > rules.size()) {
    return message;
  }
  const manifest::Location& loc = rules[index - 1].loc;
  return file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column) + ": " + message;
}

struct OpenedLog {
  std::unique_ptr<predict::LogReader> reader;
  double window_s = 3600;
};

// The reader and window of `args`; on error, the exit code.
std::variant<OpenedLog, int>
open_log(const LogArgs& args, const PredictArgs* segments = nullptr)
{
  predict::LogSpec spec;
  if (segments != nullptr) {
    spec.segment = segments->by;
    if (!segments->by_prefixes.empty()) {
      if (segments->by.empty()) {
        return fail_with(core::Error{core::Errc::usage,
                                     "--by-prefixes needs --by (the template of the address)"});
      }
      core::Result<std::vector<predict::SegmentPrefix>> prefixes =
          predict::read_segment_prefixes(segments->by_prefixes);
      if (!prefixes) {
        return fail_with(
            core::Error{prefixes.error().code, "--by-prefixes " + prefixes.error().message});
      }
      spec.segment_prefixes = std::move(*prefixes);
    }
  }
  core::Result<predict::LogFormat> format = predict::parse_log_format(args.format);
  if (!format) {
    return fail_with(format.error());
  }
  spec.format = *format;
  spec.header = args.header;
  spec.time_field = args.time_field;
  if (!args.time_unit.empty()) {
    core::Result<predict::TimeUnit> unit = predict::parse_time_unit(args.time_unit);
    if (!unit) {
      return fail_with(unit.error());
    }
    spec.time_unit = *unit;
  }
  spec.key = args.key;
  spec.client = args.client;
  spec.methods = args.methods;
  spec.path_regex = args.path;
  core::Result<std::vector<int>> classes = parse_status_classes(args.status);
  if (!classes) {
    return fail_with(classes.error());
  }
  spec.status_classes = *classes;
  std::vector<manifest::AccessLogRule> rules;
  if (!args.rules.empty()) {
    manifest::KeyRulesLoad loaded = manifest::load_key_rules(args.rules);
    if (!loaded.rules) {
      const std::string text = manifest::to_string(loaded.diagnostics);
      std::fwrite(text.data(), 1, text.size(), stderr);
      return k_exit_usage;
    }
    rules = std::move(*loaded.rules);
    for (const manifest::AccessLogRule& rule : rules) {
      spec.rules.push_back(predict::KeyRule{rule.match, rule.key, rule.field});
    }
  }
  if (spec.key.empty() && spec.rules.empty()) {
    spec.key = "{path}"; // combined and common logs: the request target
    if (spec.format != predict::LogFormat::combined && spec.format != predict::LogFormat::common) {
      return fail_with(core::Error{core::Errc::usage,
                                   "--key or --rules is required for --log-format " + args.format});
    }
  }
  core::Result<std::chrono::milliseconds> window = manifest::parse_duration(args.window);
  if (!window || window->count() < 1000) {
    return fail_with(core::Error{core::Errc::usage,
                                 "--window: expected a duration of at least 1s (10m, 1h), got \""
                                     + args.window + "\""});
  }
  core::Result<std::unique_ptr<predict::LogReader>> reader =
      predict::LogReader::open(std::move(spec), args.logs);
  if (!reader) {
    core::Error error = reader.error();
    error.message = with_rule_location(std::move(error.message), args.rules, rules);
    return fail_with(error);
  }
  return OpenedLog{std::move(*reader), static_cast<double>(window->count()) / 1000.0};
}

// One line on stderr about what the log gave (and the first lines it could not use).
void
log_counts(const predict::SkipCounts& counts)
{
  std::string line = "read " + std::to_string(counts.lines)
                     + " lines: " + std::to_string(counts.requests) + " requests";
  for (std::size_t r = 0; r < counts.skipped.size(); ++r) {
    if (counts.skipped[r] > 0) {
      line += ", " + std::to_string(counts.skipped[r]) + " "
              + std::string(predict::skip_reason_name(static_cast<predict::SkipReason>(r)));
    }
  }
  core::log(core::LogLevel::info, line);
  for (const std::string& example : counts.examples) {
    core::log(core::LogLevel::info, "  " + example);
  }
}

nlohmann::json
counts_json(const predict::SkipCounts& counts)
{
  nlohmann::json skipped = nlohmann::json::object();
  for (std::size_t r = 0; r < counts.skipped.size(); ++r) {
    skipped[std::string(predict::skip_reason_name(static_cast<predict::SkipReason>(r)))] =
        counts.skipped[r];
  }
  return {{"lines", counts.lines},
          {"requests", counts.requests},
          {"skipped", skipped},
          {"examples", counts.examples}};
}

// `share` as a percentage with one decimal ("84.7").
std::string
percent(double share)
{
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", share * 100);
  return buffer;
}

// A prediction's keys with their scores, expected cover, model and the requests after --at.
nlohmann::json
prediction_json(const predict::Prediction& prediction)
{
  nlohmann::json list = nlohmann::json::array();
  for (const predict::ScoredKey& key : prediction.keys) {
    list.push_back({{"key", key.key}, {"score", key.score}});
  }
  nlohmann::json features = nlohmann::json::object();
  for (const auto& [name, weight] : prediction.weights.features) {
    features[name] = weight;
  }
  return {{"keys", list},
          {"expected_cover", prediction.expected_cover},
          {"model",
           {{"candidate", prediction.weights.candidate},
            {"features", features},
            {"backtest_windows", prediction.pairs},
            {"backtest_cover", prediction.backtest_cover}}},
          {"left_out_after_at", prediction.left_out}};
}

void
add_selection(nlohmann::json& document, const PredictArgs& args)
{
  if (args.cover) {
    document["cover"] = *args.cover;
  } else {
    document["top"] = args.top;
  }
}

// `predict --by`: a prediction per segment, as `SEGMENT<TAB>KEY` lines or JSON.
int
predict_by_segment(const PredictArgs& args,
                   const OpenedLog& log,
                   const predict::PredictOptions& options)
{
  core::Result<std::vector<predict::SegmentPrediction>> predicted =
      predict::predict_segments(*log.reader, options, args.max_segments);
  if (!predicted) {
    return fail_with(predicted.error());
  }
  log_counts(log.reader->counts());
  if (args.output == "json") {
    nlohmann::json segments = nlohmann::json::array();
    for (const predict::SegmentPrediction& segment : *predicted) {
      nlohmann::json one = prediction_json(segment.prediction);
      one["segment"] = segment.segment;
      segments.push_back(std::move(one));
    }
    nlohmann::json document = {{"segments", segments},
                               {"window_seconds", log.window_s},
                               {"log", counts_json(log.reader->counts())}};
    add_selection(document, args);
    return print_output(document.dump(2) + "\n", "the predicted keys");
  }
  std::string text;
  for (const predict::SegmentPrediction& segment : *predicted) {
    core::log(core::LogLevel::info,
              "segment " + segment.segment + ": " + std::to_string(segment.prediction.keys.size())
                  + " keys, expected to cover " + percent(segment.prediction.expected_cover)
                  + "% of its next window's requests (model " + segment.prediction.weights.candidate
                  + ")");
    for (const predict::ScoredKey& key : segment.prediction.keys) {
      text += segment.segment;
      text += '\t';
      text += key.key;
      text += '\n';
    }
  }
  return print_output(text, "the predicted keys");
}

} // namespace

int
command_predict(const PredictArgs& args)
{
  std::variant<OpenedLog, int> opened = open_log(args.log, &args);
  if (const int* code = std::get_if<int>(&opened)) {
    return *code;
  }
  OpenedLog& log = std::get<OpenedLog>(opened);
  std::optional<double> at;
  if (!args.at.empty()) {
    core::Result<plan::Instant> instant = plan::parse_instant(args.at);
    if (!instant) {
      return fail_with(core::Error{core::Errc::usage, "--at: " + instant.error().message});
    }
    at = static_cast<double>(instant->time_since_epoch().count()) / 1000.0;
  }
  predict::PredictOptions options;
  options.window_s = log.window_s;
  options.capacity = args.log.capacity;
  options.top = args.top;
  options.cover = args.cover;
  options.max_keys = args.max_keys;
  options.at = at;
  if (!args.by.empty()) {
    return predict_by_segment(args, log, options);
  }
  core::Result<predict::Prediction> predicted = predict::predict_keys(*log.reader, options);
  if (!predicted) {
    return fail_with(predicted.error());
  }
  const predict::Prediction& prediction = *predicted;
  const std::vector<predict::ScoredKey>& keys = prediction.keys;
  const double expected = prediction.expected_cover;
  const predict::Weights& weights = prediction.weights;
  log_counts(prediction.log);
  if (prediction.left_out > 0) {
    core::log(core::LogLevel::info,
              std::to_string(prediction.left_out) + " requests at or after --at left out");
  }
  if (keys.empty()) {
    core::log(core::LogLevel::warning,
              at ? "no keys predicted: the log has no requests before --at"
                 : "no keys predicted: the log has no requests");
  } else if (args.cover && expected < *args.cover) {
    core::log(core::LogLevel::warning,
              "the model expects these " + std::to_string(keys.size()) + " keys to cover "
                  + percent(expected)
                  + "% of requests, short of --cover (raise --max-keys, or the log's new keys "
                    "cannot be predicted)");
  }
  if (args.output == "json") {
    nlohmann::json document = prediction_json(prediction);
    document["window_seconds"] = log.window_s;
    document["log"] = counts_json(prediction.log);
    add_selection(document, args);
    return print_output(document.dump(2) + "\n", "the predicted keys");
  }
  std::string text;
  for (const predict::ScoredKey& key : keys) {
    text += key.key;
    text += '\n';
  }
  core::log(core::LogLevel::info,
            std::to_string(keys.size()) + " keys, expected to cover " + percent(expected)
                + "% of the next window's requests (model " + weights.candidate + ", backtested on "
                + std::to_string(prediction.pairs) + " window pairs)");
  return print_output(text, "the predicted keys");
}

int
command_evaluate(const EvaluateArgs& args)
{
  std::variant<OpenedLog, int> opened = open_log(args.log);
  if (const int* code = std::get_if<int>(&opened)) {
    return *code;
  }
  OpenedLog& log = std::get<OpenedLog>(opened);
  predict::EvaluateOptions options;
  options.model.window_s = log.window_s;
  options.model.capacity = args.log.capacity;
  options.model.tops = args.tops.empty() ? std::vector<std::size_t>{100, 1000} : args.tops;
  core::Result<predict::Evaluation> evaluation = predict::evaluate(*log.reader, options);
  if (!evaluation) {
    return fail_with(evaluation.error());
  }
  log_counts(evaluation->log);
  if (evaluation->pairs == 0) {
    core::log(core::LogLevel::warning,
              "no pair of consecutive non-empty windows to score: the log spans less than two "
              "windows of --window");
  }
  if (!args.chart.empty()) {
    core::Result<void> written =
        write_report_file(args.chart, predict::evaluation_svg(*evaluation, log.window_s));
    if (!written) {
      core::log(core::LogLevel::error, "--chart: " + written.error().message);
      return k_exit_output_lost;
    }
  }
  return print_output(args.output == "json" ? predict::evaluation_json(*evaluation, log.window_s)
                                            : predict::evaluation_table(*evaluation, log.window_s),
                      "the evaluation");
}

void
add_log_options(CLI::App& command, LogArgs& args)
{
  command.add_option("--log", args.logs, "Access log file (repeatable; .gz read too; - is stdin)")
      ->required();
  command.add_option("--log-format", args.format, "combined, common, jsonl, csv, tsv or fields")
      ->capture_default_str();
  command.add_flag("--header", args.header, "csv/tsv/fields: the first line names the fields");
  command.add_option(
      "--time-field", args.time_field, "The time field (default: time for combined/common)");
  command.add_option("--time-unit",
                     args.time_unit,
                     "clf, iso8601, s, ms, us, ns or filetime (default: clf for combined/common, "
                     "else s)");
  command.add_option("--key", args.key, "Key template over fields, e.g. {path} or {3}:{5}");
  command.add_option("--rules", args.rules, "YAML list of {match: REGEX, key: TEMPLATE} rules");
  command.add_option(
      "--client", args.client, "Client template for sequences (default: {host} for web logs)");
  command.add_option("--status", args.status, "Keep only these status classes, e.g. 2xx,3xx");
  command.add_option("--method", args.methods, "Keep only this method (repeatable)");
  command.add_option("--path", args.path, "Keep only requests whose path matches REGEX");
  command.add_option("--window", args.window, "The window predicted at a time (default 1h)")
      ->capture_default_str();
  command.add_option("--capacity", args.capacity, "Keys the model tracks (memory bound)")
      ->check(CLI::Range(std::size_t{16}, std::size_t{100000000}));
}

CLI::App*
add_predict_command(CLI::App& app, PredictArgs& args)
{
  CLI::App* command =
      app.add_subcommand("predict", "Predict the keys the next window will ask for, from logs");
  add_log_options(*command, args.log);
  CLI::Option* top = command->add_option("--top", args.top, "How many keys (default 1000)")
                         ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  command->add_option("--cover", args.cover, "The fewest keys expected to cover this share")
      ->check(CLI::Range(0.0, 1.0))
      ->excludes(top);
  command->add_option("--max-keys", args.max_keys, "--cover: at most this many keys (10000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  command->add_option("--at", args.at, "Predict from the requests before this ISO 8601 instant");
  command->add_option("--output", args.output, "text (one key a line) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_option(
      "--by", args.by, "Predict per segment: a template over the log's fields ({host}, {3})");
  command->add_option("--by-prefixes",
                      args.by_prefixes,
                      "File of `PREFIX NAME` lines mapping the --by address to segment names");
  command->add_option("--max-segments", args.max_segments, "--by: at most this many segments (64)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  return command;
}

CLI::App*
add_evaluate_command(CLI::App& app, EvaluateArgs& args)
{
  CLI::App* command = app.add_subcommand(
      "evaluate", "Backtest predictions on logs against the last-window and all-time baselines");
  add_log_options(*command, args.log);
  command->add_option("--top", args.tops, "K keys per prediction (repeatable; default 100, 1000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  command->add_option("--output", args.output, "text (a table) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_option("--chart", args.chart, "Also draw the cover per window as an SVG file");
  return command;
}

} // namespace cachewarm::cli
