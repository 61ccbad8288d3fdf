#pragma once

// Private to src/cli: `predict` and `evaluate`, registered by cli.cpp.

#include <CLI/CLI.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace cachewarm::cli {

// The options that say how to read access logs (both commands).
struct LogArgs {
  std::vector<std::string> logs;
  std::string format = "combined";
  bool header = false;
  std::string time_field;
  std::string time_unit;
  std::string key;
  std::string rules;
  std::string client;
  std::vector<std::string> status;
  std::vector<std::string> methods;
  std::string path;
  std::string window = "1h";
  std::size_t capacity = 0;
};

struct PredictArgs {
  LogArgs log;
  std::size_t top = 1000;
  std::optional<double> cover;
  std::size_t max_keys = 10000;
  std::string at;
  std::string output = "text";
  std::string by;          // --by: a segment template; empty = one prediction for the whole log
  std::string by_prefixes; // --by-prefixes FILE: address prefixes to segment names
  std::size_t max_segments = 64;
};

struct EvaluateArgs {
  LogArgs log;
  std::vector<std::size_t> tops;
  std::string output = "text";
  std::string chart;
};

// Declares the commands on `app`, parsed into `args` (which must outlive `app`).
CLI::App* add_predict_command(CLI::App& app, PredictArgs& args);
CLI::App* add_evaluate_command(CLI::App& app, EvaluateArgs& args);

// Run the commands; return the exit code (0; 2 usage; 3 a log cannot be read; 74 the output
// cannot be written).
int command_predict(const PredictArgs& args);
int command_evaluate(const EvaluateArgs& args);

} // namespace cachewarm::cli
