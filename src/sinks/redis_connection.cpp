#include "redis_connection.hpp"

#include "cachewarm/core/log.hpp"
#include "cachewarm/sinks/cluster_slots.hpp"
#include "cachewarm/sinks/redis_command.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <thread>
#include <utility>

namespace cachewarm::sinks {

namespace {

// A key redirected this often within one batch is failed (a cluster in a redirection loop).
constexpr unsigned k_max_redirects = 16;

// What the slot reader functions hand hiredis as the reply object: never dereferenced, only
// compared against NULL (which would mean out of memory).
char g_recorded = 0;

// Records a top-level reply in the reader's slot (elements of an array reply are not looked at).
void*
record(const redisReadTask* task, ReplyType type, long long integer, std::string_view error)
{
  if (task->parent == nullptr) {
    ReplySlot& slot = *static_cast<ReplySlot*>(task->privdata);
    slot.type = type;
    slot.integer = integer;
    slot.text.assign(error);
  }
  return &g_recorded;
}

void*
record_string(const redisReadTask* task, char* str, std::size_t len)
{
  const bool error = task->type == REDIS_REPLY_ERROR;
  return record(task, reply_type(task->type), 0, error ? std::string_view(str, len) : "");
}

void*
record_array(const redisReadTask* task, int /*elements*/)
{
  return record(task, ReplyType::array, 0, "");
}

void*
record_integer(const redisReadTask* task, long long value)
{
  return record(task, ReplyType::integer, value, "");
}

void*
record_nil(const redisReadTask* task)
{
  return record(task, ReplyType::nil, 0, "");
}

void
forget(void* /*object*/)
{}

redisReplyObjectFunctions g_slot_functions = {
    record_string, record_array, record_integer, record_nil, forget};

void
append_asking(std::string& out)
{
  out += "*1\r\n$6\r\nASKING\r\n";
}

} // namespace

RedisConnection::RedisConnection(const Dialer& dialer, std::optional<Link> link)
    : m_dialer(dialer)
    , m_options(dialer.options())
    // Seeded per connection, so workers that lost the server together do not retry in step.
    , m_backoff(m_options.reconnect_base, m_options.reconnect_cap, 2.0, std::random_device{}())
{
  if (link) {
    auto node = std::make_unique<Node>();
    node->address = std::move(link->node);
    node->transport = std::move(link->transport);
    node->transport->use_functions(&g_slot_functions, &node->slot);
    m_nodes.emplace(std::string(), std::move(node));
  }
}

void
RedisConnection::drop(Node& node)
{
  node.transport.reset();
  if (const ClusterTopology* cluster = m_dialer.cluster()) {
    cluster->mark_stale(); // a master that went away may have failed over
  }
}

void
RedisConnection::follow_master()
{
  constexpr std::chrono::seconds k_every{1};
  if (!m_dialer.address().via_sentinel()) {
    return;
  }
  const Clock::time_point now = Clock::now();
  const auto found = m_nodes.find(std::string());
  if (found == m_nodes.end() || !found->second->transport || now - m_master_checked < k_every) {
    return;
  }
  m_master_checked = now;
  if (m_dialer.master_moved(found->second->address)) {
    core::log(core::LogLevel::info,
              where() + ": the sentinels name a new master; leaving " + found->second->address);
    found->second->transport.reset();
  }
}

std::vector<RedisConnection::Part>
RedisConnection::route(std::span<const core::Entry> batch,
                       const std::vector<std::size_t>& pending,
                       const Tracking& tracking) const
{
  std::vector<Part> parts;
  const ClusterTopology* cluster = m_dialer.cluster();
  if (cluster == nullptr) {
    parts.push_back(Part{std::string(), HostPort{}, pending, nullptr, {}});
    return parts;
  }
  const std::shared_ptr<const SlotMap> map = cluster->map();
  std::map<std::string, std::size_t> index; // route -> part
  auto part_for = [&](const HostPort& host) -> std::size_t {
    const std::string address = host.host.empty() ? std::string("(no master)") : node_address(host);
    const auto [at, added] = index.emplace(address, parts.size());
    if (added) {
      parts.push_back(Part{address, host, {}, nullptr, {}});
    }
    return at->second;
  };
  // The common case without a string per key: the part of each master, by its index in the map.
  std::vector<std::size_t> by_master(map ? map->masters.size() : 0, SIZE_MAX);
  for (const std::size_t entry : pending) {
    std::size_t part = 0;
    if (tracking.asks[entry]) {
      part = part_for(*tracking.asks[entry]);
    } else if (const std::int16_t owner = map ? map->owner[key_slot(batch[entry].key)] : -1;
               owner >= 0) {
      std::size_t& known = by_master[static_cast<std::size_t>(owner)];
      if (known == SIZE_MAX) {
        known = part_for(map->masters[static_cast<std::size_t>(owner)]);
      }
      part = known;
    } else {
      part = part_for(HostPort{}); // no master serves the slot now: retried after a refresh
    }
    parts[part].entries.push_back(entry);
  }
  return parts;
}

RedisConnection::Node*
RedisConnection::connect(const Part& part, std::string& why)
{
  std::unique_ptr<Node>& node = m_nodes[part.route];
  if (node && node->transport) {
    return node.get();
  }
  if (m_dialer.cluster() != nullptr && part.host.host.empty()) {
    m_dialer.cluster()->mark_stale();
    why = "no master serves some of the batch's slots (the cluster is failing over?)";
    return nullptr;
  }
  core::Result<Link> link =
      m_dialer.cluster() != nullptr ? m_dialer.dial_node(part.host) : m_dialer.dial();
  if (!link) {
    if (const ClusterTopology* cluster = m_dialer.cluster()) {
      cluster->mark_stale(); // a master that cannot be reached may be failing over
      why = part.route + ": " + link.error().message;
    } else {
      why = link.error().message;
    }
    return nullptr;
  }
  if (!node) {
    node = std::make_unique<Node>();
  }
  node->address = std::move(link->node);
  node->transport = std::move(link->transport);
  // The set-up commands (AUTH, SELECT, PING) are done: from here on only write replies arrive.
  node->transport->use_functions(&g_slot_functions, &node->slot);
  return node.get();
}

RedisConnection::Round
RedisConnection::send_round(std::span<const core::Entry> batch,
                            std::vector<std::size_t>& pending,
                            Tracking& tracking,
                            BatchResult& result)
{
  Round round;
  std::vector<std::size_t> again; // to resend
  std::vector<Part> parts = route(batch, pending, tracking);
  // Send every node its share first, so that the nodes work in parallel, then read.
  for (Part& part : parts) {
    std::string why;
    Node* node = connect(part, why);
    if (node != nullptr) {
      m_out.clear();
      for (const std::size_t index : part.entries) {
        if (tracking.asks[index]) {
          append_asking(m_out);
        }
        append_write_command(m_out, batch[index]);
      }
      if (m_options.replicas_ack > 0) {
        append_wait_command(m_out, m_options.replicas_ack, m_options.replicas_ack_timeout);
      }
      if (node->transport->send(m_out)) {
        part.node = node;
        continue;
      }
      why = (m_dialer.cluster() != nullptr ? part.route + ": " : "") + node->transport->error();
      drop(*node);
    }
    // Nothing of this part was read: all of it stays pending.
    round.lost = true;
    round.reason = why;
    again.insert(again.end(), part.entries.begin(), part.entries.end());
  }
  for (Part& part : parts) {
    if (part.node != nullptr && !read_part(batch, part, tracking, again, result, round)) {
      round.lost = true;
      drop(*part.node);
    }
    if (const ClusterTopology* cluster = m_dialer.cluster(); cluster != nullptr && part.node) {
      cluster->record(part.node->address, part.counts);
    }
  }
  std::sort(again.begin(), again.end()); // batch order: a key written twice keeps its last value
  pending = std::move(again);
  return round;
}

bool
RedisConnection::redirected(const ClusterTopology& cluster,
                            Part& part,
                            std::size_t index,
                            Tracking& tracking,
                            ClassifiedReply& classified) const
{
  const std::string& text = part.node->slot.text;
  Redirection redirection;
  if (!parse_redirection(text, redirection)) {
    return false;
  }
  if (redirection.node.host.empty()) {
    redirection.node.host = part.host.host; // `:port`: the node did not know its own host
  }
  if (++tracking.redirects[index] > k_max_redirects) {
    classified.kind = "cluster_redirect";
    classified.message =
        "redirected " + std::to_string(k_max_redirects) + " times (last: " + text + ")";
    return false;
  }
  if (redirection.ask) {
    ++part.counts.ask;
    tracking.asks[index] = redirection.node;
  } else {
    ++part.counts.moved;
    cluster.moved(redirection.slot, redirection.node);
  }
  return true;
}

bool
RedisConnection::read_part(std::span<const core::Entry> batch,
                           Part& part,
                           Tracking& tracking,
                           std::vector<std::size_t>& again,
                           BatchResult& result,
                           Round& round)
{
  Node& node = *part.node;
  const int replicas = m_options.replicas_ack;
  const bool sentinel = m_dialer.address().via_sentinel();
  const ClusterTopology* cluster = m_dialer.cluster();
  std::vector<std::size_t> written; // acknowledged by the master; with replicas_ack, not yet final
  auto count_written = [&](std::size_t index) {
    ++result.written;
    ++part.counts.written;
    result.bytes += batch[index].key.size() + core::value_size(batch[index].value);
  };
  auto lost = [&](std::size_t from) {
    // Replies already read are acknowledged (without replicas_ack); the rest are resent on a
    // new connection.
    again.insert(
        again.end(), part.entries.begin() + static_cast<std::ptrdiff_t>(from), part.entries.end());
    if (replicas > 0) {
      again.insert(again.end(), written.begin(), written.end());
    }
    round.reason = (cluster != nullptr ? part.route + ": " : "") + node.transport->error();
    return false;
  };
  for (std::size_t read = 0; read < part.entries.size(); ++read) {
    const std::size_t index = part.entries[read];
    void* recorded = nullptr;
    if (tracking.asks[index] && !node.transport->receive(&recorded)) { // ASKING's +OK
      return lost(read);
    }
    tracking.asks[index].reset(); // -ASK holds for one command
    if (!node.transport->receive(&recorded)) {
      return lost(read);
    }
    ClassifiedReply classified = classify_reply(node.slot.type, node.slot.text, node.slot.integer);
    if (cluster != nullptr && classified.outcome == ReplyOutcome::failed
        && redirected(*cluster, part, index, tracking, classified)) {
      round.redirected = true;
      again.push_back(index);
      continue;
    }
    if (classified.kind == "readonly" && (sentinel || cluster != nullptr)) {
      // The node was demoted (a failover): find the master now, then resend.
      classified.retryable = true;
      round.redial = true;
    }
    switch (classified.outcome) {
    case ReplyOutcome::written:
      if (replicas > 0) {
        written.push_back(index);
      } else {
        count_written(index);
      }
      break;
    case ReplyOutcome::skipped:
      ++result.skipped;
      break;
    case ReplyOutcome::failed:
      if (classified.retryable) {
        tracking.deferred[index] = std::move(classified);
        round.deferred = true;
        again.push_back(index);
      } else {
        ++part.counts.failed;
        result.failures.push_back(core::Failure{
            batch[index].key, std::move(classified.kind), std::move(classified.message)});
      }
      break;
    }
  }
  if (replicas > 0) {
    void* recorded = nullptr;
    if (!node.transport->receive(&recorded)) {
      return lost(part.entries.size());
    }
    if (node.slot.type == ReplyType::integer && node.slot.integer >= replicas) {
      m_replicas_short = false;
      std::for_each(written.begin(), written.end(), count_written);
    } else if (!written.empty()) {
      const std::string why =
          node.slot.type == ReplyType::integer
              ? "only " + std::to_string(node.slot.integer) + " of " + std::to_string(replicas)
                    + " replicas acknowledged within " + format_ms(m_options.replicas_ack_timeout)
                    + " (replicas_ack)"
              : "WAIT failed: " + node.slot.text;
      for (const std::size_t index : written) {
        tracking.deferred[index] =
            ClassifiedReply{ReplyOutcome::failed, "not_replicated", why, true};
        tracking.nodes[index] = part.node->address;
        again.push_back(index);
      }
      round.deferred = true;
      round.redial = round.redial || sentinel; // the master may have moved
    }
  }
  if (round.redial) {
    drop(node);
  }
  return true;
}

void
RedisConnection::log_first_failure(const Round& round,
                                   const std::vector<std::size_t>& pending,
                                   const Tracking& tracking,
                                   std::size_t batch_size) const
{
  const std::string budget = format_ms(m_options.reconnect_budget);
  if (round.lost) {
    core::log(core::LogLevel::warning,
              where() + ": connection lost: " + round.reason + "; reconnecting for up to "
                  + budget);
    return;
  }
  const auto first = std::find_if(pending.begin(), pending.end(), [&](std::size_t i) {
    return !tracking.deferred[i].kind.empty();
  });
  const ClassifiedReply& reply = tracking.deferred[first != pending.end() ? *first : 0];
  core::log(core::LogLevel::warning,
            where() + ": " + std::to_string(pending.size()) + " of " + std::to_string(batch_size)
                + " keys got " + reply.kind + " replies (" + reply.message
                + "); resending them for up to " + budget);
}

core::Result<BatchResult>
RedisConnection::write(std::span<const core::Entry> batch)
{
  BatchResult result;
  std::vector<std::size_t> pending(batch.size()); // entries without a final answer yet
  std::iota(pending.begin(), pending.end(), std::size_t{0});
  Tracking tracking{std::vector<ClassifiedReply>(batch.size()),
                    std::vector<std::optional<HostPort>>(batch.size()),
                    std::vector<unsigned>(batch.size(), 0),
                    std::vector<std::string>(batch.size())};
  std::optional<Clock::time_point> first_failure;
  const std::chrono::milliseconds budget = m_options.reconnect_budget;
  auto not_replicated = [&](std::size_t index) {
    return tracking.deferred[index].kind == "not_replicated";
  };
  // Entries that only lack replicas become failures (the target itself answers).
  auto fail_unreplicated = [&]() {
    std::vector<std::size_t> rest;
    for (const std::size_t index : pending) {
      if (not_replicated(index)) {
        result.failures.push_back(core::Failure{batch[index].key,
                                                tracking.deferred[index].kind,
                                                std::move(tracking.deferred[index].message)});
        if (const ClusterTopology* cluster = m_dialer.cluster()) {
          cluster->record(tracking.nodes[index], NodeCounts{0, 1, 0, 0});
        }
      } else {
        rest.push_back(index);
      }
    }
    pending = std::move(rest);
  };
  for (;;) {
    follow_master();
    if (const ClusterTopology* cluster = m_dialer.cluster()) {
      (void)cluster->refresh(false); // when stale; a failure shows as a failed connection
    }
    const Round round = send_round(batch, pending, tracking, result);
    if (m_replicas_short) {
      fail_unreplicated();
    }
    if (pending.empty()) {
      if (first_failure) {
        core::log(core::LogLevel::info,
                  where() + ": recovered: batch written "
                      + format_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                          Clock::now() - *first_failure))
                      + " after its first failure");
      }
      m_backoff.reset();
      return result;
    }
    if (round.redirected && !round.lost && !round.deferred) {
      continue; // -MOVED/-ASK: the right node is known, resend at once
    }
    const bool answered = !round.lost; // only retryable replies are pending
    const Clock::time_point now = Clock::now();
    if (!first_failure) {
      first_failure = now;
      m_backoff.reset();
      log_first_failure(round, pending, tracking, batch.size());
    }
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - *first_failure);
    if (elapsed >= budget) {
      m_backoff.reset();
      if (answered) {
        // The target answers but its replicas do not keep up: those keys failed; and later
        // batches stop waiting for replicas that are not coming.
        const std::size_t before = pending.size();
        fail_unreplicated();
        m_replicas_short = m_replicas_short || pending.size() < before;
        if (pending.empty()) {
          return result;
        }
      }
      // Down, or answering but busy (loading, ...) for the whole budget: either way the
      // target cannot take writes now, and every later batch would wait out the budget again.
      const std::string why =
          answered
              ? "still answering " + tracking.deferred[pending.front()].message + " after "
                    + format_ms(budget) + " (reconnect_budget)"
              : "connection lost: " + round.reason + " (gave up after " + format_ms(budget) + ")";
      result.stopped = core::Error{core::Errc::target_unreachable, where() + ": " + why};
      return result;
    }
    if (!wait_unless_stopped(std::min(m_backoff.next(), budget - elapsed))) {
      result.stopped = core::Error{core::Errc::interrupted,
                                   where() + ": stopped while waiting for the target to recover"};
      return result;
    }
  }
}

bool
RedisConnection::wait_unless_stopped(std::chrono::milliseconds duration) const
{
  constexpr std::chrono::milliseconds k_tick{50};
  const Clock::time_point until = Clock::now() + duration;
  for (Clock::time_point now = Clock::now(); now < until; now = Clock::now()) {
    if (stopping()) {
      return false;
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(k_tick, until - now));
  }
  return !stopping();
}

core::Result<std::uint64_t>
RedisConnection::remove(std::span<const std::string> keys)
{
  // Routed like writes (DEL of one key is one slot), in one round trip per node, no retries.
  std::vector<core::Entry> entries(keys.size());
  std::vector<std::size_t> all(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    entries[i].key = keys[i];
    all[i] = i;
  }
  const Tracking tracking{{}, std::vector<std::optional<HostPort>>(keys.size()), {}, {}};
  std::uint64_t removed = 0;
  for (Part& part : route(entries, all, tracking)) {
    std::string why;
    Node* node = connect(part, why);
    if (node == nullptr) {
      return core::fail(core::Errc::target_unreachable, where() + ": " + why);
    }
    m_out.clear();
    for (const std::size_t index : part.entries) {
      append_delete_command(m_out, keys[index]);
    }
    bool sent = node->transport->send(m_out);
    for (std::size_t i = 0; sent && i < part.entries.size(); ++i) {
      void* recorded = nullptr;
      sent = node->transport->receive(&recorded);
      if (sent && node->slot.type == ReplyType::integer && node->slot.integer > 0) {
        removed += static_cast<std::uint64_t>(node->slot.integer);
      }
    }
    if (!sent) {
      const std::string reason = node->transport->error();
      drop(*node);
      return core::fail(core::Errc::target_unreachable, where() + ": " + reason);
    }
  }
  return removed;
}

} // namespace cachewarm::sinks
