#pragma once

// Private to src/cli: the live status line of `run` on stderr (--progress).

#include "cachewarm/exec/run_options.hpp"
#include "cachewarm/plan/plan.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace cachewarm::cli {

// What the status line shows at one moment.
struct ProgressState {
  std::size_t group = 0;   // 1-based position of the running group in the plan
  std::size_t groups = 0;  // groups in the plan
  std::string_view name;   // the running group's name
  std::uint64_t done = 0;  // keys written, skipped or failed in this group (x targets)
  std::uint64_t total = 0; // expected, 0 if unknown
  double keys_per_second = 0.0;
};

// The status line's text (without the carriage return and erase sequence):
// `[1/3] products [#####               ] 250/1000 25% 1200 keys/s`, or without a known total
// `[1/3] products 250 keys 1200 keys/s`. Pure.
std::string progress_text(const ProgressState& state);

// Redraws one status line on stderr every 250 ms while a run is going on, from the runner's
// atomic counters; the destructor stops the thread and erases the line.
class ProgressLine {
public:
  ProgressLine(const plan::Plan& plan, const exec::Progress& progress);
  ~ProgressLine();

  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

private:
  void loop(const std::stop_token& stop);

  const plan::Plan& m_plan;
  const exec::Progress& m_progress;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::jthread m_thread; // last: started after the members above exist
};

} // namespace cachewarm::cli
