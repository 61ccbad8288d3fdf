#include "cachewarm/sinks/redis.hpp"

#include "redis_connection.hpp"
#include "redis_detail.hpp"

#include "cachewarm/sinks/redis_command.hpp"
#include "cachewarm/sinks/redis_info.hpp"
#include "cachewarm/sinks/redis_url.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cachewarm::sinks {

namespace {

class RedisSink final : public Sink {
public:
  explicit RedisSink(std::unique_ptr<Dialer> dialer)
      : m_dialer(std::move(dialer))
  {}

  const std::string& name() const override { return m_dialer->options().name; }
  std::string describe() const override { return m_dialer->description(); }
  core::Result<std::unique_ptr<SinkConnection>> connect() override;
  core::Result<std::unique_ptr<HealthProbe>> probe() override;
  TargetFacts facts() const override { return m_dialer->facts(); }

  // Opens a connection; errors name the target. Messages never include a password.
  core::Result<Link> open() const;

private:
  std::unique_ptr<Dialer> m_dialer;
};

core::Result<Link>
RedisSink::open() const
{
  core::Result<Link> link = m_dialer->dial();
  if (!link) {
    return core::fail(link.error().code, m_dialer->where() + ": " + link.error().message);
  }
  return link;
}

core::Result<std::unique_ptr<SinkConnection>>
RedisSink::connect()
{
  if (const ClusterTopology* cluster = m_dialer->cluster()) {
    // Nodes are dialled as the batches need them; the layout must be known first.
    core::Result<void> known = cluster->refresh(false);
    if (!known) {
      return core::fail(known.error().code, m_dialer->where() + ": " + known.error().message);
    }
    return std::make_unique<RedisConnection>(*m_dialer, std::nullopt);
  }
  CW_TRY_ASSIGN(Link link, open());
  return std::make_unique<RedisConnection>(*m_dialer, std::move(link));
}

// PING and INFO on connections of their own, beside the workers': one, or one per master of a
// cluster (the throttle and the memory pre-flight then see the cluster's busiest and fullest
// master).
class RedisProbe final : public HealthProbe {
public:
  RedisProbe(std::string where, std::vector<TransportPtr> transports)
      : m_where(std::move(where))
      , m_transports(std::move(transports))
  {}

  // The slowest node's round trip.
  core::Result<std::chrono::nanoseconds> ping() override
  {
    std::chrono::nanoseconds slowest{0};
    for (TransportPtr& transport : m_transports) {
      const auto started = std::chrono::steady_clock::now();
      CW_TRY_ASSIGN(ReplyPtr reply, run(transport, {"PING"}));
      slowest =
          std::max<std::chrono::nanoseconds>(slowest, std::chrono::steady_clock::now() - started);
    }
    return slowest;
  }

  // One node's figures; for a cluster, those of the master with the least room, as if every
  // master were like it (keys hash evenly, so each master takes its share of a group), and the
  // evictions and ops of all of them.
  core::Result<TargetStats> stats() override
  {
    std::vector<TargetStats> all;
    for (TransportPtr& transport : m_transports) {
      CW_TRY_ASSIGN(ReplyPtr reply, run(transport, {"INFO"}));
      if (reply->type != REDIS_REPLY_STRING) {
        return core::fail(core::Errc::target_unreachable, m_where + ": unexpected reply to INFO");
      }
      all.push_back(parse_info(std::string_view(reply->str, reply->len)));
    }
    if (all.size() == 1) {
      return all.front();
    }
    auto fill = [](const TargetStats& stats) {
      return stats.maxmemory == 0
                 ? 0.0
                 : static_cast<double>(stats.used_memory) / static_cast<double>(stats.maxmemory);
    };
    const TargetStats& fullest =
        *std::max_element(all.begin(), all.end(), [&](const TargetStats& a, const TargetStats& b) {
          return fill(a) < fill(b);
        });
    TargetStats combined = fullest;
    combined.used_memory = fullest.used_memory * all.size();
    combined.maxmemory = fullest.maxmemory * all.size();
    combined.evicted_keys = 0;
    combined.instantaneous_ops_per_sec = 0.0;
    for (const TargetStats& stats : all) {
      combined.evicted_keys += stats.evicted_keys;
      combined.instantaneous_ops_per_sec += stats.instantaneous_ops_per_sec;
    }
    return combined;
  }

private:
  core::Result<ReplyPtr> run(TransportPtr& transport, std::initializer_list<std::string_view> args)
  {
    if (!transport) {
      return core::fail(core::Errc::target_unreachable, m_where + ": probe connection lost");
    }
    core::Result<ReplyPtr> reply = command(*transport, args);
    if (!reply) {
      transport.reset(); // unusable after an I/O error
      return core::fail(core::Errc::target_unreachable, m_where + ": " + reply.error().message);
    }
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      return core::fail(core::Errc::target_unreachable,
                        m_where + ": " + std::string((*reply)->str, (*reply)->len));
    }
    return reply;
  }

  std::string m_where;
  std::vector<TransportPtr> m_transports;
};

core::Result<std::unique_ptr<HealthProbe>>
RedisSink::probe()
{
  std::vector<TransportPtr> transports;
  if (const ClusterTopology* cluster = m_dialer->cluster()) {
    core::Result<void> known = cluster->refresh(false);
    if (!known) {
      return core::fail(known.error().code, m_dialer->where() + ": " + known.error().message);
    }
    for (const HostPort& master : cluster->map()->masters) {
      core::Result<Link> link = m_dialer->dial_node(master);
      if (!link) {
        return core::fail(link.error().code,
                          m_dialer->where() + ": " + node_address(master) + ": "
                              + link.error().message);
      }
      transports.push_back(std::move(link->transport));
    }
  } else {
    CW_TRY_ASSIGN(Link link, open());
    transports.push_back(std::move(link.transport));
  }
  return std::make_unique<RedisProbe>(m_dialer->where(), std::move(transports));
}

// --- Dry run -------------------------------------------------------------------------------

class DryRunConnection final : public SinkConnection {
public:
  core::Result<std::uint64_t> remove(std::span<const std::string> /*keys*/) override
  {
    return 0; // a dry run wrote nothing
  }

  core::Result<BatchResult> write(std::span<const core::Entry> batch) override
  {
    BatchResult result;
    result.written = batch.size();
    for (const core::Entry& entry : batch) {
      result.bytes += entry.key.size() + core::value_size(entry.value);
    }
    return result;
  }
};

class DryRunSink final : public Sink {
public:
  DryRunSink(std::string name, std::string description)
      : m_name(std::move(name))
      , m_description(std::move(description))
  {}
  const std::string& name() const override { return m_name; }
  std::string describe() const override { return m_description; }
  core::Result<std::unique_ptr<SinkConnection>> connect() override
  {
    return std::make_unique<DryRunConnection>();
  }
  core::Result<std::unique_ptr<HealthProbe>> probe() override
  {
    return std::unique_ptr<HealthProbe>(); // a dry run watches nothing
  }

private:
  std::string m_name;
  std::string m_description;
};

} // namespace

core::Result<std::unique_ptr<Sink>>
make_redis_sink(const RedisOptions& options)
{
  CW_TRY_ASSIGN(std::unique_ptr<Dialer> dialer, Dialer::create(options));
  return std::make_unique<RedisSink>(std::move(dialer));
}

std::unique_ptr<Sink>
make_dry_run_sink(std::string name, std::string description)
{
  return std::make_unique<DryRunSink>(std::move(name), std::move(description));
}

} // namespace cachewarm::sinks
