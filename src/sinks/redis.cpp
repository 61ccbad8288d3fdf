#include "cachewarm/sinks/redis.hpp"

#include "cachewarm/core/backoff.hpp"
#include "cachewarm/sinks/redis_argv.hpp"
#include "cachewarm/sinks/redis_url.hpp"

#include <hiredis/hiredis.h>

#include <sys/time.h>

#include <memory>
#include <string>
#include <thread>
#include <utility>

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

class RedisConnection final : public SinkConnection {
public:
  RedisConnection(const RedisOptions& options,
                  const RedisAddress& address,
                  std::string description,
                  ContextPtr context)
      : m_options(options)
      , m_address(address)
      , m_description(std::move(description))
      , m_context(std::move(context))
      , m_backoff(options.reconnect_base, options.reconnect_cap)
  {}

  core::Result<BatchResult> write(std::span<const core::Entry> batch) override;

private:
  // Sends every command then reads every reply (one write(2), few read(2)s).
  // Returns nullopt when the connection broke, after which the context is unusable.
  std::optional<BatchResult> try_write(std::span<const core::Entry> batch);

  const RedisOptions& m_options;
  const RedisAddress& m_address;
  std::string m_description;
  ContextPtr m_context;
  RedisArgv m_argv;
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

  // Opens, authenticates and selects the database. Messages never include the password.
  core::Result<ContextPtr> open() const;

private:
  RedisOptions m_options;
  RedisAddress m_address;
  std::string m_description;
};

core::Result<ContextPtr>
open_context(const RedisOptions& options,
             const RedisAddress& address,
             const std::string& description)
{
  const timeval connect_timeout = to_timeval(options.connect_timeout);
  redisContext* raw =
      address.is_unix
          ? redisConnectUnixWithTimeout(address.path.c_str(), connect_timeout)
          : redisConnectWithTimeout(address.host.c_str(), address.port, connect_timeout);
  ContextPtr context(raw, &redisFree);
  const std::string where = "target " + options.name + " (" + description + ")";
  if (!context) {
    return core::fail(core::Errc::target_unreachable, where + ": cannot allocate a connection");
  }
  if (context->err != 0) {
    return core::fail(core::Errc::target_unreachable, where + ": " + context->errstr);
  }
  redisSetTimeout(context.get(), to_timeval(options.command_timeout));
  if (!address.is_unix) {
    redisEnableKeepAlive(context.get());
  }
  if (!address.password.empty()) {
    core::Result<ReplyPtr> reply =
        address.user.empty() ? command(*context, {"AUTH", address.password})
                             : command(*context, {"AUTH", address.user, address.password});
    if (!reply) {
      return core::fail(core::Errc::target_unreachable, where + ": " + reply.error().message);
    }
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      return core::fail(core::Errc::target_unreachable,
                        where + ": authentication failed: " + (*reply)->str);
    }
  }
  if (address.db != 0) {
    const std::string db = std::to_string(address.db);
    core::Result<ReplyPtr> reply = command(*context, {"SELECT", db});
    if (!reply) {
      return core::fail(core::Errc::target_unreachable, where + ": " + reply.error().message);
    }
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      return core::fail(core::Errc::target_unreachable,
                        where + ": SELECT " + db + " failed: " + (*reply)->str);
    }
  }
  // A PING proves the connection is usable (and surfaces NOAUTH when a password is required).
  core::Result<ReplyPtr> pong = command(*context, {"PING"});
  if (!pong) {
    return core::fail(core::Errc::target_unreachable, where + ": " + pong.error().message);
  }
  if ((*pong)->type == REDIS_REPLY_ERROR) {
    return core::fail(core::Errc::target_unreachable, where + ": " + (*pong)->str);
  }
  return context;
}

core::Result<ContextPtr>
RedisSink::open() const
{
  return open_context(m_options, m_address, m_description);
}

core::Result<std::unique_ptr<SinkConnection>>
RedisSink::connect()
{
  CW_TRY_ASSIGN(ContextPtr context, open());
  return std::make_unique<RedisConnection>(m_options, m_address, m_description, std::move(context));
}

std::optional<BatchResult>
RedisConnection::try_write(std::span<const core::Entry> batch)
{
  redisContext* context = m_context.get();
  for (const core::Entry& entry : batch) {
    m_argv.build(entry);
    if (redisAppendCommandArgv(context, m_argv.argc(), m_argv.argv(), m_argv.argvlen())
        != REDIS_OK) {
      return std::nullopt;
    }
  }
  BatchResult result;
  for (const core::Entry& entry : batch) {
    void* raw = nullptr;
    if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
      return std::nullopt;
    }
    const ReplyPtr reply(static_cast<redisReply*>(raw));
    const std::string_view text =
        reply->str != nullptr ? std::string_view(reply->str, reply->len) : std::string_view();
    ClassifiedReply classified = classify_reply(reply_type(reply->type), text, reply->integer);
    switch (classified.outcome) {
    case ReplyOutcome::written:
      ++result.written;
      result.bytes += entry.key.size() + core::value_size(entry.value);
      break;
    case ReplyOutcome::skipped:
      ++result.skipped;
      break;
    case ReplyOutcome::failed:
      result.failures.push_back(
          core::Failure{entry.key, std::move(classified.kind), std::move(classified.message)});
      break;
    }
  }
  return result;
}

core::Result<BatchResult>
RedisConnection::write(std::span<const core::Entry> batch)
{
  std::string last_error;
  for (int attempt = 0; attempt <= m_options.reconnect_attempts; ++attempt) {
    if (!m_context) {
      std::this_thread::sleep_for(m_backoff.next());
      core::Result<ContextPtr> reopened = open_context(m_options, m_address, m_description);
      if (!reopened) {
        last_error = reopened.error().message;
        continue;
      }
      m_context = std::move(*reopened);
    }
    std::optional<BatchResult> result = try_write(batch);
    if (result) {
      m_backoff.reset();
      return std::move(*result);
    }
    // The context is poisoned after an I/O or protocol error: drop it and resend the whole
    // batch on a new connection (SET and the replace script are idempotent).
    last_error = "target " + m_options.name + " (" + m_description
                 + "): connection lost: " + m_context->errstr;
    m_context.reset();
  }
  return core::fail(core::Errc::target_unreachable,
                    last_error + " (gave up after " + std::to_string(m_options.reconnect_attempts)
                        + " reconnect attempts)");
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
