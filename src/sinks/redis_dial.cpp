#include "redis_detail.hpp"

#include "cachewarm/core/log.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace cachewarm::sinks {

// `30s`, `1500ms`: a duration for messages.
std::string
format_ms(std::chrono::milliseconds duration)
{
  const auto ms = duration.count();
  if (ms != 0 && ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  return std::to_string(ms) + "ms";
}

ReplyType
reply_type(int type)
{
  switch (type) {
  case REDIS_REPLY_STRING:
    return ReplyType::string;
  case REDIS_REPLY_ARRAY:
    return ReplyType::array;
  case REDIS_REPLY_INTEGER:
    return ReplyType::integer;
  case REDIS_REPLY_NIL:
    return ReplyType::nil;
  case REDIS_REPLY_STATUS:
    return ReplyType::status;
  default:
    return ReplyType::error;
  }
}

core::Result<std::vector<ReplyPtr>>
pipeline(Transport& transport, std::span<const std::vector<std::string_view>> commands)
{
  std::string out;
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const std::vector<std::string_view>& args : commands) {
    argv.clear();
    lens.clear();
    for (const std::string_view arg : args) {
      argv.push_back(arg.data());
      lens.push_back(arg.size());
    }
    char* formatted = nullptr;
    const int len =
        redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), lens.data());
    if (len < 0) {
      return core::fail(core::Errc::internal, "cannot format a command");
    }
    out.append(formatted, static_cast<std::size_t>(len));
    redisFreeCommand(formatted);
  }
  if (!transport.send(out)) {
    return core::fail(core::Errc::target_unreachable, transport.error());
  }
  std::vector<ReplyPtr> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (!transport.receive(&raw)) {
      return core::fail(core::Errc::target_unreachable, transport.error());
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

core::Result<ReplyPtr>
command(Transport& transport, std::initializer_list<std::string_view> args)
{
  const std::vector<std::string_view> one(args);
  CW_TRY_ASSIGN(std::vector<ReplyPtr> replies, pipeline(transport, std::span(&one, 1)));
  return std::move(replies.front());
}

// `target main (redis://127.0.0.1:6379/0)`: how messages name a target.
std::string
target_label(const RedisOptions& options, const std::string& description)
{
  return "target " + options.name + " (" + description + ")";
}

namespace {

std::string
node_name(const RedisAddress& address)
{
  return address.is_unix ? address.path : node_address(HostPort{address.host, address.port});
}

std::string
reply_text(const redisReply& reply)
{
  return std::string(reply.str, reply.len);
}

// AUTH with `user` (may be empty) and `password` when there is one.
core::Result<void>
authenticate(Transport& transport, const std::string& user, const std::string& password)
{
  if (password.empty()) {
    return {};
  }
  CW_TRY_ASSIGN(ReplyPtr reply,
                user.empty() ? command(transport, {"AUTH", password})
                             : command(transport, {"AUTH", user, password}));
  if (reply->type == REDIS_REPLY_ERROR) {
    return core::fail(core::Errc::target_unreachable,
                      "authentication failed: " + reply_text(*reply));
  }
  return {};
}

core::Result<std::shared_ptr<const TlsClient>>
make_tls(const std::optional<core::TlsSettings>& settings)
{
  return TlsClient::create(settings.value_or(core::TlsSettings{}));
}

} // namespace

Dialer::Dialer(RedisOptions options, RedisAddress address)
    : m_options(std::move(options))
    , m_address(std::move(address))
    , m_description(redact_url(m_options.url))
{}

core::Result<std::unique_ptr<Dialer>>
Dialer::create(const RedisOptions& options)
{
  const std::string context = "target " + options.name;
  core::Result<RedisAddress> address = parse_redis_url(options.url);
  if (!address) {
    return tl::unexpected(core::with_context(address.error(), context));
  }
  if (options.tls && !address->tls) {
    return core::fail(core::Errc::manifest,
                      context + ": tls settings need a rediss:// or rediss+sentinel:// URL");
  }
  if (options.cluster && !address->cluster) {
    // `cluster: true` on a redis:// URL: that host is the one seed.
    if (address->is_unix || address->via_sentinel()) {
      return core::fail(core::Errc::manifest,
                        context
                            + ": cluster: true needs a redis://, rediss:// or "
                              "redis+cluster:// URL");
    }
    if (address->db != 0) {
      return core::fail(core::Errc::manifest, context + ": a cluster has only database 0");
    }
    address->hosts = {HostPort{address->host, address->port}};
    address->cluster = true;
  }
  std::unique_ptr<Dialer> dialer(new Dialer(options, std::move(*address)));
  if (dialer->m_address.cluster) {
    dialer->m_cluster = std::make_unique<ClusterTopology>(*dialer, dialer->m_address.hosts);
  }
  if (dialer->m_address.tls) {
    core::Result<std::shared_ptr<const TlsClient>> tls = make_tls(options.tls);
    if (!tls) {
      return tl::unexpected(core::with_context(tls.error(), context));
    }
    dialer->m_tls = std::move(*tls);
    if (!dialer->m_tls->verifies()) {
      core::log(core::LogLevel::warning,
                dialer->where()
                    + ": tls verify: false: the server's certificate is not "
                      "verified, so anyone in the path can read and change the data");
    }
  }
  if (dialer->m_address.via_sentinel() && (options.sentinel_tls || dialer->m_address.tls)) {
    core::Result<std::shared_ptr<const TlsClient>> tls =
        make_tls(options.sentinel_tls ? options.sentinel_tls : options.tls);
    if (!tls) {
      return tl::unexpected(core::with_context(tls.error(), context + ": sentinel"));
    }
    dialer->m_sentinel_tls = std::move(*tls);
  }
  return dialer;
}

std::string
Dialer::where() const
{
  return target_label(m_options, m_description);
}

core::Result<Link>
Dialer::open_node(const RedisAddress& address, const TlsClient* tls) const
{
  CW_TRY_ASSIGN(
      TransportPtr transport,
      Transport::open(address, tls, m_options.connect_timeout, m_options.command_timeout));
  core::Result<void> ready = [&]() -> core::Result<void> {
    CW_TRY(authenticate(*transport, address.user, address.password));
    if (address.db != 0) {
      const std::string db = std::to_string(address.db);
      CW_TRY_ASSIGN(ReplyPtr reply, command(*transport, {"SELECT", db}));
      if (reply->type == REDIS_REPLY_ERROR) {
        return core::fail(core::Errc::target_unreachable,
                          "SELECT " + db + " failed: " + reply_text(*reply));
      }
    }
    // A PING proves the connection is usable (and surfaces NOAUTH when a password is required,
    // LOADING while a restarted server reads its data back).
    CW_TRY_ASSIGN(ReplyPtr pong, command(*transport, {"PING"}));
    if (pong->type == REDIS_REPLY_ERROR) {
      return core::fail(core::Errc::target_unreachable, reply_text(*pong));
    }
    return {};
  }();
  if (!ready) {
    // A TLS server drops a plain-text client without a word.
    if (tls == nullptr && !address.is_unix && transport->closed_by_server()
        && !transport->received_any()) {
      return core::fail(core::Errc::target_unreachable,
                        ready.error().message + " during set-up (a TLS port? use rediss://)");
    }
    return tl::unexpected(ready.error());
  }
  return Link{std::move(transport), node_name(address)};
}

core::Result<Link>
Dialer::dial_node(const HostPort& node) const
{
  RedisAddress address = m_address;
  address.host = node.host;
  address.port = node.port;
  address.db = 0;
  return open_node(address, m_tls.get());
}

core::Result<Link>
Dialer::dial() const
{
  if (m_cluster) {
    // Any master: what is asked of a cluster as a whole (a first check, a probe) any node
    // answers for its own part.
    CW_TRY(m_cluster->refresh(false));
    std::string why;
    for (const HostPort& master : m_cluster->map()->masters) {
      core::Result<Link> link = dial_node(master);
      if (link) {
        return link;
      }
      why += (why.empty() ? "" : "; ") + node_address(master) + ": " + link.error().message;
    }
    return core::fail(core::Errc::target_unreachable, "no cluster master reachable (" + why + ")");
  }
  if (!m_address.via_sentinel()) {
    return open_node(m_address, m_tls.get());
  }
  return dial_master();
}

core::Result<std::vector<HostPort>>
Dialer::ask_sentinels() const
{
  struct Vote {
    HostPort node;
    int votes = 0;
  };
  std::vector<Vote> votes;
  std::vector<std::string> unreachable;
  std::string unknown; // a sentinel that answered but does not monitor the master
  for (const HostPort& sentinel : m_address.hosts) {
    RedisAddress address;
    address.host = sentinel.host;
    address.port = sentinel.port;
    const std::string name = node_address(sentinel);
    core::Result<ReplyPtr> reply = [&]() -> core::Result<ReplyPtr> {
      CW_TRY_ASSIGN(
          TransportPtr transport,
          Transport::open(
              address, m_sentinel_tls.get(), m_options.connect_timeout, m_options.command_timeout));
      CW_TRY(authenticate(*transport, m_options.sentinel_user, m_options.sentinel_password));
      return command(*transport, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", m_address.master_name});
    }();
    if (!reply) {
      unreachable.push_back(name + ": " + reply.error().message);
      continue;
    }
    const redisReply& answer = **reply;
    if (answer.type == REDIS_REPLY_ARRAY && answer.elements == 2
        && answer.element[0]->type == REDIS_REPLY_STRING
        && answer.element[1]->type == REDIS_REPLY_STRING) {
      HostPort master{reply_text(*answer.element[0]), std::atoi(answer.element[1]->str)};
      const auto same = std::find_if(votes.begin(), votes.end(), [&](const Vote& v) {
        return v.node.host == master.host && v.node.port == master.port;
      });
      if (same == votes.end()) {
        votes.push_back(Vote{std::move(master), 1});
      } else {
        ++same->votes;
      }
    } else if (answer.type == REDIS_REPLY_ERROR) {
      unreachable.push_back(name + ": " + reply_text(answer));
    } else if (unknown.empty()) {
      unknown = name;
    }
  }
  if (votes.empty()) {
    if (!unknown.empty()) {
      return core::fail(core::Errc::target_unreachable,
                        "sentinel " + unknown + " does not know master \"" + m_address.master_name
                            + "\"");
    }
    std::string why;
    for (const std::string& each : unreachable) {
      why += (why.empty() ? "" : "; ") + each;
    }
    return core::fail(core::Errc::target_unreachable, "no sentinel reachable (" + why + ")");
  }
  // A failover moves forward: a master named by any sentinel that is not one this target has
  // left is newer news than the majority of sentinels that have not heard yet.
  std::lock_guard<std::mutex> lock(m_mutex);
  std::stable_sort(votes.begin(), votes.end(), [&](const Vote& a, const Vote& b) {
    const bool a_left = left_before(node_address(a.node));
    const bool b_left = left_before(node_address(b.node));
    if (a_left != b_left) {
      return !a_left;
    }
    if (!m_masters.empty()) { // a change is news: try the address we are not on first
      const bool a_current = node_address(a.node) == m_masters.back();
      const bool b_current = node_address(b.node) == m_masters.back();
      if (a_current != b_current) {
        return !a_current;
      }
    }
    return a.votes > b.votes;
  });
  std::vector<HostPort> candidates;
  for (Vote& vote : votes) {
    candidates.push_back(std::move(vote.node));
  }
  return candidates;
}

core::Result<Link>
Dialer::dial_master() const
{
  CW_TRY_ASSIGN(std::vector<HostPort> candidates, ask_sentinels());
  std::string why;
  for (const HostPort& candidate : candidates) {
    RedisAddress address = m_address;
    address.host = candidate.host;
    address.port = candidate.port;
    const std::string node = node_name(address);
    core::Result<Link> link = open_node(address, m_tls.get());
    if (!link) {
      why += (why.empty() ? "" : "; ") + node + ": " + link.error().message;
      continue;
    }
    core::Result<ReplyPtr> role = command(*link->transport, {"ROLE"});
    if (!role) {
      why += (why.empty() ? "" : "; ") + node + ": " + role.error().message;
      continue;
    }
    const redisReply& answer = **role;
    const bool master = answer.type == REDIS_REPLY_ARRAY && answer.elements > 0
                        && answer.element[0]->type == REDIS_REPLY_STRING
                        && reply_text(*answer.element[0]) == "master";
    if (!master) {
      why += (why.empty() ? "" : "; ") + node + " is not a master yet (failover in progress?)";
      continue;
    }
    reached(node);
    return link;
  }
  return core::fail(core::Errc::target_unreachable,
                    "master \"" + m_address.master_name + "\": " + why);
}

void
Dialer::reached(const std::string& node) const
{
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_masters.empty() || m_masters.back() != node) {
    m_masters.push_back(node);
  }
}

bool
Dialer::left_before(const std::string& node) const
{
  if (m_masters.empty()) {
    return false;
  }
  return std::find(m_masters.begin(), m_masters.end() - 1, node) != m_masters.end() - 1;
}

bool
Dialer::master_moved(const std::string& node) const
{
  if (!m_address.via_sentinel()) {
    return false;
  }
  constexpr std::chrono::milliseconds k_check_every{500};
  bool ask = false;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (now - m_checked >= k_check_every) {
      m_checked = now;
      ask = true;
    }
  }
  if (ask) {
    core::Result<std::vector<HostPort>> candidates = ask_sentinels();
    std::lock_guard<std::mutex> lock(m_mutex);
    m_named =
        candidates && !candidates->empty() ? node_address(candidates->front()) : std::string();
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  return !m_named.empty() && m_named != node && !left_before(m_named);
}

TargetFacts
Dialer::facts() const
{
  TargetFacts facts;
  if (m_tls) {
    facts.tls_verify = m_tls->verifies();
  }
  facts.via_sentinel = m_address.via_sentinel();
  if (m_cluster) {
    facts.cluster = true;
    facts.nodes = m_cluster->facts();
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  facts.masters = m_masters;
  return facts;
}

} // namespace cachewarm::sinks
