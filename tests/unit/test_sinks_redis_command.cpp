#include "cachewarm/core/types.hpp"
#include "cachewarm/sinks/redis_command.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using cachewarm::core::DumpValue;
using cachewarm::core::Entry;
using cachewarm::core::HashValue;
using cachewarm::core::ListValue;
using cachewarm::core::SetValue;
using cachewarm::core::ZSetValue;
using cachewarm::sinks::append_delete_command;
using cachewarm::sinks::append_write_command;
using cachewarm::sinks::ClassifiedReply;
using cachewarm::sinks::classify_reply;
using cachewarm::sinks::estimated_memory;
using cachewarm::sinks::is_retryable;
using cachewarm::sinks::ReplyOutcome;
using cachewarm::sinks::ReplyType;

namespace {

using Strings = std::vector<std::string>;

// Decodes one RESP array of bulk strings (a command as Redis reads it) that must fill `resp`
// exactly; a framing error fails the test.
Strings
decode(std::string_view resp)
{
  Strings out;
  std::size_t pos = 0;
  auto read_number = [&](char prefix) -> std::size_t {
    REQUIRE(pos < resp.size());
    REQUIRE(resp[pos] == prefix);
    const std::size_t end = resp.find("\r\n", pos);
    REQUIRE(end != std::string_view::npos);
    const std::string digits(resp.substr(pos + 1, end - pos - 1));
    REQUIRE(!digits.empty());
    REQUIRE(digits.find_first_not_of("0123456789") == std::string::npos);
    pos = end + 2;
    return static_cast<std::size_t>(std::stoull(digits));
  };
  const std::size_t count = read_number('*');
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t length = read_number('$');
    REQUIRE(pos + length + 2 <= resp.size());
    out.emplace_back(resp.substr(pos, length));
    CHECK(resp.substr(pos + length, 2) == "\r\n");
    pos += length + 2;
  }
  CHECK(pos == resp.size());
  return out;
}

// Encodes the command for `entry` and decodes it again.
Strings
build(const Entry& entry)
{
  std::string resp;
  append_write_command(resp, entry);
  return decode(resp);
}

Entry
string_entry(std::string key, std::string value, std::chrono::milliseconds ttl, bool only_missing)
{
  return Entry{std::move(key), std::move(value), ttl, only_missing};
}

Entry
hash_entry(std::string key,
           std::vector<std::pair<std::string, std::string>> fields,
           std::chrono::milliseconds ttl,
           bool only_missing)
{
  return Entry{std::move(key), HashValue{std::move(fields)}, ttl, only_missing};
}

bool
contains(std::string_view text, std::string_view part)
{
  return text.find(part) != std::string_view::npos;
}

} // namespace

TEST_SUITE("sinks::redis_command")
{
  TEST_CASE("a delete is DEL key, binary-safe")
  {
    std::string resp;
    append_delete_command(resp, std::string_view("a\r\nb\0c", 6));
    CHECK(decode(resp) == Strings{"DEL", std::string("a\r\nb\0c", 6)});
  }

  TEST_CASE("a string entry without TTL is SET key value")
  {
    CHECK(build(string_entry("user:1", "ada", 0ms, false)) == Strings{"SET", "user:1", "ada"});
  }

  TEST_CASE("a string entry with a TTL adds PX in milliseconds")
  {
    CHECK(build(string_entry("k", "v", 1500ms, false)) == Strings{"SET", "k", "v", "PX", "1500"});
    CHECK(build(string_entry("k", "v", 2h, false)) == Strings{"SET", "k", "v", "PX", "7200000"});
  }

  TEST_CASE("a string entry with only_missing adds NX")
  {
    CHECK(build(string_entry("k", "v", 0ms, true)) == Strings{"SET", "k", "v", "NX"});
  }

  TEST_CASE("a string entry with TTL and only_missing puts PX before NX")
  {
    CHECK(build(string_entry("k", "v", 60s, true))
          == Strings{"SET", "k", "v", "PX", "60000", "NX"});
  }

  TEST_CASE("an empty string value is one empty argument")
  {
    std::string resp;
    append_write_command(resp, string_entry("k", "", 0ms, false));
    CHECK(resp == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    CHECK(decode(resp) == Strings{"SET", "k", ""});
  }

  TEST_CASE("values are binary-safe: CR, LF and NUL bytes travel inside their length")
  {
    const std::string value("a\r\n$3\r\n\0z", 10);
    const Strings args = build(string_entry("k", value, 0ms, false));
    REQUIRE(args.size() == 3);
    CHECK(args[2] == value);
  }

  TEST_CASE("commands append after what the buffer already holds")
  {
    std::string resp = "PREFIX";
    append_write_command(resp, string_entry("a", "1", 0ms, false));
    append_write_command(resp, string_entry("b", "2", 1s, false));
    CHECK(resp
          == "PREFIX*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
             "*5\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n$2\r\nPX\r\n$4\r\n1000\r\n");
  }

  TEST_CASE("a hash entry is EVAL script 1 key only_missing ttl HSET then field/value pairs")
  {
    const Strings args =
        build(hash_entry("product:1", {{"name", "lamp"}, {"price", "9.5"}}, 0ms, false));
    REQUIRE(args.size() == 11);
    CHECK(args[0] == "EVAL");
    CHECK(args[2] == "1");
    CHECK(args[3] == "product:1");
    CHECK(args[4] == "0");
    CHECK(args[5] == "0");
    CHECK(args[6] == "HSET");
    CHECK(Strings(args.begin() + 7, args.end()) == Strings{"name", "lamp", "price", "9.5"});
  }

  TEST_CASE("a set entry adds its members with SADD through the replace script")
  {
    const Entry entry{"tags:1", SetValue{{"red", "blue"}}, 60s, false};
    const Strings args = build(entry);
    CHECK(Strings(args.begin() + 2, args.end())
          == Strings{"1", "tags:1", "0", "60000", "SADD", "red", "blue"});
  }

  TEST_CASE("a zset entry passes score member pairs to ZADD")
  {
    const Entry entry{"board", ZSetValue{{{"10", "ada"}, {"2.5", "bob"}}}, 0ms, true};
    const Strings args = build(entry);
    CHECK(Strings(args.begin() + 2, args.end())
          == Strings{"1", "board", "1", "0", "ZADD", "10", "ada", "2.5", "bob"});
  }

  TEST_CASE("a list entry keeps its order with RPUSH")
  {
    const Entry entry{"recent", ListValue{{"c", "a", "b"}}, 0ms, false};
    const Strings args = build(entry);
    CHECK(Strings(args.begin() + 2, args.end())
          == Strings{"1", "recent", "0", "0", "RPUSH", "c", "a", "b"});
  }

  TEST_CASE("a dump entry is RESTORE key ttl payload REPLACE, binary-safe, 0 for no expiry")
  {
    const std::string payload("\x00\x02v1\x0a\x00\xff", 7);
    CHECK(build(Entry{"k", DumpValue{payload}, 90s, false})
          == Strings{"RESTORE", "k", "90000", payload, "REPLACE"});
    CHECK(build(Entry{"k", DumpValue{payload}, 0ms, false})
          == Strings{"RESTORE", "k", "0", payload, "REPLACE"});
  }

  TEST_CASE("a dump entry with only_missing leaves out REPLACE, and -BUSYKEY is skipped")
  {
    CHECK(build(Entry{"k", DumpValue{"p"}, 0ms, true}) == Strings{"RESTORE", "k", "0", "p"});
    const ClassifiedReply reply =
        classify_reply(ReplyType::error, "BUSYKEY Target key name already exists.", 0);
    CHECK(reply.outcome == ReplyOutcome::skipped);
    CHECK(reply.kind.empty());
  }

  TEST_CASE("the replace script checks EXISTS, replaces the key in chunks and sets the TTL")
  {
    const Strings args = build(hash_entry("h", {{"f", "v"}}, 0ms, false));
    REQUIRE(args.size() >= 2);
    const std::string& script = args[1];
    CHECK(contains(script, "redis.call('EXISTS', KEYS[1])"));
    CHECK(contains(script, "redis.call('DEL', KEYS[1])"));
    CHECK(contains(script, "redis.call(ARGV[3], KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))"));
    CHECK(contains(script, "for i = 4, n, 1000 do"));
    CHECK(contains(script, "redis.call('PEXPIRE', KEYS[1], ARGV[2])"));
  }

  TEST_CASE("a hash entry passes only_missing as 1 and the TTL in milliseconds")
  {
    const Strings args = build(hash_entry("h", {{"f", "v"}}, 30s, true));
    REQUIRE(args.size() == 9);
    CHECK(args[3] == "h");
    CHECK(args[4] == "1");
    CHECK(args[5] == "30000");
    CHECK(args[7] == "f");
    CHECK(args[8] == "v");
  }

  TEST_CASE("a hash entry never gets SET options")
  {
    const Strings args = build(hash_entry("h", {{"f", "v"}}, 5s, true));
    for (const std::string& arg : args) {
      CHECK(arg != "PX");
      CHECK(arg != "NX");
    }
  }

  TEST_CASE("a hash with no fields is the script arguments only")
  {
    const Strings args = build(hash_entry("h", {}, 0ms, false));
    REQUIRE(args.size() == 7);
    CHECK(args[0] == "EVAL");
    CHECK(args[3] == "h");
  }

  TEST_CASE("keys and values with NUL bytes are passed whole")
  {
    const std::string key("a\0b", 3);
    const std::string value("\0x\0\0", 4);
    std::string resp;
    append_write_command(resp, string_entry(key, value, 0ms, false));
    CHECK(resp == std::string("*3\r\n$3\r\nSET\r\n$3\r\na\0b\r\n$4\r\n\0x\0\0\r\n", 32));
    CHECK(decode(resp) == Strings{"SET", key, value});
  }

  TEST_CASE("hash fields and values with NUL bytes are passed whole")
  {
    const std::string field("f\0g", 3);
    const std::string value("v\0", 2);
    const Strings args = build(hash_entry(std::string("k\0", 2), {{field, value}}, 0ms, false));
    REQUIRE(args.size() == 9);
    CHECK(args[3] == std::string("k\0", 2));
    CHECK(args[7] == field);
    CHECK(args[8] == value);
  }

  TEST_CASE("newlines, CR and spaces are not split or escaped")
  {
    CHECK(build(string_entry("a b\r\nc", "line1\nline2\r\n", 0ms, false))
          == Strings{"SET", "a b\r\nc", "line1\nline2\r\n"});
  }

  TEST_CASE("UTF-8 and invalid UTF-8 bytes are passed unchanged")
  {
    const std::string key = "cl\xC3\xA9:\xF0\x9F\x94\x91";
    const std::string value = "\xFF\xFE\x80";
    const Strings args = build(string_entry(key, value, 0ms, false));
    REQUIRE(args.size() == 3);
    CHECK(args[1] == key);
    CHECK(args[1].size() == 9);
    CHECK(args[2] == value);
  }

  TEST_CASE("a large value is framed by its exact length")
  {
    const Strings args = build(string_entry("key", std::string(100000, 'x'), 0ms, false));
    REQUIRE(args.size() == 3);
    CHECK(args[2].size() == 100000);
  }

  TEST_CASE("estimated_memory of a string: allocator-rounded key and value plus bookkeeping")
  {
    // 11-byte key -> 16, 187-byte value -> 192, 80 per key, 40 for the TTL: 328 (redis-server
    // 7.0 measured ~320 bytes per key for such keys).
    CHECK(estimated_memory(string_entry("item:123456", std::string(187, 'v'), 1h, false)) == 328);
    CHECK(estimated_memory(string_entry("item:123456", std::string(187, 'v'), 0ms, false)) == 288);
    CHECK(estimated_memory(string_entry("k", "", 0ms, false)) == 16 + 80 + 16);
  }

  TEST_CASE("estimated_memory of collections counts every element")
  {
    const Entry hash = hash_entry("h", {{"name", "lamp"}, {"price", "9.5"}}, 0ms, false);
    CHECK(estimated_memory(hash) == 16 + 80 + (4 + 16) + (4 + 16) + (5 + 16) + (3 + 16));
    const Entry set{"s", SetValue{{"a", "bb"}}, 1s, false};
    CHECK(estimated_memory(set) == 16 + 80 + 40 + (1 + 16) + (2 + 16));
    const Entry zset{"z", ZSetValue{{{"1.5", "m"}}}, 0ms, false};
    CHECK(estimated_memory(zset) == 16 + 80 + (3 + 16) + (1 + 16));
    const Entry list{"l", ListValue{{"x", "y", "z"}}, 0ms, false};
    CHECK(estimated_memory(list) == 16 + 80 + 3 * (1 + 16));
    const Entry dump{"d", DumpValue{std::string(20, 'x')}, 0ms, false};
    CHECK(estimated_memory(dump) == 16 + 80 + 32);
  }

  TEST_CASE("a status reply is written")
  {
    const ClassifiedReply reply = classify_reply(ReplyType::status, "OK", 0);
    CHECK(reply.outcome == ReplyOutcome::written);
    CHECK(reply.kind.empty());
    CHECK(reply.message.empty());
  }

  TEST_CASE("a nil reply (SET NX on an existing key) is skipped")
  {
    const ClassifiedReply reply = classify_reply(ReplyType::nil, "", 0);
    CHECK(reply.outcome == ReplyOutcome::skipped);
    CHECK(reply.kind.empty());
    CHECK(reply.message.empty());
  }

  TEST_CASE("integer 1 from the hash script is written")
  {
    const ClassifiedReply reply = classify_reply(ReplyType::integer, "", 1);
    CHECK(reply.outcome == ReplyOutcome::written);
    CHECK(reply.kind.empty());
  }

  TEST_CASE("integer 0 from the hash script is skipped")
  {
    const ClassifiedReply reply = classify_reply(ReplyType::integer, "", 0);
    CHECK(reply.outcome == ReplyOutcome::skipped);
    CHECK(reply.kind.empty());
  }

  TEST_CASE("error replies are failures classified by their first word")
  {
    struct Case {
      std::string_view text;
      std::string_view kind;
    };
    const Case cases[] = {
        {"WRONGTYPE Operation against a key holding the wrong kind of value", "wrongtype"},
        {"OOM command not allowed when used memory > 'maxmemory'.", "oom"},
        {"READONLY You can't write against a read only replica.", "readonly"},
        {"NOPERM this user has no permissions to run the 'set' command", "noperm"},
        {"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
         "busy"},
        {"LOADING Redis is loading the dataset in memory", "loading"},
        {"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
         "masterdown"},
        {"TRYAGAIN Multiple keys request during rehashing of slot", "tryagain"},
        {"ERR unknown command 'SET'", "redis_error"},
        {"EXECABORT Transaction discarded because of previous errors.", "redis_error"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.text);
      const ClassifiedReply reply = classify_reply(ReplyType::error, c.text, 0);
      CHECK(reply.outcome == ReplyOutcome::failed);
      CHECK(reply.kind == c.kind);
      CHECK(reply.message == c.text);
    }
  }

  TEST_CASE("busy, loading, masterdown and tryagain replies are retryable, the rest are not")
  {
    struct Case {
      std::string_view text;
      bool retryable;
    };
    const Case cases[] = {
        {"BUSY Redis is busy running a script.", true},
        {"LOADING Redis is loading the dataset in memory", true},
        {"MASTERDOWN Link with MASTER is down", true},
        {"TRYAGAIN Multiple keys request during rehashing of slot", true},
        {"OOM command not allowed when used memory > 'maxmemory'.", false},
        {"READONLY You can't write against a read only replica.", false},
        {"WRONGTYPE Operation against a key holding the wrong kind of value", false},
        {"NOPERM this user has no permissions", false},
        {"ERR unknown command", false},
        {"BUSYGROUP Consumer Group name already exists", false},
        {"", false},
    };
    for (const Case& c : cases) {
      CAPTURE(c.text);
      const ClassifiedReply reply = classify_reply(ReplyType::error, c.text, 0);
      CHECK(reply.outcome == ReplyOutcome::failed);
      CHECK(reply.retryable == c.retryable);
      CHECK(is_retryable(reply.kind) == c.retryable);
    }
  }

  TEST_CASE("is_retryable knows the transient kinds only")
  {
    CHECK(is_retryable("busy"));
    CHECK(is_retryable("loading"));
    CHECK(is_retryable("masterdown"));
    CHECK(is_retryable("tryagain"));
    CHECK_FALSE(is_retryable("oom"));
    CHECK_FALSE(is_retryable("readonly"));
    CHECK_FALSE(is_retryable("wrongtype"));
    CHECK_FALSE(is_retryable("noperm"));
    CHECK_FALSE(is_retryable("redis_error"));
    CHECK_FALSE(is_retryable("target_unreachable"));
    CHECK_FALSE(is_retryable(""));
  }

  TEST_CASE("written, skipped and unexpected replies are never retryable")
  {
    CHECK_FALSE(classify_reply(ReplyType::status, "OK", 0).retryable);
    CHECK_FALSE(classify_reply(ReplyType::nil, "", 0).retryable);
    CHECK_FALSE(classify_reply(ReplyType::integer, "", 1).retryable);
    CHECK_FALSE(classify_reply(ReplyType::integer, "", 0).retryable);
    CHECK_FALSE(classify_reply(ReplyType::string, "BUSY", 0).retryable);
  }

  TEST_CASE("an error code alone, without text, is still classified")
  {
    CHECK(classify_reply(ReplyType::error, "WRONGTYPE", 0).kind == "wrongtype");
    CHECK(classify_reply(ReplyType::error, "OOM", 0).kind == "oom");
    CHECK(classify_reply(ReplyType::error, "BUSY", 0).kind == "busy");
    CHECK(classify_reply(ReplyType::error, "TRYAGAIN", 0).retryable);
  }

  TEST_CASE("only the exact first word counts")
  {
    CHECK(classify_reply(ReplyType::error, "BUSYGROUP Consumer Group name already exists", 0).kind
          == "redis_error");
    CHECK(classify_reply(ReplyType::error, "wrongtype lower case", 0).kind == "redis_error");
    CHECK(classify_reply(ReplyType::error, "ERR WRONGTYPE later", 0).kind == "redis_error");
  }

  TEST_CASE("an empty error reply is a redis_error")
  {
    const ClassifiedReply reply = classify_reply(ReplyType::error, "", 0);
    CHECK(reply.outcome == ReplyOutcome::failed);
    CHECK(reply.kind == "redis_error");
    CHECK(reply.message.empty());
  }

  TEST_CASE("a string or array reply to a write is an unexpected redis_error")
  {
    for (const ReplyType type : {ReplyType::string, ReplyType::array}) {
      const ClassifiedReply reply = classify_reply(type, "OK", 1);
      CHECK(reply.outcome == ReplyOutcome::failed);
      CHECK(reply.kind == "redis_error");
      CHECK(reply.message == "unexpected reply to a write command");
    }
  }
}
