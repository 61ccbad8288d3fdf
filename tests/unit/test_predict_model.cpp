#include "../../src/predict/key_table.hpp"
#include "support/results.hpp"
#include "support/temp_files.hpp"

#include "cachewarm/predict/access_log.hpp"
#include "cachewarm/predict/evaluate.hpp"
#include "cachewarm/predict/model.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

using cachewarm::predict::evaluate;
using cachewarm::predict::EvaluateOptions;
using cachewarm::predict::Evaluation;
using cachewarm::predict::LogFormat;
using cachewarm::predict::LogReader;
using cachewarm::predict::LogSpec;
using cachewarm::predict::Model;
using cachewarm::predict::ModelOptions;
using cachewarm::predict::Predictor;
using cachewarm::predict::ScoredKey;
using cachewarm::predict::detail::ClientTable;
using cachewarm::predict::detail::KeyTable;
using cachewarm::predict::detail::numbered;
using cachewarm::predict::detail::successor;
using namespace cachewarm::test;

namespace {

// 2015-05-17T10:00:00Z.
constexpr double k_t0 = 1431856800;

std::vector<std::string>
keys_of(const std::vector<ScoredKey>& scored)
{
  std::vector<std::string> out;
  for (const ScoredKey& key : scored) {
    out.push_back(key.key);
  }
  return out;
}

ModelOptions
options(std::vector<std::size_t> tops, double window_s = 3600)
{
  ModelOptions out;
  out.window_s = window_s;
  out.tops = std::move(tops);
  return out;
}

// `seconds` after k_t0 as a fields-format line `TIME KEY CLIENT`.
std::string
line(double seconds, const std::string& key, const std::string& client = "c1")
{
  return std::to_string(static_cast<long long>(k_t0 + seconds)) + " " + key + " " + client + "\n";
}

Evaluation
evaluate_text(const std::string& log, std::vector<std::size_t> tops, double window_s = 3600)
{
  TempFile file(log, ".log");
  LogSpec spec;
  spec.format = LogFormat::fields;
  spec.time_field = "1";
  spec.key = "{2}";
  spec.client = "{3}";
  std::unique_ptr<LogReader> reader = require_ok(LogReader::open(spec, {file.path()}));
  EvaluateOptions evaluate_options;
  evaluate_options.model = options(std::move(tops), window_s);
  return require_ok(evaluate(*reader, evaluate_options));
}

} // namespace

TEST_SUITE("predict::model")
{
  TEST_CASE("the metrics of a hand-computed window pair")
  {
    // Window 0: a a a b. Window 1: a a c c (a first). Window 2: empty. Window 3: c.
    std::string log;
    log += line(0, "a") + line(60, "a") + line(120, "a") + line(180, "b");
    log += line(3600, "a") + line(3660, "a") + line(3720, "c") + line(3780, "c");
    log += line(3 * 3600 + 10, "c");
    const Evaluation result = evaluate_text(log, {1, 2});
    // (0, 1) is a pair; (1, 3) is not (window 2 is empty).
    REQUIRE(result.pairs == 1);
    REQUIRE(result.windows.size() == 1);
    CHECK(result.windows[0].window == 1);
    CHECK(result.windows[0].requests == 4);
    CHECK(result.windows[0].distinct == 2);
    // K=1: both baselines predict a: half of window 1's requests; a is window 1's top 1 (the
    // 2-2 tie goes to the key requested first); one of its two keys.
    const auto& one = result.means[0];
    CHECK(one.top == 1);
    CHECK(one.last_window.cover == doctest::Approx(0.5));
    CHECK(one.last_window.precision == doctest::Approx(1.0));
    CHECK(one.last_window.recall == doctest::Approx(0.5));
    CHECK(one.all_time.cover == doctest::Approx(0.5));
    // Without history the model weighs as all_time does.
    CHECK(one.model.cover == doctest::Approx(0.5));
    // K=2: a and b; b is not requested in window 1: cover 0.5, top 2 of window 1 is {a, c}.
    const auto& two = result.means[1];
    CHECK(two.all_time.cover == doctest::Approx(0.5));
    CHECK(two.all_time.precision == doctest::Approx(0.5));
    CHECK(two.all_time.recall == doctest::Approx(0.5));
  }

  TEST_CASE("the baselines rank by count, ties by the most recent request")
  {
    Model model(options({2}));
    model.add(k_t0, "x", "");
    model.add(k_t0 + 1, "y", "");
    model.add(k_t0 + 2, "z", "");
    model.add(k_t0 + 3, "x", "");
    // All time: x (2), then y and z (1 each): z was requested last.
    CHECK(keys_of(model.predict(2, Predictor::all_time)) == std::vector<std::string>{"x", "z"});
    model.add(k_t0 + 3600, "y", "");
    model.add(k_t0 + 3601, "w", "");
    // Last window (the one in progress): y and w once each, w the more recent.
    CHECK(keys_of(model.predict(2, Predictor::last_window)) == std::vector<std::string>{"w", "y"});
  }

  TEST_CASE("scores estimate shares of the next window and add up to at most 1")
  {
    Model model(options({10}));
    for (int i = 0; i < 30; ++i) {
      model.add(k_t0 + i, i % 3 == 0 ? "hot" : "k" + std::to_string(i), "");
    }
    const std::vector<ScoredKey> keys = model.predict(10);
    REQUIRE(!keys.empty());
    CHECK(keys[0].key == "hot");
    double sum = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      CHECK(keys[i].score > 0);
      CHECK((i == 0 || keys[i].score <= keys[i - 1].score));
      sum += keys[i].score;
    }
    CHECK(sum <= 1.0 + 1e-9);
    CHECK(keys[0].score == doctest::Approx(10.0 / 30.0));
  }

  TEST_CASE("a sequential scan: the model learns to predict the successors the baselines miss")
  {
    // Each 60 s window reads the next 40 blocks: no block is read twice, so the baselines
    // (which only predict blocks already read) cover nothing.
    std::string log;
    int block = 0;
    for (int window = 0; window < 12; ++window) {
      for (int i = 0; i < 40; ++i) {
        log += line(window * 60 + i, "block:" + std::to_string(++block));
      }
    }
    const Evaluation result = evaluate_text(log, {16}, 60);
    REQUIRE(result.pairs == 11);
    const auto& mean = result.means[0];
    CHECK(mean.all_time.cover == 0);
    CHECK(mean.last_window.cover == 0);
    CHECK(mean.model.cover > 0.1);
    CHECK(result.weights[0].candidate.find("next") != std::string::npos);
  }

  TEST_CASE("the client table remembers each client's last request, at most its capacity")
  {
    ClientTable clients(16);
    ClientTable::Last& first = clients.last("c1");
    CHECK(first.key.empty());
    first.key = "/page";
    first.time = k_t0;
    CHECK(clients.last("c1").key == "/page");
    // 40 more clients: the least recent half goes whenever the table is full; c1 is the oldest.
    for (int c = 0; c < 40; ++c) {
      ClientTable::Last& last = clients.last("other" + std::to_string(c));
      last.key = "/x";
      last.time = k_t0 + 1 + c;
    }
    CHECK(clients.last("c1").key.empty());
    CHECK(clients.last("other39").key == "/x");
  }

  TEST_CASE("the sketch keeps at most its capacity and keeps the heavy hitters")
  {
    KeyTable table(64, {900, 3600, 14400});
    for (int i = 0; i < 5000; ++i) {
      bool seen = false;
      table.add(i % 5 == 0 ? "heavy" : "rare" + std::to_string(i), k_t0 + i, 0, seen);
    }
    CHECK(table.keys().size() <= 64);
    CHECK(table.evictions() > 0);
    REQUIRE(table.find("heavy") != nullptr);
    // Its count while tracked: every one of its 1000 requests (never evicted).
    CHECK(table.find("heavy")->count == doctest::Approx(1000));
    CHECK(table.total() == doctest::Approx(5000));
  }

  TEST_CASE("decayed shares favour recent requests")
  {
    KeyTable table(16, {60, 3600, 86400});
    bool seen = false;
    table.add("old", k_t0, 0, seen);
    table.add("new", k_t0 + 600, 0, seen);
    const double old_short = table.decayed_share(*table.find("old"), 0);
    const double new_short = table.decayed_share(*table.find("new"), 0);
    // Ten half-lives apart: 1 to 1024.
    CHECK(new_short / old_short == doctest::Approx(1024.0).epsilon(0.001));
    CHECK(old_short + new_short == doctest::Approx(1.0));
  }

  TEST_CASE("a key is seen before a window when it was requested in an earlier one")
  {
    KeyTable table(16, {60, 3600, 86400});
    bool seen = true;
    table.add("a", k_t0, 0, seen);
    CHECK_FALSE(seen);
    table.add("a", k_t0 + 1, 0, seen);
    CHECK_FALSE(seen); // only in window 0 itself
    table.add("a", k_t0 + 3600, 1, seen);
    CHECK(seen);
    table.add("b", k_t0 + 3601, 1, seen);
    CHECK_FALSE(seen);
  }

  TEST_CASE("counters in keys and their successors")
  {
    CHECK(successor(*numbered("block:41"), 1) == "block:42");
    CHECK(successor(*numbered("/blog?page=9"), 2) == "/blog?page=11");
    CHECK(successor(*numbered("/img/007.png"), 3) == "/img/010.png");
    CHECK(successor(*numbered("/v/2/item/99"), 1) == "/v/2/item/100");
    CHECK(successor(*numbered("42932745"), 1) == "42932746");
    CHECK_FALSE(numbered("lML9dik8QNw").has_value()); // digits inside a word: an id
    CHECK_FALSE(numbered("/about").has_value());
    CHECK_FALSE(numbered("n:1234567890123456789").has_value()); // too long for a counter
  }

  TEST_CASE("close_until closes the last window so its pair is scored")
  {
    Model model(options({1}));
    model.add(k_t0, "a", "");
    model.add(k_t0 + 3600, "a", "");
    CHECK(model.pairs() == 0);
    model.close_until(k_t0 + 7200);
    CHECK(model.pairs() == 1);
    CHECK(model.window_index() == 2);
  }

  TEST_CASE("requests out of time order are counted in the current window")
  {
    Model model(options({1}));
    model.add(k_t0, "a", "");
    model.add(k_t0 + 3700, "b", "");
    model.add(k_t0 + 10, "c", ""); // window 0 is closed
    CHECK(model.out_of_order() == 1);
    CHECK(model.requests() == 3);
    // Both once in window 1; b's time is the later one.
    CHECK(keys_of(model.predict(3, Predictor::last_window)) == std::vector<std::string>{"b", "c"});
  }
}
