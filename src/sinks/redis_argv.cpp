#include "cachewarm/sinks/redis_argv.hpp"

#include <string>
#include <variant>

namespace cachewarm::sinks {

namespace {

// Replaces a whole hash atomically. ARGV[1] = only_missing ("1"/"0"), ARGV[2] = TTL in ms
// ("0": none), then field/value pairs. HSET per pair keeps Lua's stack small for wide hashes.
constexpr std::string_view k_hash_script =
    "if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end "
    "redis.call('DEL', KEYS[1]) "
    "for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end "
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
  const auto& hash = std::get<core::HashValue>(entry.value);
  push("EVAL");
  push(k_hash_script);
  push("1");
  push(entry.key);
  push(entry.only_missing ? "1" : "0");
  push(m_ttl);
  for (const auto& [field, value] : hash.fields) {
    push(field);
    push(value);
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

ClassifiedReply
classify_reply(ReplyType type, std::string_view text, long long integer)
{
  switch (type) {
  case ReplyType::status:
    return {ReplyOutcome::written, {}, {}};
  case ReplyType::nil:
    return {ReplyOutcome::skipped, {}, {}};
  case ReplyType::integer:
    return {integer == 0 ? ReplyOutcome::skipped : ReplyOutcome::written, {}, {}};
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
    }
    return {ReplyOutcome::failed, std::move(kind), std::string(text)};
  }
  case ReplyType::string:
  case ReplyType::array:
    break;
  }
  return {ReplyOutcome::failed, "redis_error", "unexpected reply to a write command"};
}

} // namespace cachewarm::sinks
