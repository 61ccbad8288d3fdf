#pragma once

#include "cachewarm/core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::sinks {

constexpr int k_default_sentinel_port = 26379;

struct HostPort {
  std::string host;
  int port = 0;
};

// A parsed Redis address.
struct RedisAddress {
  bool is_unix = false;
  std::string host = "127.0.0.1"; // tcp
  int port = 6379;                // tcp
  std::string path;               // unix socket path
  std::string user;               // empty: no AUTH, or AUTH <password> when password is set
  std::string password;
  int db = 0;
  bool tls = false; // rediss://, rediss+sentinel:// or rediss+cluster://
  // redis+sentinel://: the sentinels to ask for the master named master_name;
  // redis+cluster://: the seed nodes. Host and port are then empty: the nodes are found.
  std::vector<HostPort> hosts;
  std::string master_name;
  bool cluster = false;

  bool via_sentinel() const { return !master_name.empty(); }
};

// Parses `redis://[user:password@]host[:port][/db]` (`rediss://` for TLS),
// `redis+sentinel://[user:password@]host[:port][,host[:port]...]/MASTER[/db]` (sentinels on port
// 26379 unless given; `rediss+sentinel://` for TLS to the data nodes),
// `redis+cluster://[user:password@]host[:port][,host[:port]...][/]` (seed nodes; a cluster has
// only db 0; `rediss+cluster://` for TLS) or
// `unix://[user:password@]/abs/path.sock[?db=N]`. User and password are percent-decoded.
// Errors (Errc::manifest), never containing the password: `unsupported scheme "ftp" (...)`,
// `invalid port (...)`, `invalid database "x"`, `missing host`, `missing master name (...)`,
// `missing socket path`, `a cluster has only database 0`.
core::Result<RedisAddress> parse_redis_url(std::string_view url);

// The URL with the password (if any) replaced by `***`; unparseable input gives "<redacted>"
// when it contains '@', else the input.
std::string redact_url(std::string_view url);

} // namespace cachewarm::sinks
