#pragma once

#include "cachewarm/core/types.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cachewarm::sinks {

// Appends to `out` the RESP encoding (an array of bulk strings, as Redis reads commands) of the
// single command that writes `entry`:
// - string: SET key value [PX ttl] [NX]
// - hash, set, zset, list: EVAL <replace script> 1 key only_missing ttl_ms HSET|SADD|ZADD|RPUSH
//   elements... (atomic: skips an existing key when only_missing, else replaces it whole;
//   zset elements are score member pairs, hash elements field value pairs)
// - dump: RESTORE key ttl_ms payload [REPLACE] (REPLACE unless only_missing; ttl 0: no expiry)
// Encoding straight into one buffer per batch costs no allocation per key once `out` has grown.
void append_write_command(std::string& out, const core::Entry& entry);

// Appends to `out` the RESP encoding of `DEL key` (binary-safe); its reply is the number of keys
// removed (:0 or :1).
void append_delete_command(std::string& out, std::string_view key);

// Appends to `out` the RESP encoding of `WAIT replicas timeout_ms`; its reply is the number of
// replicas that acknowledged every write sent before it on the connection.
void append_wait_command(std::string& out, int replicas, std::chrono::milliseconds timeout);

// Roughly the bytes a Redis server needs to hold `entry`: its key and value rounded up to
// allocator classes, plus per-key bookkeeping (dict entry, object headers; the expires entry when
// it has a TTL) and per-element overhead for collections. Calibrated on redis-server 7.0, where a
// 10-byte key with a 187-byte value and a TTL takes about 320 bytes; errs on the high side.
std::uint64_t estimated_memory(const core::Entry& entry);

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

// Classifies the reply to a command from append_write_command: SET gives +OK (written) or nil
// (NX and key existed: skipped); the replace script gives :1 (written) or :0 (skipped); RESTORE
// gives +OK (written) or, without REPLACE, -BUSYKEY (the key existed: skipped); an error
// reply is a failure whose kind comes from its first word (WRONGTYPE -> wrongtype, OOM -> oom,
// READONLY -> readonly, NOPERM or NOAUTH -> noperm, BUSY -> busy, LOADING -> loading,
// MASTERDOWN -> masterdown, TRYAGAIN -> tryagain, else redis_error), and `retryable` is
// is_retryable(kind).
ClassifiedReply classify_reply(ReplyType type, std::string_view text, long long integer);

} // namespace cachewarm::sinks
