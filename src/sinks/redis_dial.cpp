#include "redis_detail.hpp"

#include <sys/time.h>

#include <vector>

namespace cachewarm::sinks {

namespace {

timeval
to_timeval(std::chrono::milliseconds duration)
{
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(duration.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((duration.count() % 1000) * 1000);
  return tv;
}

} // namespace

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

namespace {

core::Result<ContextPtr>
dial_once(const RedisOptions& options, const RedisAddress& address)
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

} // namespace

core::Result<ContextPtr>
dial(const RedisOptions& options, const RedisAddress& address)
{
  core::Result<ContextPtr> context = dial_once(options, address);
  // hiredis 0.14 reports a command timeout (a server that accepts but never answers, e.g.
  // stopped) as an I/O error with EAGAIN's text: say what it means.
  if (!context && context.error().message == k_eagain_text) {
    return core::fail(core::Errc::target_unreachable,
                      "no reply within " + format_ms(options.command_timeout)
                          + " (command timeout)");
  }
  return context;
}

} // namespace cachewarm::sinks
