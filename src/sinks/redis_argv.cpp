#include "cachewarm/sinks/redis_argv.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace cachewarm::sinks {

namespace {

// Replaces a whole hash, set, sorted set or list atomically, so readers never see half of it.
// ARGV[1] = only_missing ("1"/"0"), ARGV[2] = TTL in ms ("0": none), ARGV[3] = the command that
// adds elements (HSET, SADD, ZADD, RPUSH), then the elements. They are added 1000 arguments at a
// time: few calls, and within Lua's stack limit for any size (pairs stay aligned: 1000 is even).
constexpr std::string_view k_replace_script =
    "if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end "
    "redis.call('DEL', KEYS[1]) "
    "local n = #ARGV "
    "for i = 4, n, 1000 do "
    "redis.call(ARGV[3], KEYS[1], unpack(ARGV, i, math.min(i + 999, n))) end "
    "if ARGV[2] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return 1";

} // namespace

void
RedisArgv::push(std::string_view arg)
{
  m_argv.push_back(arg.data());
  m_lens.push_back(arg.size());
}

void
RedisArgv::build(const core::Entry& entry)
{
  m_argv.clear();
  m_lens.clear();
  m_ttl = std::to_string(entry.ttl.count());
  if (const auto* text = std::get_if<std::string>(&entry.value)) {
    push("SET");
    push(entry.key);
    push(*text);
    if (entry.ttl.count() > 0) {
      push("PX");
      push(m_ttl);
    }
    if (entry.only_missing) {
      push("NX");
    }
    return;
  }
  push("EVAL");
  push(k_replace_script);
  push("1");
  push(entry.key);
  push(entry.only_missing ? "1" : "0");
  push(m_ttl);
  if (const auto* hash = std::get_if<core::HashValue>(&entry.value)) {
    push("HSET");
    for (const auto& [field, value] : hash->fields) {
      push(field);
      push(value);
    }
  } else if (const auto* set = std::get_if<core::SetValue>(&entry.value)) {
    push("SADD");
    for (const std::string& member : set->members) {
      push(member);
    }
  } else if (const auto* zset = std::get_if<core::ZSetValue>(&entry.value)) {
    push("ZADD");
    for (const auto& [score, member] : zset->entries) {
      push(score);
      push(member);
    }
  } else {
    push("RPUSH");
    for (const std::string& item : std::get<core::ListValue>(entry.value).items) {
      push(item);
    }
  }
}

std::vector<std::string>
RedisArgv::to_strings() const
{
  std::vector<std::string> out;
  out.reserve(m_argv.size());
  for (std::size_t i = 0; i < m_argv.size(); ++i) {
    out.emplace_back(m_argv[i], m_lens[i]);
  }
  return out;
}

bool
is_retryable(std::string_view kind)
{
  return kind == "busy" || kind == "loading" || kind == "masterdown" || kind == "tryagain";
}

ClassifiedReply
classify_reply(ReplyType type, std::string_view text, long long integer)
{
  switch (type) {
  case ReplyType::status:
    return {ReplyOutcome::written, {}, {}, false};
  case ReplyType::nil:
    return {ReplyOutcome::skipped, {}, {}, false};
  case ReplyType::integer:
    return {integer == 0 ? ReplyOutcome::skipped : ReplyOutcome::written, {}, {}, false};
  case ReplyType::error: {
    const std::string_view word = text.substr(0, text.find(' '));
    std::string kind = "redis_error";
    if (word == "WRONGTYPE") {
      kind = "wrongtype";
    } else if (word == "OOM") {
      kind = "oom";
    } else if (word == "READONLY") {
      kind = "readonly";
    } else if (word == "NOPERM" || word == "NOAUTH") {
      kind = "noperm";
    } else if (word == "BUSY") {
      kind = "busy";
    } else if (word == "LOADING") {
      kind = "loading";
    } else if (word == "MASTERDOWN") {
      kind = "masterdown";
    } else if (word == "TRYAGAIN") {
      kind = "tryagain";
    }
    const bool retryable = is_retryable(kind);
    return {ReplyOutcome::failed, std::move(kind), std::string(text), retryable};
  }
  case ReplyType::string:
  case ReplyType::array:
    break;
  }
  return {ReplyOutcome::failed, "redis_error", "unexpected reply to a write command", false};
}

} // namespace cachewarm::sinks
