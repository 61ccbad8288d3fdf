#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace cachewarm::exec {

// Which batches of one group every target acknowledged, so that the resume state only ever
// records a prefix of the key source whose keys are all in every target (batches complete out
// of order across workers and targets). Thread-safe: the producer adds, every lane's workers ack.
class AckTracker {
public:
  // `rows_done`: the key-source rows already acknowledged (by an earlier run, when resuming).
  // `on_advance(rows)` is called, under the tracker's lock, whenever the acknowledged prefix grows;
  // it must not call back into the tracker.
  AckTracker(std::uint64_t rows_done, std::function<void(std::uint64_t)> on_advance);

  // Registers batch `seq` (consecutive from 0, checked), which ends at key-source row `rows_end`
  // and awaits `pending` acknowledgements (0: nothing to write, complete at once).
  void add(std::uint64_t seq, std::uint64_t rows_end, std::size_t pending);

  // One target acknowledged batch `seq`, which must be registered and still pending.
  void ack(std::uint64_t seq);

  // True when every registered batch was acknowledged by every target.
  bool complete() const;

  // The end of the acknowledged prefix of the key source, in rows.
  std::uint64_t rows_done() const;

private:
  struct Pending {
    std::uint64_t rows_end = 0;
    std::size_t remaining = 0;
  };

  void advance_locked();

  mutable std::mutex m_mutex;
  std::deque<Pending> m_pending;
  std::uint64_t m_base = 0;
  std::uint64_t m_rows_done;
  std::function<void(std::uint64_t)> m_on_advance;
};

} // namespace cachewarm::exec
