#include "cachewarm/sinks/redis_info.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using cachewarm::sinks::parse_info;
using cachewarm::sinks::TargetStats;

namespace {

// The # Server, # Memory and # Stats sections of a real INFO reply, verbatim: captured with
// `redis-cli -s SOCKET info` from redis-server 7.0.15 (Debian 12 package, jemalloc) started with
// `--port 0 --unixsocket SOCKET --save '' --maxmemory 4mb --maxmemory-policy allkeys-lru` after
// pipelining 40000 SETs of 200-byte values into it, so maxmemory is set and keys were evicted.
// The server sends CRLF line ends; the literal holds LF ones and crlf() restores them.
constexpr std::string_view k_info_redis_7_0 = R"info(# Server
redis_version:7.0.15
redis_git_sha1:00000000
redis_git_dirty:0
redis_build_id:ae4d7c971a948f0
redis_mode:standalone
os:Linux 6.18.44-fc-v657 x86_64
arch_bits:64
monotonic_clock:POSIX clock_gettime
multiplexing_api:epoll
atomicvar_api:c11-builtin
gcc_version:12.2.0
process_id:27071
process_supervised:no
run_id:6e764278d52e18895ae8b67eb4bc7d5248acd0b3
tcp_port:0
server_time_usec:1795316771392628
uptime_in_seconds:3
uptime_in_days:0
hz:10
configured_hz:10
lru_clock:154659
executable:/tmp/redis-server
config_file:
io_threads_active:0

# Memory
used_memory:4073592
used_memory_human:3.88M
used_memory_rss:10244096
used_memory_rss_human:9.77M
used_memory_peak:4214824
used_memory_peak_human:4.02M
used_memory_peak_perc:96.65%
used_memory_overhead:1424504
used_memory_startup:876472
used_memory_dataset:2649088
used_memory_dataset_perc:82.86%
allocator_allocated:4649320
allocator_active:5066752
allocator_resident:7831552
total_system_memory:25325268992
total_system_memory_human:23.59G
used_memory_lua:32768
used_memory_vm_eval:32768
used_memory_lua_human:32.00K
used_memory_scripts_eval:0
number_of_cached_scripts:0
number_of_functions:0
number_of_libraries:0
used_memory_vm_functions:33792
used_memory_vm_total:66560
used_memory_vm_total_human:65.00K
used_memory_functions:200
used_memory_scripts:200
used_memory_scripts_human:200B
maxmemory:4194304
maxmemory_human:4.00M
maxmemory_policy:allkeys-lru
allocator_frag_ratio:1.09
allocator_frag_bytes:417432
allocator_rss_ratio:1.55
allocator_rss_bytes:2764800
rss_overhead_ratio:1.31
rss_overhead_bytes:2412544
mem_fragmentation_ratio:2.52
mem_fragmentation_bytes:6173024
mem_not_counted_for_evict:0
mem_replication_backlog:0
mem_total_replication_buffers:0
mem_clients_slaves:0
mem_clients_normal:0
mem_cluster_links:0
mem_aof_buffer:0
mem_allocator:jemalloc-5.3.0
active_defrag_running:0
lazyfree_pending_objects:0
lazyfreed_objects:0

# Stats
total_connections_received:2
total_commands_processed:40000
instantaneous_ops_per_sec:25000
total_net_input_bytes:9428904
total_net_output_bytes:200000
total_net_repl_input_bytes:0
total_net_repl_output_bytes:0
instantaneous_input_kbps:5754.94
instantaneous_output_kbps:119.79
instantaneous_input_repl_kbps:0.00
instantaneous_output_repl_kbps:0.00
rejected_connections:0
sync_full:0
sync_partial_ok:0
sync_partial_err:0
expired_keys:0
expired_stale_perc:0.00
expired_time_cap_reached_count:0
expire_cycle_cpu_milliseconds:0
evicted_keys:29581
evicted_clients:0
total_eviction_exceeded_time:0
current_eviction_exceeded_time:0
keyspace_hits:0
keyspace_misses:0
pubsub_channels:0
pubsub_patterns:0
pubsubshard_channels:0
latest_fork_usec:0
total_forks:0
migrate_cached_sockets:0
slave_expires_tracked_keys:0
active_defrag_hits:0
active_defrag_misses:0
active_defrag_key_hits:0
active_defrag_key_misses:0
total_active_defrag_time:0
current_active_defrag_time:0
tracking_total_keys:0
tracking_total_items:0
tracking_total_prefixes:0
unexpected_error_replies:0
total_error_replies:0
dump_payload_sanitizations:0
total_reads_processed:469
total_writes_processed:170
io_threaded_reads_processed:0
io_threaded_writes_processed:0
reply_buffer_shrinks:0
reply_buffer_expands:0
)info";

// `text` with every LF turned into CRLF, as the server sends it.
std::string
crlf(std::string_view text)
{
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (const char c : text) {
    if (c == '\n') {
      out += '\r';
    }
    out += c;
  }
  return out;
}

void
check_defaults(const TargetStats& stats)
{
  CHECK(stats.used_memory == 0);
  CHECK(stats.maxmemory == 0);
  CHECK(stats.maxmemory_policy.empty());
  CHECK(stats.evicted_keys == 0);
  CHECK(stats.instantaneous_ops_per_sec == 0.0);
}

} // namespace

TEST_SUITE("sinks::redis_info")
{
  TEST_CASE("a real Redis 7.0 INFO reply with CRLF line ends")
  {
    const std::string reply = crlf(k_info_redis_7_0);
    REQUIRE(reply.find("\r\nused_memory:4073592\r\n") != std::string::npos);
    const TargetStats stats = parse_info(reply);
    CHECK(stats.used_memory == 4'073'592);
    CHECK(stats.maxmemory == 4'194'304);
    CHECK(stats.maxmemory_policy == "allkeys-lru"); // no trailing CR
    CHECK(stats.evicted_keys == 29'581);
    CHECK(stats.instantaneous_ops_per_sec == 25'000.0);
  }

  TEST_CASE("the same reply with LF-only line ends")
  {
    const TargetStats stats = parse_info(k_info_redis_7_0);
    CHECK(stats.used_memory == 4'073'592);
    CHECK(stats.maxmemory == 4'194'304);
    CHECK(stats.maxmemory_policy == "allkeys-lru");
    CHECK(stats.evicted_keys == 29'581);
    CHECK(stats.instantaneous_ops_per_sec == 25'000.0);
  }

  TEST_CASE("a server without maxmemory")
  {
    // Excerpt of the same server's reply started without --maxmemory (the default policy).
    const TargetStats stats = parse_info("# Memory\r\n"
                                         "used_memory:916968\r\n"
                                         "used_memory_human:895.48K\r\n"
                                         "maxmemory:0\r\n"
                                         "maxmemory_human:0B\r\n"
                                         "maxmemory_policy:noeviction\r\n"
                                         "\r\n"
                                         "# Stats\r\n"
                                         "instantaneous_ops_per_sec:0\r\n"
                                         "evicted_keys:0\r\n");
    CHECK(stats.used_memory == 916'968);
    CHECK(stats.maxmemory == 0);
    CHECK(stats.maxmemory_policy == "noeviction");
    CHECK(stats.evicted_keys == 0);
    CHECK(stats.instantaneous_ops_per_sec == 0.0);
  }

  TEST_CASE("fields named like a watched one are not mistaken for it")
  {
    const TargetStats stats = parse_info("used_memory:1048576\r\n"
                                         "used_memory_human:1.00M\r\n"
                                         "used_memory_peak:2097152\r\n"
                                         "used_memory_rss:3145728\r\n"
                                         "maxmemory_human:0B\r\n"
                                         "maxmemory_policy:noeviction\r\n"
                                         "maxmemory:0\r\n"
                                         "evicted_keys:12\r\n"
                                         "evicted_clients:7\r\n"
                                         "instantaneous_ops_per_sec:4521\r\n"
                                         "instantaneous_input_kbps:1.50\r\n");
    CHECK(stats.used_memory == 1'048'576);
    CHECK(stats.maxmemory == 0);
    CHECK(stats.maxmemory_policy == "noeviction");
    CHECK(stats.evicted_keys == 12);
    CHECK(stats.instantaneous_ops_per_sec == 4521.0);

    // Only the look-alikes: nothing is read.
    check_defaults(parse_info("used_memory_human:1.00M\r\n"
                              "used_memory_peak:2097152\r\n"
                              "maxmemory_human:4.00M\r\n"
                              "evicted_clients:7\r\n"
                              "instantaneous_output_kbps:2.00\r\n"
                              "total_eviction_exceeded_time:5\r\n"));
  }

  TEST_CASE("missing fields stay at 0 or empty")
  {
    const TargetStats stats = parse_info("# Server\r\n"
                                         "redis_version:7.0.15\r\n"
                                         "\r\n"
                                         "# Memory\r\n"
                                         "used_memory:2048\r\n");
    CHECK(stats.used_memory == 2048);
    CHECK(stats.maxmemory == 0);
    CHECK(stats.maxmemory_policy.empty());
    CHECK(stats.evicted_keys == 0);
    CHECK(stats.instantaneous_ops_per_sec == 0.0);

    check_defaults(parse_info("# Server\r\nredis_version:7.0.15\r\n"));
  }

  TEST_CASE("malformed numbers leave the defaults")
  {
    check_defaults(parse_info("used_memory:abc\r\n"
                              "maxmemory:12x\r\n"
                              "evicted_keys:-1\r\n"
                              "instantaneous_ops_per_sec:fast\r\n"));
    check_defaults(parse_info("used_memory:\r\n"
                              "maxmemory: 12\r\n"
                              "evicted_keys:1.5\r\n"
                              "instantaneous_ops_per_sec:12ops\r\n"));
    // Too big for 64 bits.
    check_defaults(parse_info("used_memory:99999999999999999999999\r\n"));
    // One bad field does not spoil the others.
    const TargetStats stats = parse_info("used_memory:abc\r\nmaxmemory:1024\r\n");
    CHECK(stats.used_memory == 0);
    CHECK(stats.maxmemory == 1024);
  }

  TEST_CASE("instantaneous_ops_per_sec may be a decimal")
  {
    CHECK(parse_info("instantaneous_ops_per_sec:4521.75\r\n").instantaneous_ops_per_sec == 4521.75);
    CHECK(parse_info("instantaneous_ops_per_sec:0.5\n").instantaneous_ops_per_sec == 0.5);
    CHECK(parse_info("instantaneous_ops_per_sec:4521").instantaneous_ops_per_sec == 4521.0);
  }

  TEST_CASE("empty input gives the defaults")
  {
    check_defaults(parse_info(""));
    check_defaults(parse_info("\r\n"));
    check_defaults(parse_info("\n\n\n"));
  }

  TEST_CASE("lines without a colon are ignored")
  {
    const TargetStats stats = parse_info("# Memory\r\n"
                                         "this line has no colon\r\n"
                                         "used_memory 5\r\n"
                                         "used_memory:4096\r\n"
                                         "maxmemory\r\n"
                                         "maxmemory:8192\r\n");
    CHECK(stats.used_memory == 4096);
    CHECK(stats.maxmemory == 8192);
  }

  TEST_CASE("the last line needs no line end")
  {
    CHECK(parse_info("evicted_keys:12").evicted_keys == 12);
    CHECK(parse_info("maxmemory_policy:volatile-ttl").maxmemory_policy == "volatile-ttl");
    CHECK(parse_info("maxmemory_policy:volatile-ttl\r").maxmemory_policy == "volatile-ttl");
  }
}
