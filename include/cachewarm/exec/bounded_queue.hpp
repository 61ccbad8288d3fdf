#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace cachewarm::exec {

// A blocking multi-producer multi-consumer queue holding at most `capacity` items: a full queue
// blocks producers (back-pressure), so memory stays O(capacity) whatever flows through it.
template <class T> class BoundedQueue {
public:
  explicit BoundedQueue(std::size_t capacity)
      : m_capacity(capacity == 0 ? 1 : capacity)
  {}

  // Blocks while full. Returns false (dropping `item`) if the queue was closed.
  bool push(T item);

  // Blocks until an item arrives; nullopt once the queue is closed and drained.
  std::optional<T> pop();

  // No more pushes; consumers drain what is left, then pop() returns nullopt.
  void close();

private:
  const std::size_t m_capacity;
  std::mutex m_mutex;
  std::condition_variable m_not_full;
  std::condition_variable m_not_empty;
  std::deque<T> m_items;
  bool m_closed = false;
};

// --- Inline implementations ---

template <class T>
bool
BoundedQueue<T>::push(T item)
{
  std::unique_lock lock(m_mutex);
  m_not_full.wait(lock, [this] { return m_closed || m_items.size() < m_capacity; });
  if (m_closed) {
    return false;
  }
  m_items.push_back(std::move(item));
  m_not_empty.notify_one();
  return true;
}

template <class T>
std::optional<T>
BoundedQueue<T>::pop()
{
  std::unique_lock lock(m_mutex);
  m_not_empty.wait(lock, [this] { return m_closed || !m_items.empty(); });
  if (m_items.empty()) {
    return std::nullopt;
  }
  T item = std::move(m_items.front());
  m_items.pop_front();
  m_not_full.notify_one();
  return item;
}

template <class T>
void
BoundedQueue<T>::close()
{
  std::lock_guard lock(m_mutex);
  m_closed = true;
  m_not_full.notify_all();
  m_not_empty.notify_all();
}

} // namespace cachewarm::exec
