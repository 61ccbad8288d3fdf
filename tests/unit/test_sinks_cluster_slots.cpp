#include "support/results.hpp"

#include "cachewarm/sinks/cluster_slots.hpp"

#include <doctest/doctest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

using cachewarm::sinks::ClusterShard;
using cachewarm::sinks::key_slot;
using cachewarm::sinks::node_address;
using cachewarm::sinks::parse_cluster_shards;
using cachewarm::sinks::parse_cluster_slots;
using cachewarm::sinks::parse_redirection;
using cachewarm::sinks::Redirection;
using cachewarm::test::require_ok;

namespace {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// The reply hiredis builds from the RESP text `resp` (what a server would send).
Reply
reply_of(std::string_view resp)
{
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* built = nullptr;
  const int rc = redisReaderGetReply(reader, &built);
  redisReaderFree(reader);
  REQUIRE(rc == REDIS_OK);
  REQUIRE(built != nullptr);
  return Reply(static_cast<redisReply*>(built));
}

std::string
bulk(std::string_view text)
{
  return "$" + std::to_string(text.size()) + "\r\n" + std::string(text) + "\r\n";
}

std::string
integer(long long value)
{
  return ":" + std::to_string(value) + "\r\n";
}

// One CLUSTER SHARDS node entry (RESP2: a flat array of names and values).
std::string
shard_node(std::string_view ip, int port, int tls_port, std::string_view role)
{
  return "*12\r\n" + bulk("id") + bulk("0123") + bulk("port") + integer(port) + bulk("tls-port")
         + integer(tls_port) + bulk("ip") + bulk(ip) + bulk("role") + bulk(role) + bulk("health")
         + bulk("online");
}

} // namespace

TEST_SUITE("sinks::cluster_slots")
{
  TEST_CASE("key_slot is CRC16/XMODEM modulo 16384, as Redis computes it")
  {
    // Values from CLUSTER KEYSLOT on redis-server 7.0.
    CHECK(key_slot("foo") == 12182);
    CHECK(key_slot("bar") == 5061);
    CHECK(key_slot("123456789") == 12739); // CRC16/XMODEM's check value 0x31C3
    CHECK(key_slot("") == 0);
  }

  TEST_CASE("a hash tag puts keys in one slot")
  {
    CHECK(key_slot("{user1000}.following") == key_slot("{user1000}.followers"));
    CHECK(key_slot("{user1000}.following") == key_slot("user1000"));
    CHECK(key_slot("product:{42}:page:en") == key_slot("42"));
    // Only the first `{`...`}` counts, and an empty tag means the whole key.
    CHECK(key_slot("foo{}{bar}") == key_slot("foo{}{bar}"));
    CHECK(key_slot("foo{}{bar}") != key_slot("bar"));
    CHECK(key_slot("foo{{bar}}zap") == key_slot("{bar"));
    CHECK(key_slot("foo{bar}{zap}") == key_slot("bar"));
    CHECK(key_slot("no{close") == key_slot(std::string_view("no{close")));
  }

  TEST_CASE("CLUSTER SLOTS gathers each master's ranges and replicas")
  {
    const std::string resp = "*3\r\n"
                             "*4\r\n"
                             + integer(0) + integer(5460) + "*2\r\n" + bulk("127.0.0.1")
                             + integer(7000) + "*2\r\n" + bulk("127.0.0.1") + integer(7003)
                             + "*3\r\n" + integer(5461) + integer(10922) + "*2\r\n"
                             + bulk("127.0.0.1") + integer(7001) + "*3\r\n" + integer(10923)
                             + integer(16383) + "*2\r\n" + bulk("127.0.0.1") + integer(7000);
    const std::vector<ClusterShard> shards = require_ok(parse_cluster_slots(*reply_of(resp)));
    REQUIRE(shards.size() == 2);
    CHECK(node_address(shards[0].master) == "127.0.0.1:7000");
    REQUIRE(shards[0].slots.size() == 2);
    CHECK(shards[0].slots[0].first == 0);
    CHECK(shards[0].slots[0].last == 5460);
    CHECK(shards[0].slots[1].first == 10923);
    CHECK(shards[0].slots[1].last == 16383);
    REQUIRE(shards[0].replicas.size() == 1);
    CHECK(node_address(shards[0].replicas[0]) == "127.0.0.1:7003");
    CHECK(node_address(shards[1].master) == "127.0.0.1:7001");
    CHECK(shards[1].replicas.empty());
  }

  TEST_CASE("CLUSTER SHARDS names the master, its replicas, and the TLS port over TLS")
  {
    const std::string resp = "*1\r\n*4\r\n" + bulk("slots") + "*4\r\n" + integer(0) + integer(100)
                             + integer(200) + integer(300) + bulk("nodes") + "*2\r\n"
                             + shard_node("10.0.0.1", 7000, 17000, "master")
                             + shard_node("10.0.0.2", 7001, 17001, "replica");
    const std::vector<ClusterShard> plain =
        require_ok(parse_cluster_shards(*reply_of(resp), false));
    REQUIRE(plain.size() == 1);
    CHECK(node_address(plain[0].master) == "10.0.0.1:7000");
    REQUIRE(plain[0].slots.size() == 2);
    CHECK(plain[0].slots[1].first == 200);
    CHECK(plain[0].slots[1].last == 300);
    REQUIRE(plain[0].replicas.size() == 1);
    CHECK(node_address(plain[0].replicas[0]) == "10.0.0.2:7001");
    const std::vector<ClusterShard> tls = require_ok(parse_cluster_shards(*reply_of(resp), true));
    CHECK(node_address(tls[0].master) == "10.0.0.1:17000");
  }

  TEST_CASE("a layout of another shape is an error, not a guess")
  {
    CHECK_FALSE(parse_cluster_slots(*reply_of("+OK\r\n")).has_value());
    CHECK_FALSE(parse_cluster_slots(*reply_of("*1\r\n*2\r\n:0\r\n:5\r\n")).has_value());
    CHECK_FALSE(parse_cluster_slots(*reply_of("*1\r\n*3\r\n:10\r\n:5\r\n*2\r\n$1\r\na\r\n:1\r\n"))
                    .has_value());
    CHECK_FALSE(parse_cluster_shards(*reply_of(":1\r\n"), false).has_value());
  }

  TEST_CASE("-MOVED and -ASK name the slot and the node")
  {
    Redirection redirection;
    REQUIRE(parse_redirection("MOVED 3999 127.0.0.1:6381", redirection));
    CHECK_FALSE(redirection.ask);
    CHECK(redirection.slot == 3999);
    CHECK(node_address(redirection.node) == "127.0.0.1:6381");
    REQUIRE(parse_redirection("ASK 12 [::1]:7000", redirection));
    CHECK(redirection.ask);
    CHECK(redirection.slot == 12);
    CHECK(redirection.node.host == "::1");
    CHECK(redirection.node.port == 7000);
    REQUIRE(parse_redirection("MOVED 5 :7002", redirection));
    CHECK(redirection.node.host.empty());
    CHECK_FALSE(parse_redirection("ERR unknown command", redirection));
    CHECK_FALSE(parse_redirection("MOVED 16384 127.0.0.1:6381", redirection));
    CHECK_FALSE(parse_redirection("MOVED x 127.0.0.1:6381", redirection));
    CHECK_FALSE(parse_redirection("MOVED 1 127.0.0.1", redirection));
  }
}
