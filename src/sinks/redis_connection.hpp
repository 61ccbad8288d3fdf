#pragma once

// Private to src/sinks: one worker's connection to a Redis target. A batch is split by node
// (one node for a plain or sentinel target; the slot's master for a cluster), each node's share
// pipelined on that node's connection, and every entry resent until it has a final answer or the
// reconnect budget is spent.

#include "redis_detail.hpp"

#include "cachewarm/core/backoff.hpp"
#include "cachewarm/sinks/sink.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cachewarm::sinks {

// The reply to a write command, as a connection's reader records it: writes only need the
// reply's type, its integer and an error's text, so no redisReply is allocated per key.
struct ReplySlot {
  ReplyType type = ReplyType::nil;
  long long integer = 0;
  std::string text; // an error reply's text, else empty
};

class RedisConnection final : public SinkConnection {
public:
  // `link`: an already open connection to the target (plain and sentinel targets), or none.
  RedisConnection(const Dialer& dialer, std::optional<Link> link);

  core::Result<BatchResult> write(std::span<const core::Entry> batch) override;
  core::Result<std::uint64_t> remove(std::span<const std::string> keys) override;

private:
  using Clock = std::chrono::steady_clock;

  // One node's open connection; its replies are recorded in `slot`.
  struct Node {
    std::string address; // `127.0.0.1:7000`
    TransportPtr transport;
    ReplySlot slot;
  };

  // The entries of one round that go to one node.
  struct Part {
    std::string route; // cluster: the node's address; else empty (the target's one node)
    HostPort host;     // cluster: the node to dial
    std::vector<std::size_t> entries;
    Node* node = nullptr; // set once connected and sent
    NodeCounts counts;
  };

  // What a round trip left to do.
  struct Round {
    bool lost = false;       // a connection broke or could not be opened (`reason`)
    bool redial = false;     // a node is no longer a master: ask the sentinels again
    bool redirected = false; // entries were -MOVED/-ASK: resend them right away
    bool deferred = false;   // entries got retryable replies: resend them after a backoff
    std::string reason;
  };

  // Per batch: what each entry still needs.
  struct Tracking {
    std::vector<ClassifiedReply> deferred;     // the last retryable error of each entry
    std::vector<std::optional<HostPort>> asks; // -ASK: the node to send it to once, with ASKING
    std::vector<unsigned> redirects;           // how often it was redirected
    std::vector<std::string> nodes;            // cluster: the node that last took it
  };

  // One round trip: sends the `pending` entries (indices into `batch`) to their nodes, each
  // node's share in one write with a WAIT when replicas_ack is set, then reads every reply.
  // Final outcomes are counted in `result`; `pending` is left with what to resend, in batch
  // order.
  Round send_round(std::span<const core::Entry> batch,
                   std::vector<std::size_t>& pending,
                   Tracking& tracking,
                   BatchResult& result);

  // Splits `pending` by node (cluster: by slot, -ASK entries to the node named).
  std::vector<Part> route(std::span<const core::Entry> batch,
                          const std::vector<std::size_t>& pending,
                          const Tracking& tracking) const;

  // The open connection of `part`'s node, dialled if needed; null with `why` on failure.
  Node* connect(const Part& part, std::string& why);

  // Reads `part`'s replies; entries to resend go to `again`. False when the connection broke.
  bool read_part(std::span<const core::Entry> batch,
                 Part& part,
                 Tracking& tracking,
                 std::vector<std::size_t>& again,
                 BatchResult& result,
                 Round& round);

  // A -MOVED/-ASK reply to `index` in `part`: notes where the key lives now (true: resend it).
  // False when the reply is no redirection, or the key was redirected too often (then
  // `classified` says so as a cluster_redirect failure).
  bool redirected(const ClusterTopology& cluster,
                  Part& part,
                  std::size_t index,
                  Tracking& tracking,
                  ClassifiedReply& classified) const;

  // The warning at a batch's first failed round: the connection lost, or what the retryable
  // replies said, and how long write() keeps trying.
  void log_first_failure(const Round& round,
                         const std::vector<std::size_t>& pending,
                         const Tracking& tracking,
                         std::size_t batch_size) const;

  void drop(Node& node);

  // Sentinel targets, about once a second: drops the connection when the sentinels name
  // another master, so that the next round dials the new one.
  void follow_master();

  // Sleeps `duration`, waking every 50 ms to check for a stop request. False if one came.
  bool wait_unless_stopped(std::chrono::milliseconds duration) const;

  bool stopping() const { return m_options.stop != nullptr && m_options.stop->load(); }

  // `target main (redis://127.0.0.1:6379/0)`, for messages.
  std::string where() const { return m_dialer.where(); }

  const Dialer& m_dialer;
  const RedisOptions& m_options;
  std::map<std::string, std::unique_ptr<Node>> m_nodes; // by route
  std::string m_out; // a node's share of the round in RESP; keeps its capacity
  core::Backoff m_backoff;
  Clock::time_point m_master_checked = Clock::now();
  // A batch already waited out the reconnect budget for its replicas: later shortfalls fail at
  // once (after one replicas_ack_timeout) until a WAIT is satisfied again.
  bool m_replicas_short = false;
};

} // namespace cachewarm::sinks
