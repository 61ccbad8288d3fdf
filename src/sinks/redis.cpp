#include "cachewarm/sinks/redis.hpp"

#include "redis_detail.hpp"

#include "cachewarm/core/backoff.hpp"
#include "cachewarm/core/log.hpp"
#include "cachewarm/sinks/redis_command.hpp"
#include "cachewarm/sinks/redis_info.hpp"
#include "cachewarm/sinks/redis_url.hpp"

#include <hiredis/hiredis.h>

#include <sys/time.h>

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
  RedisConnection(const RedisOptions& options,
                  const RedisAddress& address,
                  std::string description,
                  ContextPtr context)
      : m_options(options)
      , m_address(address)
      , m_description(std::move(description))
      // Seeded per connection, so workers that lost the server together do not retry in step.
      , m_backoff(options.reconnect_base, options.reconnect_cap, 2.0, std::random_device{}())
  {
    adopt(std::move(context));
  }

  core::Result<BatchResult> write(std::span<const core::Entry> batch) override;
  core::Result<std::uint64_t> remove(std::span<const std::string> keys) override;

private:
  using Clock = std::chrono::steady_clock;

  // Sleeps `duration`, waking every 50 ms to check for a stop request. False if one came.
  bool wait_unless_stopped(std::chrono::milliseconds duration) const;

  bool stopping() const { return m_options.stop != nullptr && m_options.stop->load(); }

  // One round trip: sends the commands of the `pending` entries (indices into `batch`), then
  // reads every reply (one write(2), few read(2)s). Final outcomes are counted in `result`.
  // Afterwards `pending` holds the entries to resend: those that got a retryable error reply
  // (kept in `deferred`) and, when the connection broke, those whose reply never came.
  // Returns false when the connection broke, after which the context is unusable.
  bool send_round(std::span<const core::Entry> batch,
                  std::vector<std::size_t>& pending,
                  std::vector<ClassifiedReply>& deferred,
                  BatchResult& result);

  // Takes a freshly dialled context; its replies are recorded in m_slot from now on.
  void adopt(ContextPtr context);

  // Why the connection broke, from the context's error.
  std::string lost_reason() const;

  // `target main (redis://127.0.0.1:6379/0)`, for messages.
  std::string where() const { return target_label(m_options, m_description); }

  const RedisOptions& m_options;
  const RedisAddress& m_address;
  std::string m_description;
  ContextPtr m_context{nullptr, &redisFree};
  ReplySlot m_slot;
  std::string m_out; // the round's commands in RESP; keeps its capacity between rounds
  core::Backoff m_backoff;
};

class RedisSink final : public Sink {
public:
  RedisSink(RedisOptions options, RedisAddress address)
      : m_options(std::move(options))
      , m_address(std::move(address))
      , m_description(redact_url(m_options.url))
  {}

  const std::string& name() const override { return m_options.name; }
  std::string describe() const override { return m_description; }
  core::Result<std::unique_ptr<SinkConnection>> connect() override;
  core::Result<std::unique_ptr<HealthProbe>> probe() override;

  // Opens, authenticates and selects the database. Messages never include the password.
  core::Result<ContextPtr> open() const;

private:
  RedisOptions m_options;
  RedisAddress m_address;
  std::string m_description;
};

core::Result<ContextPtr>
RedisSink::open() const
{
  core::Result<ContextPtr> context = dial(m_options, m_address);
  if (!context) {
    return core::fail(context.error().code,
                      target_label(m_options, m_description) + ": " + context.error().message);
  }
  return context;
}

core::Result<std::unique_ptr<SinkConnection>>
RedisSink::connect()
{
  CW_TRY_ASSIGN(ContextPtr context, open());
  return std::make_unique<RedisConnection>(m_options, m_address, m_description, std::move(context));
}

void
RedisConnection::adopt(ContextPtr context)
{
  m_context = std::move(context);
  if (m_context) {
    // The set-up commands (AUTH, SELECT, PING) are done: from here on only write replies arrive.
    m_context->reader->fn = &g_slot_functions;
    m_context->reader->privdata = &m_slot;
  }
}

// PING and INFO on a connection of their own, beside the workers'.
class RedisProbe final : public HealthProbe {
public:
  RedisProbe(std::string where, ContextPtr context)
      : m_where(std::move(where))
      , m_context(std::move(context))
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
    if (!m_context) {
      return core::fail(core::Errc::target_unreachable, m_where + ": probe connection lost");
    }
    core::Result<ReplyPtr> reply = command(*m_context, args);
    if (!reply) {
      m_context.reset(); // unusable after an I/O error
      return core::fail(core::Errc::target_unreachable, m_where + ": " + reply.error().message);
    }
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      return core::fail(core::Errc::target_unreachable,
                        m_where + ": " + std::string((*reply)->str, (*reply)->len));
    }
    return reply;
  }

  std::string m_where;
  ContextPtr m_context;
};

core::Result<std::unique_ptr<HealthProbe>>
RedisSink::probe()
{
  CW_TRY_ASSIGN(ContextPtr context, open());
  return std::make_unique<RedisProbe>(target_label(m_options, m_description), std::move(context));
}

bool
RedisConnection::send_round(std::span<const core::Entry> batch,
                            std::vector<std::size_t>& pending,
                            std::vector<ClassifiedReply>& deferred,
                            BatchResult& result)
{
  redisContext* context = m_context.get();
  m_out.clear();
  for (const std::size_t index : pending) {
    append_write_command(m_out, batch[index]);
  }
  if (redisAppendFormattedCommand(context, m_out.data(), m_out.size()) != REDIS_OK) {
    return false; // nothing was read: every pending entry stays pending
  }
  // Indices stay in batch order, so a key written twice in a batch keeps its last value.
  std::vector<std::size_t> again;
  for (std::size_t read = 0; read < pending.size(); ++read) {
    const std::size_t index = pending[read];
    void* recorded = nullptr;
    if (redisGetReply(context, &recorded) != REDIS_OK || recorded == nullptr) {
      // Replies already read are acknowledged; the rest are resent on a new connection.
      again.insert(again.end(), pending.begin() + static_cast<std::ptrdiff_t>(read), pending.end());
      pending = std::move(again);
      return false;
    }
    ClassifiedReply classified = classify_reply(m_slot.type, m_slot.text, m_slot.integer);
    const core::Entry& entry = batch[index];
    switch (classified.outcome) {
    case ReplyOutcome::written:
      ++result.written;
      result.bytes += entry.key.size() + core::value_size(entry.value);
      break;
    case ReplyOutcome::skipped:
      ++result.skipped;
      break;
    case ReplyOutcome::failed:
      if (classified.retryable) {
        deferred[index] = std::move(classified);
        again.push_back(index);
      } else {
        result.failures.push_back(
            core::Failure{entry.key, std::move(classified.kind), std::move(classified.message)});
      }
      break;
    }
  }
  pending = std::move(again);
  return true;
}

std::string
RedisConnection::lost_reason() const
{
  const redisContext& context = *m_context;
  // hiredis 0.14 has no REDIS_ERR_TIMEOUT: a command timeout (redisSetTimeout) is an I/O error
  // with EAGAIN's text.
  if (context.err == REDIS_ERR_IO && std::string_view(context.errstr) == k_eagain_text) {
    return "no reply within " + format_ms(m_options.command_timeout) + " (command timeout)";
  }
  if (context.errstr[0] == '\0') {
    return "connection broken";
  }
  return context.errstr;
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
  for (;;) {
    std::string reason;
    if (!m_context) {
      core::Result<ContextPtr> reopened = dial(m_options, m_address);
      if (reopened) {
        adopt(std::move(*reopened));
      } else {
        reason = reopened.error().message;
      }
    }
    if (m_context) {
      if (send_round(batch, pending, deferred, result)) {
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
        // Only retryable error replies (-BUSY, -LOADING, ...) are left: wait, resend those.
      } else {
        // The context is poisoned after an I/O or protocol error (or a command timeout): drop
        // it and resend every unacknowledged entry on a new connection (SET and the replace
        // script are idempotent).
        reason = lost_reason();
        m_context.reset();
      }
    }
    const Clock::time_point now = Clock::now();
    if (!first_failure) {
      first_failure = now;
      m_backoff.reset();
      if (m_context) {
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
      // Down, or answering but busy (loading, ...) for the whole budget: either way the
      // target cannot take writes now, and every later batch would wait out the budget again.
      const std::string why =
          m_context ? "still answering " + deferred[pending.front()].message + " after "
                          + format_ms(budget) + " (reconnect_budget)"
                    : "connection lost: " + reason + " (gave up after " + format_ms(budget) + ")";
      m_backoff.reset();
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
  if (!m_context) {
    CW_TRY_ASSIGN(ContextPtr context, dial(m_options, m_address));
    adopt(std::move(context));
  }
  m_out.clear();
  for (const std::string& key : keys) {
    append_delete_command(m_out, key);
  }
  std::uint64_t removed = 0;
  bool sent = redisAppendFormattedCommand(m_context.get(), m_out.data(), m_out.size()) == REDIS_OK;
  for (std::size_t i = 0; sent && i < keys.size(); ++i) {
    void* recorded = nullptr;
    sent = redisGetReply(m_context.get(), &recorded) == REDIS_OK && recorded != nullptr;
    if (sent && m_slot.type == ReplyType::integer && m_slot.integer > 0) {
      removed += static_cast<std::uint64_t>(m_slot.integer);
    }
  }
  if (!sent) {
    const std::string reason = lost_reason();
    m_context.reset();
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
  core::Result<RedisAddress> address = parse_redis_url(options.url);
  if (!address) {
    return tl::unexpected(core::with_context(address.error(), "target " + options.name));
  }
  return std::make_unique<RedisSink>(options, std::move(*address));
}

std::unique_ptr<Sink>
make_dry_run_sink(std::string name, std::string description)
{
  return std::make_unique<DryRunSink>(std::move(name), std::move(description));
}

} // namespace cachewarm::sinks
