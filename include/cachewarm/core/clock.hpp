#pragma once

#include <chrono>

namespace cachewarm::core {

// A monotonic time source that tests can replace to step time by hand.
class Clock {
public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() const = 0;
};

// The real steady clock.
class SteadyClock final : public Clock {
public:
  std::chrono::steady_clock::time_point now() const override
  {
    return std::chrono::steady_clock::now();
  }
};

// A clock that only moves when told to (unit tests).
class ManualClock final : public Clock {
public:
  std::chrono::steady_clock::time_point now() const override { return m_now; }
  void advance(std::chrono::nanoseconds by) { m_now += by; }

private:
  std::chrono::steady_clock::time_point m_now{};
};

} // namespace cachewarm::core
