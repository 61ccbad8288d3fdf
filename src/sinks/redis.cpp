#include "cachewarm/sinks/redis.hpp"

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

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ContextPtr = std::unique_ptr<redisContext, decltype(&redisFree)>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval
to_timeval(std::chrono::milliseconds duration)
{
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(duration.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((duration.count() % 1000) * 1000);
  return tv;
}

// strerror(EAGAIN) on glibc: how hiredis 0.14 reports a command timeout.
constexpr std::string_view k_eagain_text = "Resource temporarily unavailable";

// `30s`, `1500ms`: a duration for messages.
std::string
format_ms(std::chrono::milliseconds duration)
{
  const auto ms = duration.count();
  if (ms != 0 && ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  return std::to_string(ms) + "ms";
}

ReplyType
reply_type(int type)
{
  switch (type) {
  case REDIS_REPLY_STRING:
    return ReplyType::string;
  case REDIS_REPLY_ARRAY:
    return ReplyType::array;
  case REDIS_REPLY_INTEGER:
    return ReplyType::integer;
  case REDIS_REPLY_NIL:
    return ReplyType::nil;
  case REDIS_REPLY_STATUS:
    return ReplyType::status;
  default:
    return ReplyType::error;
  }
}

// Runs one command synchronously during connection set-up.
core::Result<ReplyPtr>
command(redisContext& context, std::initializer_list<std::string_view> args)
{
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (std::string_view arg : args) {
    argv.push_back(arg.data());
    lens.push_back(arg.size());
  }
  void* raw = redisCommandArgv(&context, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (raw == nullptr) {
    return core::fail(core::Errc::target_unreachable, context.errstr);
  }
  return ReplyPtr(static_cast<redisReply*>(raw));
}

// `target main (redis://127.0.0.1:6379/0)`: how messages name a target.
std::string
target_label(const RedisOptions& options, const std::string& description)
{
  return "target " + options.name + " (" + description + ")";
}

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

private:
  using Clock = std::chrono::steady_clock;

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

// Opens, authenticates and selects the database. Messages say what failed but not where (the
// callers prefix the target) and never include the password.
core::Result<ContextPtr>
dial(const RedisOptions& options, const RedisAddress& address)
{
  const timeval connect_timeout = to_timeval(options.connect_timeout);
  redisContext* raw =
      address.is_unix
          ? redisConnectUnixWithTimeout(address.path.c_str(), connect_timeout)
          : redisConnectWithTimeout(address.host.c_str(), address.port, connect_timeout);
  ContextPtr context(raw, &redisFree);
  if (!context) {
    return core::fail(core::Errc::target_unreachable, "cannot allocate a connection");
  }
  if (context->err != 0) {
    return core::fail(core::Errc::target_unreachable, context->errstr);
  }
  redisSetTimeout(context.get(), to_timeval(options.command_timeout));
  if (!address.is_unix) {
    redisEnableKeepAlive(context.get());
  }
  if (!address.password.empty()) {
    CW_TRY_ASSIGN(ReplyPtr reply,
                  address.user.empty()
                      ? command(*context, {"AUTH", address.password})
                      : command(*context, {"AUTH", address.user, address.password}));
    if (reply->type == REDIS_REPLY_ERROR) {
      return core::fail(core::Errc::target_unreachable,
                        std::string("authentication failed: ") + reply->str);
    }
  }
  if (address.db != 0) {
    const std::string db = std::to_string(address.db);
    CW_TRY_ASSIGN(ReplyPtr reply, command(*context, {"SELECT", db}));
    if (reply->type == REDIS_REPLY_ERROR) {
      return core::fail(core::Errc::target_unreachable, "SELECT " + db + " failed: " + reply->str);
    }
  }
  // A PING proves the connection is usable (and surfaces NOAUTH when a password is required,
  // LOADING while a restarted server reads its data back).
  CW_TRY_ASSIGN(ReplyPtr pong, command(*context, {"PING"}));
  if (pong->type == REDIS_REPLY_ERROR) {
    return core::fail(core::Errc::target_unreachable, pong->str);
  }
  return context;
}

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
      if (m_context) {
        // The server answered but stayed busy (loading, ...) for the whole budget: those keys
        // fail with the kind of their last reply.
        for (const std::size_t index : pending) {
          result.failures.push_back(core::Failure{batch[index].key,
                                                  std::move(deferred[index].kind),
                                                  std::move(deferred[index].message)});
        }
        m_backoff.reset();
        return result;
      }
      return core::fail(core::Errc::target_unreachable,
                        where() + ": connection lost: " + reason + " (gave up after "
                            + format_ms(budget) + ")");
    }
    std::this_thread::sleep_for(std::min(m_backoff.next(), budget - elapsed));
  }
}

// --- Dry run -------------------------------------------------------------------------------

class DryRunConnection final : public SinkConnection {
public:
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
