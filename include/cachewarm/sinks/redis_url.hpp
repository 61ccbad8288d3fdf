#pragma once

#include "cachewarm/core/result.hpp"

#include <string>
#include <string_view>

namespace cachewarm::sinks {

// A parsed Redis address.
struct RedisAddress {
  bool is_unix = false;
  std::string host = "127.0.0.1"; // tcp
  int port = 6379;                // tcp
  std::string path;               // unix socket path
  std::string user;               // empty: no AUTH, or AUTH <password> when password is set
  std::string password;
  int db = 0;
};

// Parses `redis://[user:password@]host[:port][/db]` or
// `unix://[user:password@]/abs/path.sock[?db=N]`. User and password are percent-decoded.
// Errors (Errc::manifest), never containing the password: `unsupported scheme "ftp" (expected
// redis:// or unix://)`, `invalid port "x"`, `invalid database "x"`, `missing host`,
// `missing socket path`. `rediss://` is reported as "TLS (rediss://) is not supported yet".
core::Result<RedisAddress> parse_redis_url(std::string_view url);

// The URL with the password (if any) replaced by `***`; unparseable input gives "<redacted>"
// when it contains '@', else the input.
std::string redact_url(std::string_view url);

} // namespace cachewarm::sinks
