// cachewarm snapshot: the hottest keys of a live Redis, found with SCAN and OBJECT.

#include "cachewarm/sinks/snapshot.hpp"

#include "redis_detail.hpp"

#include "cachewarm/core/clock.hpp"
#include "cachewarm/core/rate_limiter.hpp"
#include "cachewarm/sinks/redis_info.hpp"

#include <algorithm>
#include <queue>
#include <thread>
#include <unordered_set>
#include <utility>

namespace cachewarm::sinks {

namespace {

using Args = std::vector<std::string_view>;

// A key the scan found, and how hot it is (OBJECT FREQ, or minus OBJECT IDLETIME).
struct Candidate {
  std::int64_t hotness = 0;
  std::string key;
  std::size_t node = 0; // index into the scanned nodes
};

// Orders a min-heap: the coldest kept candidate on top (equal hotness: the later key on top,
// so that ties keep the smaller keys, whatever order SCAN gave).
struct Colder {
  bool operator()(const Candidate& a, const Candidate& b) const
  {
    return a.hotness != b.hotness ? a.hotness > b.hotness : a.key < b.key;
  }
};

class Snapshotter {
public:
  Snapshotter(const Dialer& dialer, const SnapshotOptions& options)
      : m_dialer(dialer)
      , m_options(options)
      , m_limiter(options.rate, m_clock)
  {}

  core::Result<SnapshotResult> run()
  {
    m_result.server = m_dialer.description();
    CW_TRY(connect());
    CW_TRY(read_policy());
    for (Link& node : m_nodes) {
      CW_TRY_ASSIGN(ReplyPtr size, call(node, {"DBSIZE"}));
      m_result.keys_in_db += size->type == REDIS_REPLY_INTEGER
                                 ? static_cast<std::uint64_t>(std::max(size->integer, 0LL))
                                 : 0;
    }
    for (std::size_t i = 0; i < m_nodes.size() && !m_result.sampled; ++i) {
      CW_TRY(scan(i));
    }
    std::vector<Candidate> kept;
    kept.reserve(m_heap.size());
    while (!m_heap.empty()) {
      kept.push_back(m_heap.top()); // coldest first
      m_heap.pop();
    }
    std::reverse(kept.begin(), kept.end());
    CW_TRY(read_kept(kept));
    return std::move(m_result);
  }

private:
  core::Result<void> connect()
  {
    if (const ClusterTopology* cluster = m_dialer.cluster()) {
      CW_TRY(cluster->refresh(true));
      for (const HostPort& master : cluster->map()->masters) {
        core::Result<Link> link = m_dialer.dial_node(master);
        if (!link) {
          return unreachable(node_address(master) + ": " + link.error().message);
        }
        m_nodes.push_back(std::move(*link));
      }
      return {};
    }
    core::Result<Link> link = m_dialer.dial();
    if (!link) {
      return unreachable(link.error().message);
    }
    m_nodes.push_back(std::move(*link));
    return {};
  }

  core::Result<void> read_policy()
  {
    CW_TRY_ASSIGN(ReplyPtr info, call(m_nodes.front(), {"INFO", "memory"}));
    if (info->type == REDIS_REPLY_STRING) {
      m_result.maxmemory_policy =
          parse_info(std::string_view(info->str, info->len)).maxmemory_policy;
    }
    m_lfu = m_result.maxmemory_policy.find("lfu") != std::string::npos;
    m_result.ranked_by = m_lfu ? "lfu_freq" : "idle_time";
    return {};
  }

  // Scans node `index` to the end (or to the sample size).
  core::Result<void> scan(std::size_t index)
  {
    Link& node = m_nodes[index];
    const std::string count = std::to_string(m_options.page);
    std::string cursor = "0";
    do {
      CW_TRY(check_stop());
      Args args{"SCAN", cursor};
      if (!m_options.match.empty()) {
        args.insert(args.end(), {"MATCH", m_options.match});
      }
      args.insert(args.end(), {"COUNT", count});
      CW_TRY_ASSIGN(ReplyPtr page, call(node, args));
      if (page->type != REDIS_REPLY_ARRAY || page->elements != 2
          || page->element[0]->type != REDIS_REPLY_STRING
          || page->element[1]->type != REDIS_REPLY_ARRAY) {
        return unreachable(node.node + ": unexpected reply to SCAN");
      }
      cursor.assign(page->element[0]->str, page->element[0]->len);
      const redisReply& keys = *page->element[1];
      CW_TRY(rank_page(index, keys));
      m_result.examined += keys.elements;
      if (m_options.progress) {
        m_options.progress(m_result.examined, m_result.keys_in_db);
      }
      if (m_options.sample > 0 && m_result.examined >= m_options.sample && cursor != "0") {
        m_result.sampled = true;
        return {};
      }
    } while (cursor != "0");
    return {};
  }

  // Asks every key of a SCAN page how hot it is, in one pipeline, and keeps the hottest.
  core::Result<void> rank_page(std::size_t index, const redisReply& keys)
  {
    if (keys.elements == 0) {
      return {};
    }
    CW_TRY(pace(keys.elements));
    std::vector<Args> commands;
    commands.reserve(keys.elements);
    for (std::size_t i = 0; i < keys.elements; ++i) {
      const std::string_view key(keys.element[i]->str, keys.element[i]->len);
      commands.push_back(Args{"OBJECT", m_lfu ? "FREQ" : "IDLETIME", key});
    }
    CW_TRY_ASSIGN(std::vector<ReplyPtr> replies, pipeline(m_nodes[index], commands));
    for (std::size_t i = 0; i < replies.size(); ++i) {
      const redisReply& reply = *replies[i];
      if (reply.type == REDIS_REPLY_NIL) {
        continue; // gone since SCAN named it
      }
      if (reply.type != REDIS_REPLY_INTEGER) {
        return unreachable(m_nodes[index].node + ": OBJECT " + (m_lfu ? "FREQ" : "IDLETIME")
                           + " failed: "
                           + (reply.type == REDIS_REPLY_ERROR ? std::string(reply.str, reply.len)
                                                              : "unexpected reply"));
      }
      offer(Candidate{m_lfu ? reply.integer : -reply.integer,
                      std::string(keys.element[i]->str, keys.element[i]->len),
                      index});
    }
    return {};
  }

  void offer(Candidate candidate)
  {
    if (m_options.top == 0) {
      return;
    }
    if (m_heap.size() < m_options.top) {
      m_heap.push(std::move(candidate));
    } else if (Colder{}(candidate, m_heap.top())) {
      m_heap.pop();
      m_heap.push(std::move(candidate));
    }
  }

  // PTTL (and DUMP) of the kept keys, node by node in pipelines of `page` keys. SCAN may name a
  // key twice (while the server rehashes): it is kept once.
  core::Result<void> read_kept(const std::vector<Candidate>& kept)
  {
    std::unordered_set<std::string_view> seen;
    std::vector<const Candidate*> unique;
    for (const Candidate& candidate : kept) {
      if (seen.insert(candidate.key).second) {
        unique.push_back(&candidate);
      }
    }
    std::vector<std::optional<sources::SnapshotKey>> keys(unique.size());
    for (std::size_t node = 0; node < m_nodes.size(); ++node) {
      std::vector<std::size_t> mine;
      for (std::size_t i = 0; i < unique.size(); ++i) {
        if (unique[i]->node == node) {
          mine.push_back(i);
        }
      }
      for (std::size_t from = 0; from < mine.size(); from += m_options.page) {
        CW_TRY(check_stop());
        const std::size_t to = std::min(mine.size(), from + m_options.page);
        CW_TRY(pace(to - from));
        CW_TRY(read_chunk(node, unique, std::span(mine).subspan(from, to - from), keys));
      }
    }
    for (std::optional<sources::SnapshotKey>& key : keys) {
      if (key) {
        m_result.keys.push_back(std::move(*key));
      } else {
        ++m_result.vanished;
      }
    }
    return {};
  }

  core::Result<void> read_chunk(std::size_t node,
                                const std::vector<const Candidate*>& unique,
                                std::span<const std::size_t> chunk,
                                std::vector<std::optional<sources::SnapshotKey>>& keys)
  {
    std::vector<Args> commands;
    for (const std::size_t i : chunk) {
      commands.push_back(Args{"PTTL", unique[i]->key});
      if (m_options.values) {
        commands.push_back(Args{"DUMP", unique[i]->key});
      }
    }
    CW_TRY_ASSIGN(std::vector<ReplyPtr> replies, pipeline(m_nodes[node], commands));
    const std::size_t step = m_options.values ? 2 : 1;
    for (std::size_t j = 0; j < chunk.size(); ++j) {
      const redisReply& ttl = *replies[j * step];
      if (ttl.type != REDIS_REPLY_INTEGER) {
        return unreachable(m_nodes[node].node + ": PTTL failed: " + reply_text(ttl));
      }
      if (ttl.integer == -2) {
        continue; // gone: deleted or expired since the scan
      }
      const Candidate& candidate = *unique[chunk[j]];
      sources::SnapshotKey key;
      key.key = candidate.key;
      key.score = m_lfu ? candidate.hotness : -candidate.hotness;
      key.ttl_ms = ttl.integer < 0 ? -1 : ttl.integer;
      if (m_options.values) {
        const redisReply& dump = *replies[j * step + 1];
        if (dump.type == REDIS_REPLY_NIL) {
          continue;
        }
        if (dump.type != REDIS_REPLY_STRING) {
          return unreachable(m_nodes[node].node + ": DUMP failed: " + reply_text(dump));
        }
        key.dump = std::string(dump.str, dump.len);
      }
      keys[chunk[j]] = std::move(key);
    }
    return {};
  }

  // Waits for the rate to allow `keys` more keys, in steps of at most 50 ms so that a stop
  // request is seen at once.
  core::Result<void> pace(std::size_t keys)
  {
    std::chrono::nanoseconds wait = m_limiter.reserve(keys);
    while (wait.count() > 0) {
      CW_TRY(check_stop());
      const std::chrono::nanoseconds step =
          std::min<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(50));
      std::this_thread::sleep_for(step);
      wait -= step;
    }
    return {};
  }

  core::Result<void> check_stop() const
  {
    const std::atomic<bool>* stop = m_dialer.options().stop;
    if (stop != nullptr && stop->load()) {
      return core::fail(core::Errc::interrupted, m_dialer.where() + ": snapshot interrupted");
    }
    return {};
  }

  core::Result<ReplyPtr> call(Link& node, const Args& args)
  {
    CW_TRY_ASSIGN(std::vector<ReplyPtr> replies, pipeline(node, {args}));
    ReplyPtr reply = std::move(replies.front());
    if (reply->type == REDIS_REPLY_ERROR) {
      return unreachable(node.node + ": " + std::string(args.front())
                         + " failed: " + reply_text(*reply));
    }
    return reply;
  }

  // Sends `commands` in one write and reads their replies in order; errors name the node.
  core::Result<std::vector<ReplyPtr>> pipeline(Link& node, const std::vector<Args>& commands)
  {
    core::Result<std::vector<ReplyPtr>> replies = sinks::pipeline(*node.transport, commands);
    if (!replies && replies.error().code == core::Errc::target_unreachable) {
      return unreachable(node.node + ": " + replies.error().message);
    }
    return replies;
  }

  static std::string reply_text(const redisReply& reply)
  {
    return reply.type == REDIS_REPLY_ERROR || reply.type == REDIS_REPLY_STATUS
               ? std::string(reply.str, reply.len)
               : "unexpected reply";
  }

  tl::unexpected<core::Error> unreachable(const std::string& why) const
  {
    return tl::unexpected(
        core::Error{core::Errc::target_unreachable, m_dialer.where() + ": " + why});
  }

  const Dialer& m_dialer;
  const SnapshotOptions& m_options;
  core::SteadyClock m_clock;
  core::RateLimiter m_limiter;
  std::vector<Link> m_nodes;
  bool m_lfu = false;
  std::priority_queue<Candidate, std::vector<Candidate>, Colder> m_heap;
  SnapshotResult m_result;
};

} // namespace

core::Result<SnapshotResult>
take_snapshot(const RedisOptions& options, const SnapshotOptions& snapshot)
{
  CW_TRY_ASSIGN(std::unique_ptr<Dialer> dialer, Dialer::create(options));
  Snapshotter snapshotter(*dialer, snapshot);
  return snapshotter.run();
}

} // namespace cachewarm::sinks
