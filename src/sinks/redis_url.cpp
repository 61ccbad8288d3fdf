#include "cachewarm/sinks/redis_url.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace cachewarm::sinks {

namespace {

int
hex_value(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string
percent_decode(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

core::Result<int>
parse_int(std::string_view text, int min, int max, std::string_view what)
{
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min
      || value > max) {
    return core::fail(core::Errc::manifest,
                      "invalid " + std::string(what) + " \"" + std::string(text) + "\"");
  }
  return value;
}

// Splits `user:password@` off the front of `rest` (the part after the scheme).
void
take_credentials(std::string_view& rest, RedisAddress& address)
{
  const std::size_t at = rest.rfind('@');
  if (at == std::string_view::npos) {
    return;
  }
  const std::string_view userinfo = rest.substr(0, at);
  rest.remove_prefix(at + 1);
  const std::size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) {
    // redis://secret@host is the common "password only" form.
    address.password = percent_decode(userinfo);
    return;
  }
  address.user = percent_decode(userinfo.substr(0, colon));
  address.password = percent_decode(userinfo.substr(colon + 1));
}

// `host[:port]` or `[v6]:port` into `host` and `port` (left as is when not given).
core::Result<void>
parse_host_port(std::string_view hostport, std::string& host, int& port)
{
  std::string_view port_text;
  if (hostport.starts_with('[')) { // [::1]:6379
    const std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      return core::fail(core::Errc::manifest, "invalid host \"" + std::string(hostport) + "\"");
    }
    host = std::string(hostport.substr(1, close - 1));
    const std::string_view after = hostport.substr(close + 1);
    if (after.starts_with(':')) {
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = hostport.rfind(':');
    host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = hostport.substr(colon + 1);
    }
  }
  if (host.empty()) {
    return core::fail(core::Errc::manifest, "missing host");
  }
  if (!port_text.empty()) {
    auto parsed = parse_int(port_text, 1, 65535, "port");
    if (!parsed) {
      // Not echoed: `redis://user:secret` (a forgotten `@host`) would print the password.
      return core::fail(core::Errc::manifest, "invalid port (expected 1-65535)");
    }
    port = *parsed;
  }
  return {};
}

// The database number after a URL's path slash; none (empty) keeps db 0 unless `required`.
core::Result<void>
parse_db(std::string_view text, RedisAddress& address, bool required = false)
{
  if (!text.empty() || required) {
    CW_TRY_ASSIGN(address.db, parse_int(text, 0, 1'000'000, "database"));
  }
  return {};
}

// `host1:port,host2:port` into address.hosts, `default_port` where none is given.
core::Result<void>
parse_host_list(std::string_view hosts, int default_port, RedisAddress& address)
{
  for (std::size_t begin = 0; begin <= hosts.size();) {
    const std::size_t comma = std::min(hosts.find(',', begin), hosts.size());
    HostPort host{"", default_port};
    CW_TRY(parse_host_port(hosts.substr(begin, comma - begin), host.host, host.port));
    address.hosts.push_back(std::move(host));
    begin = comma + 1;
  }
  address.host.clear(); // the node to write to is found through these
  address.port = 0;
  return {};
}

// `host1:26379,host2:26379/MASTER[/db]` (after the credentials).
core::Result<void>
parse_sentinel_rest(std::string_view rest, RedisAddress& address)
{
  const std::size_t slash = rest.find('/');
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  CW_TRY(parse_host_list(rest.substr(0, slash), k_default_sentinel_port, address));
  const std::size_t db_slash = path.find('/');
  address.master_name = percent_decode(path.substr(0, db_slash));
  if (address.master_name.empty()) {
    return core::fail(core::Errc::manifest,
                      "missing master name (expected redis+sentinel://host:26379[,host:port...]"
                      "/MASTERNAME[/db])");
  }
  if (db_slash != std::string_view::npos) {
    CW_TRY(parse_db(path.substr(db_slash + 1), address));
  }
  return {};
}

// `host1:6379,host2:6379[/0]` (after the credentials).
core::Result<void>
parse_cluster_rest(std::string_view rest, RedisAddress& address)
{
  const std::size_t slash = rest.find('/');
  CW_TRY(parse_host_list(rest.substr(0, slash), 6379, address));
  CW_TRY(parse_db(slash == std::string_view::npos ? "" : rest.substr(slash + 1), address));
  if (address.db != 0) {
    return core::fail(core::Errc::manifest, "a cluster has only database 0");
  }
  address.cluster = true;
  return {};
}

} // namespace

core::Result<RedisAddress>
parse_redis_url(std::string_view url)
{
  RedisAddress address;
  std::string_view rest = url;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return core::fail(core::Errc::manifest,
                      "\"" + redact_url(url)
                          + "\" is not a URL (expected redis://host:port/db or "
                            "unix:///path.sock)");
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  rest.remove_prefix(scheme_end + 3);
  if (scheme == "redis" || scheme == "rediss") {
    address.tls = scheme == "rediss";
    take_credentials(rest, address);
    const std::size_t slash = rest.find('/');
    CW_TRY(parse_host_port(rest.substr(0, slash), address.host, address.port));
    CW_TRY(parse_db(slash == std::string_view::npos ? "" : rest.substr(slash + 1), address));
    return address;
  }
  if (scheme == "redis+sentinel" || scheme == "rediss+sentinel") {
    address.tls = scheme == "rediss+sentinel";
    take_credentials(rest, address);
    CW_TRY(parse_sentinel_rest(rest, address));
    return address;
  }
  if (scheme == "unix") {
    address.is_unix = true;
    take_credentials(rest, address);
    const std::size_t query = rest.find('?');
    address.path = std::string(rest.substr(0, query));
    if (address.path.empty()) {
      return core::fail(core::Errc::manifest, "missing socket path");
    }
    if (query != std::string_view::npos) {
      std::string_view params = rest.substr(query + 1);
      if (!params.starts_with("db=")) {
        return core::fail(core::Errc::manifest,
                          "unsupported parameter \"" + std::string(params) + "\" (expected ?db=N)");
      }
      CW_TRY(parse_db(params.substr(3), address, true));
    }
    return address;
  }
  if (scheme == "redis+cluster" || scheme == "rediss+cluster") {
    address.tls = scheme == "rediss+cluster";
    take_credentials(rest, address);
    CW_TRY(parse_cluster_rest(rest, address));
    return address;
  }
  return core::fail(core::Errc::manifest,
                    "unsupported scheme \"" + std::string(scheme)
                        + "\" (expected redis://, rediss://, redis+sentinel://, "
                          "rediss+sentinel://, redis+cluster://, rediss+cluster:// or unix://)");
}

std::string
redact_url(std::string_view url)
{
  const std::size_t scheme_end = url.find("://");
  const std::size_t at = url.rfind('@');
  if (at == std::string_view::npos) {
    return std::string(url);
  }
  if (scheme_end == std::string_view::npos || at < scheme_end) {
    return "<redacted>";
  }
  const std::string_view userinfo = url.substr(scheme_end + 3, at - scheme_end - 3);
  const std::size_t colon = userinfo.find(':');
  std::string out(url.substr(0, scheme_end + 3));
  if (colon == std::string_view::npos) {
    out += "***";
  } else {
    out += userinfo.substr(0, colon);
    out += ":***";
  }
  out += url.substr(at);
  return out;
}

} // namespace cachewarm::sinks
