#include "cachewarm/sinks/redis.hpp"

#include "redis_detail.hpp"

#include "cachewarm/core/backoff.hpp"
#include "cachewarm/core/log.hpp"
#include "cachewarm/sinks/redis_command.hpp"
#include "cachewarm/sinks/redis_info.hpp"
#include "cachewarm/sinks/redis_url.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace cachewarm::sinks {

namespace {

// The reply to a write command, as the connection's reader records it: writes only need the
// reply's type, its integer and an error's text, so no redisReply is allocated per key.
struct ReplySlot {
  ReplyType type = ReplyType::nil;
  long long integer = 0;
  std::string text; // an error reply's text, else empty
};

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

class RedisConnection final : public SinkConnection {
public:
  RedisConnection(const Dialer& dialer, Link link)
      : m_dialer(dialer)
      , m_options(dialer.options())
      // Seeded per connection, so workers that lost the server together do not retry in step.
      , m_backoff(m_options.reconnect_base, m_options.reconnect_cap, 2.0, std::random_device{}())
  {
    adopt(std::move(link));
  }

  core::Result<BatchResult> write(std::span<const core::Entry> batch) override;
  core::Result<std::uint64_t> remove(std::span<const std::string> keys) override;

private:
  using Clock = std::chrono::steady_clock;

  // How a round trip ended.
  enum class RoundEnd {
    answered, // every command got its reply; `pending` holds the retryable ones
    redial,   // answered, but the node is no longer the master (-READONLY, or fewer replicas
              // than replicas_ack on a sentinel target): ask where the master is, then resend
    lost,     // the connection broke: `pending` also holds every unacknowledged entry
  };

  // Sleeps `duration`, waking every 50 ms to check for a stop request. False if one came.
  bool wait_unless_stopped(std::chrono::milliseconds duration) const;

  bool stopping() const { return m_options.stop != nullptr && m_options.stop->load(); }

  // One round trip: sends the commands of the `pending` entries (indices into `batch`), and a
  // WAIT with replicas_ack, then reads every reply (one write, few reads). Final outcomes are
  // counted in `result`; with replicas_ack a written entry counts only once WAIT says enough
  // replicas hold it. Afterwards `pending` holds the entries to resend, in batch order: those
  // that got a retryable error reply or too few replicas (their reply kept in `deferred`) and,
  // when the connection broke, those not acknowledged.
  RoundEnd send_round(std::span<const core::Entry> batch,
                      std::vector<std::size_t>& pending,
                      std::vector<ClassifiedReply>& deferred,
                      BatchResult& result);

  // Takes a freshly dialled connection; its replies are recorded in m_slot from now on.
  void adopt(Link link);

  // Sentinel targets, about once a second: drops the connection when the sentinels name another
  // master, so that the next round dials the new one.
  void follow_master();

  // `target main (redis://127.0.0.1:6379/0)`, for messages.
  std::string where() const { return m_dialer.where(); }

  const Dialer& m_dialer;
  const RedisOptions& m_options;
  TransportPtr m_transport;
  std::string m_node; // the node m_transport reaches
  ReplySlot m_slot;
  std::string m_out; // the round's commands in RESP; keeps its capacity between rounds
  core::Backoff m_backoff;
  Clock::time_point m_master_checked = Clock::now();
  // A batch already waited out the reconnect budget for its replicas: later shortfalls fail at
  // once (after one replicas_ack_timeout) until a WAIT is satisfied again.
  bool m_replicas_short = false;
};

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
  CW_TRY_ASSIGN(Link link, open());
  return std::make_unique<RedisConnection>(*m_dialer, std::move(link));
}

void
RedisConnection::adopt(Link link)
{
  m_transport = std::move(link.transport);
  m_node = std::move(link.node);
  // The set-up commands (AUTH, SELECT, PING) are done: from here on only write replies arrive.
  m_transport->use_functions(&g_slot_functions, &m_slot);
}

void
RedisConnection::follow_master()
{
  constexpr std::chrono::seconds k_every{1};
  if (!m_transport || !m_dialer.address().via_sentinel()) {
    return;
  }
  const Clock::time_point now = Clock::now();
  if (now - m_master_checked < k_every) {
    return;
  }
  m_master_checked = now;
  if (m_dialer.master_moved(m_node)) {
    core::log(core::LogLevel::info,
              where() + ": the sentinels name a new master; leaving " + m_node);
    m_transport.reset();
  }
}

// PING and INFO on a connection of their own, beside the workers'.
class RedisProbe final : public HealthProbe {
public:
  RedisProbe(std::string where, TransportPtr transport)
      : m_where(std::move(where))
      , m_transport(std::move(transport))
  {}

  core::Result<std::chrono::nanoseconds> ping() override
  {
    const auto started = std::chrono::steady_clock::now();
    CW_TRY_ASSIGN(ReplyPtr reply, run({"PING"}));
    return std::chrono::steady_clock::now() - started;
  }

  core::Result<TargetStats> stats() override
  {
    CW_TRY_ASSIGN(ReplyPtr reply, run({"INFO"}));
    if (reply->type != REDIS_REPLY_STRING) {
      return core::fail(core::Errc::target_unreachable, m_where + ": unexpected reply to INFO");
    }
    return parse_info(std::string_view(reply->str, reply->len));
  }

private:
  core::Result<ReplyPtr> run(std::initializer_list<std::string_view> args)
  {
    if (!m_transport) {
      return core::fail(core::Errc::target_unreachable, m_where + ": probe connection lost");
    }
    core::Result<ReplyPtr> reply = command(*m_transport, args);
    if (!reply) {
      m_transport.reset(); // unusable after an I/O error
      return core::fail(core::Errc::target_unreachable, m_where + ": " + reply.error().message);
    }
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      return core::fail(core::Errc::target_unreachable,
                        m_where + ": " + std::string((*reply)->str, (*reply)->len));
    }
    return reply;
  }

  std::string m_where;
  TransportPtr m_transport;
};

core::Result<std::unique_ptr<HealthProbe>>
RedisSink::probe()
{
  CW_TRY_ASSIGN(Link link, open());
  return std::make_unique<RedisProbe>(m_dialer->where(), std::move(link.transport));
}

RedisConnection::RoundEnd
RedisConnection::send_round(std::span<const core::Entry> batch,
                            std::vector<std::size_t>& pending,
                            std::vector<ClassifiedReply>& deferred,
                            BatchResult& result)
{
  const int replicas = m_options.replicas_ack;
  const bool sentinel = m_dialer.address().via_sentinel();
  m_out.clear();
  for (const std::size_t index : pending) {
    append_write_command(m_out, batch[index]);
  }
  if (replicas > 0) {
    append_wait_command(m_out, replicas, m_options.replicas_ack_timeout);
  }
  if (!m_transport->send(m_out)) {
    return RoundEnd::lost; // nothing was read: every pending entry stays pending
  }
  std::vector<std::size_t> again;   // to resend
  std::vector<std::size_t> written; // acknowledged by the master; with replicas_ack, not yet final
  bool redial = false;
  auto count_written = [&](std::size_t index) {
    ++result.written;
    result.bytes += batch[index].key.size() + core::value_size(batch[index].value);
  };
  for (std::size_t read = 0; read < pending.size(); ++read) {
    const std::size_t index = pending[read];
    void* recorded = nullptr;
    if (!m_transport->receive(&recorded)) {
      // Replies already read are acknowledged (without replicas_ack); the rest are resent on a
      // new connection, in batch order (a key written twice in a batch keeps its last value).
      again.insert(again.end(), pending.begin() + static_cast<std::ptrdiff_t>(read), pending.end());
      if (replicas > 0) {
        again.insert(again.end(), written.begin(), written.end());
      }
      std::sort(again.begin(), again.end());
      pending = std::move(again);
      return RoundEnd::lost;
    }
    ClassifiedReply classified = classify_reply(m_slot.type, m_slot.text, m_slot.integer);
    if (sentinel && classified.kind == "readonly") {
      classified.retryable = true; // the master was demoted: find the new one
      redial = true;
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
        deferred[index] = std::move(classified);
        again.push_back(index);
      } else {
        result.failures.push_back(core::Failure{
            batch[index].key, std::move(classified.kind), std::move(classified.message)});
      }
      break;
    }
  }
  if (replicas > 0) {
    void* recorded = nullptr;
    if (!m_transport->receive(&recorded)) {
      again.insert(again.end(), written.begin(), written.end());
      std::sort(again.begin(), again.end());
      pending = std::move(again);
      return RoundEnd::lost;
    }
    const bool enough = m_slot.type == ReplyType::integer && m_slot.integer >= replicas;
    if (enough) {
      m_replicas_short = false;
      std::for_each(written.begin(), written.end(), count_written);
    } else {
      const std::string why =
          m_slot.type == ReplyType::integer
              ? "only " + std::to_string(m_slot.integer) + " of " + std::to_string(replicas)
                    + " replicas acknowledged within " + format_ms(m_options.replicas_ack_timeout)
                    + " (replicas_ack)"
              : "WAIT failed: " + m_slot.text;
      for (const std::size_t index : written) {
        deferred[index] = ClassifiedReply{ReplyOutcome::failed, "not_replicated", why, true};
        again.push_back(index);
      }
      std::sort(again.begin(), again.end());
      redial = redial || (sentinel && !written.empty());
    }
  }
  pending = std::move(again);
  return redial ? RoundEnd::redial : RoundEnd::answered;
}

core::Result<BatchResult>
RedisConnection::write(std::span<const core::Entry> batch)
{
  BatchResult result;
  std::vector<std::size_t> pending(batch.size()); // entries without a final answer yet
  std::iota(pending.begin(), pending.end(), std::size_t{0});
  std::vector<ClassifiedReply> deferred(batch.size()); // the last retryable error of each entry
  std::optional<Clock::time_point> first_failure;
  const std::chrono::milliseconds budget = m_options.reconnect_budget;
  auto not_replicated = [&](std::size_t index) { return deferred[index].kind == "not_replicated"; };
  // Entries that only lack replicas become failures (the target itself answers).
  auto fail_unreplicated = [&]() {
    std::vector<std::size_t> rest;
    for (const std::size_t index : pending) {
      if (not_replicated(index)) {
        result.failures.push_back(core::Failure{
            batch[index].key, deferred[index].kind, std::move(deferred[index].message)});
      } else {
        rest.push_back(index);
      }
    }
    pending = std::move(rest);
  };
  for (;;) {
    std::string reason;    // why the connection was lost; empty when it was not
    bool answered = false; // the round was answered; only retryable replies are pending
    follow_master();
    if (!m_transport) {
      core::Result<Link> reopened = m_dialer.dial();
      if (reopened) {
        adopt(std::move(*reopened));
      } else {
        reason = reopened.error().message;
      }
    }
    if (m_transport) {
      const RoundEnd end = send_round(batch, pending, deferred, result);
      if (end == RoundEnd::lost) {
        // The stream is unusable after an I/O or protocol error (or a command timeout): drop it
        // and resend every unacknowledged entry on a new connection (SET and the replace
        // script are idempotent).
        reason = m_transport->error();
        m_transport.reset();
      } else {
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
        answered = true;
        if (end == RoundEnd::redial) {
          m_transport.reset(); // ask the sentinels where the master is before resending
        }
      }
    }
    const Clock::time_point now = Clock::now();
    if (!first_failure) {
      first_failure = now;
      m_backoff.reset();
      if (answered) {
        const ClassifiedReply& first = deferred[pending.front()];
        core::log(core::LogLevel::warning,
                  where() + ": " + std::to_string(pending.size()) + " of "
                      + std::to_string(batch.size()) + " keys got " + first.kind + " replies ("
                      + first.message + "); resending them for up to " + format_ms(budget));
      } else {
        core::log(core::LogLevel::warning,
                  where() + ": connection lost: " + reason + "; reconnecting for up to "
                      + format_ms(budget));
      }
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
          answered ? "still answering " + deferred[pending.front()].message + " after "
                         + format_ms(budget) + " (reconnect_budget)"
                   : "connection lost: " + reason + " (gave up after " + format_ms(budget) + ")";
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
  if (!m_transport) {
    core::Result<Link> link = m_dialer.dial();
    if (!link) {
      return core::fail(link.error().code, where() + ": " + link.error().message);
    }
    adopt(std::move(*link));
  }
  m_out.clear();
  for (const std::string& key : keys) {
    append_delete_command(m_out, key);
  }
  std::uint64_t removed = 0;
  bool sent = m_transport->send(m_out);
  for (std::size_t i = 0; sent && i < keys.size(); ++i) {
    void* recorded = nullptr;
    sent = m_transport->receive(&recorded);
    if (sent && m_slot.type == ReplyType::integer && m_slot.integer > 0) {
      removed += static_cast<std::uint64_t>(m_slot.integer);
    }
  }
  if (!sent) {
    const std::string reason = m_transport->error();
    m_transport.reset();
    return core::fail(core::Errc::target_unreachable, where() + ": " + reason);
  }
  return removed;
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
