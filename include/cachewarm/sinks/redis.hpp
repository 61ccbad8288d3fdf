#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/tls_settings.hpp"
#include "cachewarm/sinks/sink.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cachewarm::sinks {

struct RedisOptions {
  std::string name; // the target's name in the manifest
  std::string url;  // see parse_redis_url
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{10000};
  // How long write() keeps trying after a batch's first failure (a lost connection, a failed
  // reconnect, or -BUSY/-LOADING/-MASTERDOWN/-TRYAGAIN replies) before giving up, waiting between
  // attempts with capped exponential backoff and full jitter (reconnect_base, reconnect_cap).
  // connect() itself makes a single attempt.
  std::chrono::milliseconds reconnect_budget{30000};
  std::chrono::milliseconds reconnect_base{50};
  std::chrono::milliseconds reconnect_cap{2000};
  // Set by SIGINT/SIGTERM (borrowed, may be null): write() then gives up waiting out a fault
  // within 50 ms and fails with Errc::interrupted.
  const std::atomic<bool>* stop = nullptr;
  // rediss:// and rediss+sentinel://: how to speak TLS to the data nodes (absent: verify against
  // the system's trust store).
  std::optional<core::TlsSettings> tls;
  // redis+sentinel://: AUTH to the sentinels (not the data password), and TLS to them (absent:
  // TLS only with rediss+sentinel://, with the data nodes' settings).
  std::string sentinel_user;
  std::string sentinel_password;
  std::optional<core::TlsSettings> sentinel_tls;
  // After every pipeline round, `WAIT replicas_ack replicas_ack_timeout`: the round's keys count
  // as written only when that many replicas hold them. 0: no WAIT.
  int replicas_ack = 0;
  std::chrono::milliseconds replicas_ack_timeout{5000};
  // The manifest's `cluster: true`: a redis:// or rediss:// URL names one seed of a cluster.
  bool cluster = false;
};

// A Redis server (directly, over TLS, or the master a set of sentinels names). Errors:
// Errc::manifest for a malformed URL or TLS settings OpenSSL refuses (unreadable CA, bad key).
core::Result<std::unique_ptr<Sink>> make_redis_sink(const RedisOptions& options);

// A sink that writes nothing and counts every entry as written (--dry-run).
std::unique_ptr<Sink> make_dry_run_sink(std::string name, std::string description);

} // namespace cachewarm::sinks
