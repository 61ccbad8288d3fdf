#include "cachewarm/sinks/cluster_slots.hpp"

#include <charconv>
#include <cstdlib>
#include <utility>

namespace cachewarm::sinks {

namespace {

// CRC16/XMODEM (polynomial 0x1021, initial 0) of every byte value, for a byte at a time.
constexpr std::array<std::uint16_t, 256>
make_crc16_table()
{
  std::array<std::uint16_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t crc = byte << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
    }
    table[byte] = static_cast<std::uint16_t>(crc & 0xFFFF);
  }
  return table;
}

constexpr std::array<std::uint16_t, 256> k_crc16_table = make_crc16_table();

std::uint16_t
crc16(std::string_view bytes)
{
  std::uint16_t crc = 0;
  for (const char c : bytes) {
    const auto index = static_cast<std::uint8_t>((crc >> 8) ^ static_cast<unsigned char>(c));
    crc = static_cast<std::uint16_t>((crc << 8) ^ k_crc16_table[index]);
  }
  return crc;
}

std::string_view
text_of(const redisReply& reply)
{
  return std::string_view(reply.str, reply.len);
}

bool
is_text(const redisReply* reply)
{
  return reply != nullptr
         && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS);
}

core::Error
bad_reply(const std::string& command, const std::string& why)
{
  return core::Error{core::Errc::target_unreachable, "unexpected reply to " + command + ": " + why};
}

bool
parse_port(std::string_view text, int& port)
{
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port > 0 && port < 65536;
}

// The value of `name` in a RESP2 map (a flat array of name, value pairs), or null.
const redisReply*
field(const redisReply& map, std::string_view name)
{
  if (map.type != REDIS_REPLY_ARRAY) {
    return nullptr;
  }
  for (std::size_t i = 0; i + 1 < map.elements; i += 2) {
    if (is_text(map.element[i]) && text_of(*map.element[i]) == name) {
      return map.element[i + 1];
    }
  }
  return nullptr;
}

} // namespace

std::uint16_t
key_slot(std::string_view key)
{
  const std::size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const std::size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return static_cast<std::uint16_t>(crc16(key) % k_cluster_slots);
}

std::string
node_address(const HostPort& node)
{
  const bool v6 = node.host.find(':') != std::string::npos;
  return (v6 ? "[" + node.host + "]" : node.host) + ":" + std::to_string(node.port);
}

core::Result<std::vector<ClusterShard>>
parse_cluster_shards(const redisReply& reply, bool tls)
{
  const std::string command = "CLUSTER SHARDS";
  if (reply.type != REDIS_REPLY_ARRAY) {
    return tl::unexpected(bad_reply(command, "not an array"));
  }
  std::vector<ClusterShard> shards;
  for (std::size_t s = 0; s < reply.elements; ++s) {
    const redisReply& entry = *reply.element[s];
    const redisReply* slots = field(entry, "slots");
    const redisReply* nodes = field(entry, "nodes");
    if (slots == nullptr || nodes == nullptr || slots->type != REDIS_REPLY_ARRAY
        || nodes->type != REDIS_REPLY_ARRAY || slots->elements % 2 != 0) {
      return tl::unexpected(bad_reply(command, "a shard without slots or nodes"));
    }
    if (slots->elements == 0) {
      continue; // a master without slots (or a shard being emptied) serves nothing
    }
    ClusterShard shard;
    for (std::size_t i = 0; i < slots->elements; i += 2) {
      const redisReply* first = slots->element[i];
      const redisReply* last = slots->element[i + 1];
      if (first->type != REDIS_REPLY_INTEGER || last->type != REDIS_REPLY_INTEGER
          || first->integer < 0 || last->integer >= k_cluster_slots
          || first->integer > last->integer) {
        return tl::unexpected(bad_reply(command, "a slot range that is not two slot numbers"));
      }
      shard.slots.push_back(SlotRange{static_cast<std::uint16_t>(first->integer),
                                      static_cast<std::uint16_t>(last->integer)});
    }
    bool has_master = false;
    for (std::size_t n = 0; n < nodes->elements; ++n) {
      const redisReply& node = *nodes->element[n];
      const redisReply* ip = field(node, "ip");
      const redisReply* port = field(node, tls ? "tls-port" : "port");
      const redisReply* role = field(node, "role");
      const redisReply* health = field(node, "health");
      if (!is_text(ip) || port == nullptr || port->type != REDIS_REPLY_INTEGER || !is_text(role)) {
        continue; // a node without an address on this transport cannot be used
      }
      HostPort address{std::string(text_of(*ip)), static_cast<int>(port->integer)};
      const bool online = !is_text(health) || text_of(*health) == "online";
      if (text_of(*role) == "master") {
        // A failed master may still be listed beside the replica that took over: the one that
        // is online serves the slots.
        if (!has_master || online) {
          shard.master = std::move(address);
        }
        has_master = true;
      } else {
        // Listed whatever their health: a replica still loading its first sync is the one that
        // takes over if the master fails.
        shard.replicas.push_back(std::move(address));
      }
    }
    if (!has_master) {
      return tl::unexpected(bad_reply(command, "a shard with slots but no master"));
    }
    shards.push_back(std::move(shard));
  }
  return shards;
}

core::Result<std::vector<ClusterShard>>
parse_cluster_slots(const redisReply& reply)
{
  const std::string command = "CLUSTER SLOTS";
  if (reply.type != REDIS_REPLY_ARRAY) {
    return tl::unexpected(bad_reply(command, "not an array"));
  }
  std::vector<ClusterShard> shards;
  for (std::size_t r = 0; r < reply.elements; ++r) {
    const redisReply& range = *reply.element[r];
    if (range.type != REDIS_REPLY_ARRAY || range.elements < 3
        || range.element[0]->type != REDIS_REPLY_INTEGER
        || range.element[1]->type != REDIS_REPLY_INTEGER) {
      return tl::unexpected(bad_reply(command, "a range that is not [first, last, master, ...]"));
    }
    const long long first = range.element[0]->integer;
    const long long last = range.element[1]->integer;
    if (first < 0 || last >= k_cluster_slots || first > last) {
      return tl::unexpected(bad_reply(command, "a slot range out of 0..16383"));
    }
    std::vector<HostPort> nodes;
    for (std::size_t n = 2; n < range.elements; ++n) {
      const redisReply& node = *range.element[n];
      if (node.type != REDIS_REPLY_ARRAY || node.elements < 2 || !is_text(node.element[0])
          || node.element[1]->type != REDIS_REPLY_INTEGER) {
        return tl::unexpected(bad_reply(command, "a node that is not [ip, port, ...]"));
      }
      nodes.push_back(HostPort{std::string(text_of(*node.element[0])),
                               static_cast<int>(node.element[1]->integer)});
    }
    const SlotRange slots{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
    // Ranges of one master come as separate entries: gather them.
    const std::string master = node_address(nodes.front());
    ClusterShard* shard = nullptr;
    for (ClusterShard& known : shards) {
      if (node_address(known.master) == master) {
        shard = &known;
      }
    }
    if (shard == nullptr) {
      shards.push_back(ClusterShard{nodes.front(), {}, {nodes.begin() + 1, nodes.end()}});
      shard = &shards.back();
    }
    shard->slots.push_back(slots);
  }
  return shards;
}

bool
parse_redirection(std::string_view error, Redirection& out)
{
  // MOVED <slot> <host>:<port>
  const bool ask = error.starts_with("ASK ");
  if (!ask && !error.starts_with("MOVED ")) {
    return false;
  }
  error.remove_prefix(ask ? 4 : 6);
  const std::size_t space = error.find(' ');
  if (space == std::string_view::npos) {
    return false;
  }
  int slot = 0;
  const std::string_view slot_text = error.substr(0, space);
  const auto [end, ec] =
      std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
  if (ec != std::errc() || end != slot_text.data() + slot_text.size() || slot < 0
      || slot >= k_cluster_slots) {
    return false;
  }
  const std::string_view address = error.substr(space + 1);
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  std::string_view host = address.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  if (!parse_port(address.substr(colon + 1), port)) {
    return false;
  }
  out = Redirection{ask, static_cast<std::uint16_t>(slot), HostPort{std::string(host), port}};
  return true;
}

} // namespace cachewarm::sinks
