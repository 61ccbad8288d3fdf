#pragma once

// Declarations private to src/sinks/redis*.cpp: the one place that opens connections to a Redis
// target (dial), shared by the workers' connections, their reconnects and the health probes, so
// that a new transport or discovery (TLS, Sentinel, Cluster) plugs in here once.

#include "cachewarm/core/result.hpp"
#include "cachewarm/sinks/redis.hpp"
#include "cachewarm/sinks/redis_command.hpp"
#include "cachewarm/sinks/redis_url.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace cachewarm::sinks {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ContextPtr = std::unique_ptr<redisContext, decltype(&redisFree)>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// strerror(EAGAIN) on glibc: how hiredis 0.14 reports a command timeout.
constexpr std::string_view k_eagain_text = "Resource temporarily unavailable";

// Opens a connection to `address` within options.connect_timeout, sets the command timeout and
// TCP keepalive, authenticates, selects the database and PINGs. Messages say what failed but
// not where (callers prefix the target) and never include the password.
// Errors: Errc::target_unreachable (refused, timed out, AUTH or SELECT rejected, -LOADING, ...).
core::Result<ContextPtr> dial(const RedisOptions& options, const RedisAddress& address);

// Runs one command synchronously on a context whose reader builds redisReply objects (set-up
// and probes). Errors: Errc::target_unreachable with the context's error (the context is then
// unusable). An error reply is a reply, not an error.
core::Result<ReplyPtr> command(redisContext& context, std::initializer_list<std::string_view> args);

// hiredis' REDIS_REPLY_* as a ReplyType.
ReplyType reply_type(int type);

// `30s`, `1500ms`: a duration for messages.
std::string format_ms(std::chrono::milliseconds duration);

// `target main (redis://127.0.0.1:6379/0)`: how messages name a target.
std::string target_label(const RedisOptions& options, const std::string& description);

} // namespace cachewarm::sinks
