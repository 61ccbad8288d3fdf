#pragma once

// Declarations private to src/sinks/redis*.cpp: the one place that opens connections to a Redis
// target (Dialer), shared by the workers' connections, their reconnects and the health probes, so
// that every transport and discovery (plain TCP, unix sockets, TLS, Sentinel, Cluster) works
// everywhere.

#include "cluster_topology.hpp"
#include "redis_transport.hpp"
#include "tls.hpp"

#include "cachewarm/core/c_ptr.hpp"
#include "cachewarm/core/result.hpp"
#include "cachewarm/sinks/redis.hpp"
#include "cachewarm/sinks/redis_command.hpp"
#include "cachewarm/sinks/redis_url.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::sinks {

using ReplyPtr = core::CPtr<redisReply, freeReplyObject>;

// An open connection: the stream and the node it reaches (`127.0.0.1:6379`, a socket path).
struct Link {
  TransportPtr transport;
  std::string node;
};

// The connection factory of one target: parses its URL once, holds its TLS configuration, asks
// its sentinels where the master is (and records which masters were reached) or holds its
// cluster's slot map. Thread-safe.
class Dialer {
public:
  // Errors: Errc::manifest (a malformed URL, TLS files OpenSSL refuses), prefixed with the
  // target's name.
  static core::Result<std::unique_ptr<Dialer>> create(const RedisOptions& options);

  // Opens a connection to the target (for a sentinel target: to the master the sentinels name,
  // after checking with ROLE that it is one) within connect_timeout, authenticates, selects the
  // database and PINGs. Messages say what failed but not where (callers prefix where()) and
  // never include a password.
  // Errors: Errc::target_unreachable (refused, timed out, TLS handshake, AUTH or SELECT
  // rejected, -LOADING, no sentinel reachable, master unknown or not a master).
  core::Result<Link> dial() const;

  // Cluster targets: opens a connection to `node` (a master named by the slot map or a
  // redirection), authenticates and PINGs. Errors as dial().
  core::Result<Link> dial_node(const HostPort& node) const;

  // The slot map and node counters of a cluster target; null for other targets.
  const ClusterTopology* cluster() const { return m_cluster.get(); }

  // Sentinel targets: whether a sentinel now names a master other than `node` that says it is
  // one (asked at most twice a second, whoever asks). Other targets: false.
  bool master_moved(const std::string& node) const;

  TargetFacts facts() const;

  const RedisOptions& options() const { return m_options; }
  const RedisAddress& address() const { return m_address; }
  // The URL with the password redacted.
  const std::string& description() const { return m_description; }
  // `target main (redis://127.0.0.1:6379/0)`, for messages.
  std::string where() const;

private:
  Dialer(RedisOptions options, RedisAddress address);

  // Opens, authenticates, selects and PINGs `address` (a node).
  core::Result<Link> open_node(const RedisAddress& address, const TlsClient* tls) const;
  // The sentinels' candidates for the master, best first; errors when none answered with one.
  core::Result<std::vector<HostPort>> ask_sentinels() const;
  core::Result<Link> dial_master() const;
  // Records that `node` was reached (sentinel targets).
  void reached(const std::string& node) const;
  bool left_before(const std::string& node) const; // under m_mutex

  RedisOptions m_options;
  RedisAddress m_address;
  std::string m_description;
  std::shared_ptr<const TlsClient> m_tls;          // data nodes (null: plain)
  std::shared_ptr<const TlsClient> m_sentinel_tls; // sentinels (null: plain)
  std::unique_ptr<ClusterTopology> m_cluster;      // cluster targets

  mutable std::mutex m_mutex;
  mutable std::vector<std::string> m_masters; // every master reached, in order of change
  mutable std::chrono::steady_clock::time_point m_checked{};
  mutable std::string m_named; // the master the sentinels named at the last check
};

// Sends `commands` (each its arguments) in one write and reads their replies in order, on a
// transport whose replies are redisReply objects. Errors: Errc::target_unreachable with the
// transport's error (it is then unusable). Error replies are replies, not errors.
core::Result<std::vector<ReplyPtr>>
pipeline(Transport& transport, std::span<const std::vector<std::string_view>> commands);

// Runs one command synchronously on a transport whose replies are redisReply objects (set-up
// and probes). Errors: Errc::target_unreachable with the transport's error (it is then
// unusable). An error reply is a reply, not an error.
core::Result<ReplyPtr> command(Transport& transport, std::initializer_list<std::string_view> args);

// hiredis' REDIS_REPLY_* as a ReplyType.
ReplyType reply_type(int type);

// `30s`, `1500ms`: a duration for messages.
std::string format_ms(std::chrono::milliseconds duration);

// `target main (redis://127.0.0.1:6379/0)`: how messages name a target.
std::string target_label(const RedisOptions& options, const std::string& description);

} // namespace cachewarm::sinks
