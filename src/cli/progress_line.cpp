#include "progress_line.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace cachewarm::cli {

std::string
progress_text(const ProgressState& state)
{
  std::string line = "[" + std::to_string(state.group) + "/" + std::to_string(state.groups) + "] "
                     + std::string(state.name) + " ";
  if (state.total > 0) {
    const double percent =
        100.0 * static_cast<double>(state.done) / static_cast<double>(state.total);
    const auto filled = static_cast<std::size_t>(std::clamp(percent / 5.0, 0.0, 20.0));
    line += "[" + std::string(filled, '#') + std::string(20 - filled, ' ') + "] "
            + std::to_string(state.done) + "/" + std::to_string(state.total) + " "
            + std::to_string(std::llround(percent)) + "%";
  } else {
    line += std::to_string(state.done) + " keys";
  }
  return line + " " + std::to_string(std::llround(state.keys_per_second)) + " keys/s";
}

ProgressLine::ProgressLine(const plan::Plan& plan, const exec::Progress& progress)
    : m_plan(plan)
    , m_progress(progress)
    , m_thread([this](std::stop_token stop) { loop(stop); })
{}

ProgressLine::~ProgressLine()
{
  m_thread.request_stop();
  m_wake.notify_all();
  m_thread.join();
  std::fputs("\r\033[K", stderr);
}

void
ProgressLine::loop(const std::stop_token& stop)
{
  std::uint64_t last_done = 0;
  auto last_time = std::chrono::steady_clock::now();
  double rate = 0.0;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(m_mutex);
      m_wake.wait_for(lock, std::chrono::milliseconds(250), [&] { return stop.stop_requested(); });
    }
    const std::size_t index = m_progress.group_index.load();
    if (index >= m_plan.groups.size()) {
      continue;
    }
    const std::uint64_t done = m_progress.done.load();
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_time).count();
    if (seconds > 0.0 && done >= last_done) {
      rate = 0.7 * rate + 0.3 * static_cast<double>(done - last_done) / seconds;
    }
    last_done = done;
    last_time = now;
    const ProgressState state{index + 1,
                              m_plan.groups.size(),
                              m_plan.groups[index].spec->name,
                              done,
                              m_progress.total.load(),
                              rate};
    const std::string line = "\r\033[K" + progress_text(state);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
  }
}

} // namespace cachewarm::cli
