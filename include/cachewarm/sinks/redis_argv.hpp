#pragma once

#include "cachewarm/core/types.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::sinks {

// The argument vector of one Redis command, as hiredis' redisAppendCommandArgv wants it.
// Arguments point into the entry being written and into `m_scratch`; valid until the next build.
class RedisArgv {
public:
  // Builds the single command that writes `entry`:
  // - string: SET key value [PX ttl] [NX]
  // - hash, set, zset, list: EVAL <replace script> 1 key only_missing ttl_ms HSET|SADD|ZADD|RPUSH
  //   elements... (atomic: skips an existing key when only_missing, else replaces it whole;
  //   zset elements are score member pairs, hash elements field value pairs)
  void build(const core::Entry& entry);

  int argc() const { return static_cast<int>(m_argv.size()); }
  const char** argv() { return m_argv.data(); }
  const std::size_t* argvlen() const { return m_lens.data(); }
  // The arguments as text, for tests.
  std::vector<std::string> to_strings() const;

private:
  void push(std::string_view arg);
  std::vector<const char*> m_argv;
  std::vector<std::size_t> m_lens;
  std::string m_ttl;
};

// How a reply to a write command is counted.
enum class ReplyOutcome { written, skipped, failed };

struct ClassifiedReply {
  ReplyOutcome outcome = ReplyOutcome::failed;
  // For failures: wrongtype, oom, readonly, noperm, busy, loading, masterdown, tryagain or
  // redis_error.
  std::string kind;
  std::string message;    // the server's error text
  bool retryable = false; // a transient server state: wait and resend (see is_retryable)
};

// Whether a failure of this kind is a transient server state worth waiting for and resending
// (busy, loading, masterdown, tryagain), rather than a verdict on the key (oom, readonly, ...).
bool is_retryable(std::string_view kind);

// The reply kinds hiredis 0.14 knows (mirrors REDIS_REPLY_*, kept free of hiredis headers).
enum class ReplyType { string, array, integer, nil, status, error };

// Classifies the reply to a command built by RedisArgv: SET gives +OK (written) or nil
// (NX and key existed: skipped); the replace script gives :1 (written) or :0 (skipped); an error
// reply is a failure whose kind comes from its first word (WRONGTYPE -> wrongtype, OOM -> oom,
// READONLY -> readonly, NOPERM or NOAUTH -> noperm, BUSY -> busy, LOADING -> loading,
// MASTERDOWN -> masterdown, TRYAGAIN -> tryagain, else redis_error), and `retryable` is
// is_retryable(kind).
ClassifiedReply classify_reply(ReplyType type, std::string_view text, long long integer);

} // namespace cachewarm::sinks
