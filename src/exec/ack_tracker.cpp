#include "cachewarm/exec/ack_tracker.hpp"

#include "cachewarm/core/assert.hpp"

#include <utility>

namespace cachewarm::exec {

AckTracker::AckTracker(std::uint64_t rows_done, std::function<void(std::uint64_t)> on_advance)
    : m_rows_done(rows_done)
    , m_on_advance(std::move(on_advance))
{}

void
AckTracker::add(std::uint64_t seq, std::uint64_t rows_end, std::size_t pending)
{
  std::lock_guard lock(m_mutex);
  CW_ASSERT(seq == m_base + m_pending.size());
  m_pending.push_back(Pending{rows_end, pending});
  advance_locked();
}

void
AckTracker::ack(std::uint64_t seq)
{
  std::lock_guard lock(m_mutex);
  CW_ASSERT(seq >= m_base && seq - m_base < m_pending.size());
  CW_ASSERT(m_pending[seq - m_base].remaining > 0);
  --m_pending[seq - m_base].remaining;
  advance_locked();
}

bool
AckTracker::complete() const
{
  std::lock_guard lock(m_mutex);
  return m_pending.empty();
}

std::uint64_t
AckTracker::rows_done() const
{
  std::lock_guard lock(m_mutex);
  return m_rows_done;
}

void
AckTracker::advance_locked()
{
  bool advanced = false;
  while (!m_pending.empty() && m_pending.front().remaining == 0) {
    m_rows_done = m_pending.front().rows_end;
    m_pending.pop_front();
    ++m_base;
    advanced = true;
  }
  if (advanced && m_on_advance) {
    m_on_advance(m_rows_done);
  }
}

} // namespace cachewarm::exec
