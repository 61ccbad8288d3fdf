#include "cachewarm/sinks/redis_command.hpp"

#include <array>
#include <charconv>
#include <cstddef>
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

// `prefix` (`*` for an array, `$` for a bulk string), the decimal `n`, CRLF.
void
append_header(std::string& out, char prefix, std::size_t n)
{
  std::array<char, 24> digits{};
  const std::to_chars_result end = std::to_chars(digits.data(), digits.data() + digits.size(), n);
  out.push_back(prefix);
  out.append(digits.data(), end.ptr);
  out.append("\r\n");
}

void
append_bulk(std::string& out, std::string_view arg)
{
  append_header(out, '$', arg.size());
  out.append(arg);
  out.append("\r\n");
}

// The number of elements after the command name of a collection value.
std::size_t
element_count(const core::Value& value)
{
  if (const auto* hash = std::get_if<core::HashValue>(&value)) {
    return hash->fields.size() * 2;
  }
  if (const auto* set = std::get_if<core::SetValue>(&value)) {
    return set->members.size();
  }
  if (const auto* zset = std::get_if<core::ZSetValue>(&value)) {
    return zset->entries.size() * 2;
  }
  return std::get<core::ListValue>(value).items.size();
}

} // namespace

void
append_delete_command(std::string& out, std::string_view key)
{
  append_header(out, '*', 2);
  append_bulk(out, "DEL");
  append_bulk(out, key);
}

void
append_wait_command(std::string& out, int replicas, std::chrono::milliseconds timeout)
{
  append_header(out, '*', 3);
  append_bulk(out, "WAIT");
  append_bulk(out, std::to_string(replicas));
  append_bulk(out, std::to_string(timeout.count()));
}

void
append_write_command(std::string& out, const core::Entry& entry)
{
  std::array<char, 24> ttl_digits{};
  const std::to_chars_result ttl_end =
      std::to_chars(ttl_digits.data(), ttl_digits.data() + ttl_digits.size(), entry.ttl.count());
  const std::string_view ttl(ttl_digits.data(),
                             static_cast<std::size_t>(ttl_end.ptr - ttl_digits.data()));
  if (const auto* text = std::get_if<std::string>(&entry.value)) {
    const bool expires = entry.ttl.count() > 0;
    append_header(out, '*', 3 + (expires ? 2 : 0) + (entry.only_missing ? 1 : 0));
    append_bulk(out, "SET");
    append_bulk(out, entry.key);
    append_bulk(out, *text);
    if (expires) {
      append_bulk(out, "PX");
      append_bulk(out, ttl);
    }
    if (entry.only_missing) {
      append_bulk(out, "NX");
    }
    return;
  }
  if (const auto* dump = std::get_if<core::DumpValue>(&entry.value)) {
    // RESTORE takes 0 for "no expiry"; without REPLACE an existing key answers -BUSYKEY (skipped).
    append_header(out, '*', entry.only_missing ? 4 : 5);
    append_bulk(out, "RESTORE");
    append_bulk(out, entry.key);
    append_bulk(out, ttl);
    append_bulk(out, dump->payload);
    if (!entry.only_missing) {
      append_bulk(out, "REPLACE");
    }
    return;
  }
  append_header(out, '*', 7 + element_count(entry.value));
  append_bulk(out, "EVAL");
  append_bulk(out, k_replace_script);
  append_bulk(out, "1");
  append_bulk(out, entry.key);
  append_bulk(out, entry.only_missing ? "1" : "0");
  append_bulk(out, ttl);
  if (const auto* hash = std::get_if<core::HashValue>(&entry.value)) {
    append_bulk(out, "HSET");
    for (const auto& [field, value] : hash->fields) {
      append_bulk(out, field);
      append_bulk(out, value);
    }
  } else if (const auto* set = std::get_if<core::SetValue>(&entry.value)) {
    append_bulk(out, "SADD");
    for (const std::string& member : set->members) {
      append_bulk(out, member);
    }
  } else if (const auto* zset = std::get_if<core::ZSetValue>(&entry.value)) {
    append_bulk(out, "ZADD");
    for (const auto& [score, member] : zset->entries) {
      append_bulk(out, score);
      append_bulk(out, member);
    }
  } else {
    append_bulk(out, "RPUSH");
    for (const std::string& item : std::get<core::ListValue>(entry.value).items) {
      append_bulk(out, item);
    }
  }
}

namespace {

constexpr std::uint64_t k_key_overhead = 80;     // dict entry, key and value object headers
constexpr std::uint64_t k_expiry_overhead = 40;  // the expires dict entry
constexpr std::uint64_t k_element_overhead = 16; // per collection element (encoding, pointers)

// A string of `n` bytes as the allocator holds it (sds header and NUL, 16-byte classes).
std::uint64_t
allocated(std::uint64_t n)
{
  return (n + 4 + 15) / 16 * 16;
}

} // namespace

std::uint64_t
estimated_memory(const core::Entry& entry)
{
  std::uint64_t bytes = allocated(entry.key.size()) + k_key_overhead;
  if (entry.ttl.count() > 0) {
    bytes += k_expiry_overhead;
  }
  if (const auto* text = std::get_if<std::string>(&entry.value)) {
    return bytes + allocated(text->size());
  }
  if (const auto* dump = std::get_if<core::DumpValue>(&entry.value)) {
    return bytes + allocated(dump->payload.size()); // about the serialised size
  }
  auto element = [&](std::string_view part) { bytes += part.size() + k_element_overhead; };
  if (const auto* hash = std::get_if<core::HashValue>(&entry.value)) {
    for (const auto& [field, value] : hash->fields) {
      element(field);
      element(value);
    }
  } else if (const auto* set = std::get_if<core::SetValue>(&entry.value)) {
    for (const std::string& member : set->members) {
      element(member);
    }
  } else if (const auto* zset = std::get_if<core::ZSetValue>(&entry.value)) {
    for (const auto& [score, member] : zset->entries) {
      element(score);
      element(member);
    }
  } else {
    for (const std::string& item : std::get<core::ListValue>(entry.value).items) {
      element(item);
    }
  }
  return bytes;
}

bool
is_retryable(std::string_view kind)
{
  return kind == "busy" || kind == "loading" || kind == "masterdown" || kind == "tryagain"
         || kind == "clusterdown";
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
    if (word == "BUSYKEY") { // RESTORE without REPLACE (only_missing): the key exists
      return {ReplyOutcome::skipped, {}, {}, false};
    }
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
    } else if (word == "CLUSTERDOWN") {
      kind = "clusterdown";
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
