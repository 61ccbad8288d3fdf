// One entry of `targets:`: the URL, timeouts and budgets, the `tls:` block (files checked here,
// so `validate` finds a missing CA), the `sentinel:` block and replicas_ack.

#include "parse_detail.hpp"
#include "text_checks_detail.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace cachewarm::manifest::detail {

namespace {

// clang-format off
constexpr std::string_view k_tls_fields[] = {
    "ca_file", "ca_path", "cert_file", "key_file", "server_name", "verify", "min_version",
    "ciphers"};
// clang-format on
constexpr std::string_view k_sentinel_fields[] = {"username", "password", "tls"};
// clang-format off
constexpr std::string_view k_schemes[] = {
    "redis", "rediss", "redis+sentinel", "rediss+sentinel", "redis+cluster", "rediss+cluster",
    "unix"};
// clang-format on

// Why `path` cannot be read as a file (or, with `directory`, a directory); empty when it can.
std::string
unreadable(const std::string& path, bool directory)
{
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return std::strerror(errno);
  }
  if (directory && !S_ISDIR(st.st_mode)) {
    return "not a directory";
  }
  if (!directory && S_ISDIR(st.st_mode)) {
    return "is a directory";
  }
  if (access(path.c_str(), R_OK) != 0) {
    return std::strerror(errno);
  }
  return {};
}

class TargetReader {
public:
  TargetReader(YamlReader& reader, const std::string& base_dir)
      : m_reader(reader)
      , m_base_dir(base_dir)
  {}

  // A `tls:` block at `path`; nullopt when it is not a mapping.
  std::optional<core::TlsSettings> read_tls(const Entry& entry, const std::string& path);

  // A `sentinel:` block at `path`; nullopt when it is not a mapping.
  std::optional<SentinelSpec> read_sentinel(const Entry& entry, const std::string& path);

private:
  // A file (or directory) path field: resolved against the manifest's directory, and readable.
  void read_file(const Fields& fields,
                 std::string_view name,
                 const std::string& path,
                 bool directory,
                 std::string& out);

  YamlReader& m_reader;
  const std::string& m_base_dir;
};

void
TargetReader::read_file(const Fields& fields,
                        std::string_view name,
                        const std::string& path,
                        bool directory,
                        std::string& out)
{
  const Entry* entry = fields.find(name);
  if (entry == nullptr) {
    return;
  }
  const std::string field = path + "." + std::string(name);
  std::optional<std::string> text = m_reader.read_nonempty(*entry, field);
  if (!text) {
    return;
  }
  out = resolve_path(*text, m_base_dir);
  if (const std::string why = unreadable(out, directory); !why.empty()) {
    m_reader.error(entry->value_loc, field + ": " + out + ": " + why);
  }
}

std::optional<core::TlsSettings>
TargetReader::read_tls(const Entry& entry, const std::string& path)
{
  if (!m_reader.expect_mapping(
          entry.value, entry.value_loc, path, "a mapping like {ca_file: ca.pem}")) {
    return std::nullopt;
  }
  const Fields fields = m_reader.read_fields(entry.value, k_tls_fields, "in " + path);
  core::TlsSettings tls;
  read_file(fields, "ca_file", path, false, tls.ca_file);
  read_file(fields, "ca_path", path, true, tls.ca_path);
  read_file(fields, "cert_file", path, false, tls.cert_file);
  read_file(fields, "key_file", path, false, tls.key_file);
  const Entry* cert = fields.find("cert_file");
  const Entry* key = fields.find("key_file");
  if ((cert == nullptr) != (key == nullptr)) {
    const Entry* given = cert != nullptr ? cert : key;
    m_reader.error(given->key_loc,
                   path
                       + ": cert_file and key_file go together (the client certificate and "
                         "its private key)");
  }
  if (const Entry* name = fields.find("server_name")) {
    tls.server_name = m_reader.read_nonempty(*name, path + ".server_name").value_or("");
  }
  if (const Entry* verify = fields.find("verify")) {
    tls.verify = m_reader.read_bool(*verify, path + ".verify").value_or(true);
  }
  if (const Entry* version = fields.find("min_version")) {
    tls.min_version = m_reader.read_nonempty(*version, path + ".min_version").value_or("");
    if (!tls.min_version.empty() && tls.min_version != "1.2" && tls.min_version != "1.3") {
      m_reader.error(version->value_loc,
                     path + ".min_version: expected \"1.2\" or \"1.3\", got "
                         + quote(tls.min_version));
    }
  }
  if (const Entry* ciphers = fields.find("ciphers")) {
    tls.ciphers = m_reader.read_nonempty(*ciphers, path + ".ciphers").value_or("");
  }
  return tls;
}

std::optional<SentinelSpec>
TargetReader::read_sentinel(const Entry& entry, const std::string& path)
{
  if (!m_reader.expect_mapping(
          entry.value, entry.value_loc, path, "a mapping like {password: \"${SENTINEL_PW}\"}")) {
    return std::nullopt;
  }
  const Fields fields = m_reader.read_fields(entry.value, k_sentinel_fields, "in " + path);
  SentinelSpec sentinel;
  if (const Entry* user = fields.find("username")) {
    sentinel.username = m_reader.read_nonempty(*user, path + ".username").value_or("");
  }
  if (const Entry* password = fields.find("password")) {
    sentinel.password = m_reader.read_string(*password, path + ".password").value_or("");
  }
  if (const Entry* tls = fields.find("tls")) {
    sentinel.tls = read_tls(*tls, path + ".tls");
  }
  return sentinel;
}

} // namespace

TargetSpec
parse_target(YamlReader& reader,
             const Entry& entry,
             const std::string& path,
             const Fields& fields,
             const std::string& base_dir)
{
  TargetSpec target;
  target.name = entry.key;
  target.loc = entry.key_loc;
  std::string scheme;
  if (const Entry* url = fields.find("url")) {
    if (std::optional<std::string> text = reader.read_nonempty(*url, path + ".url")) {
      // Never echo the URL: it may hold a password.
      const std::size_t scheme_end = text->find("://");
      if (scheme_end == std::string::npos) {
        reader.error(url->value_loc,
                     path
                         + ".url: expected a URL like redis://host:6379 or "
                           "unix:///path/to/socket");
      } else {
        scheme = text->substr(0, scheme_end);
        if (std::find(std::begin(k_schemes), std::end(k_schemes), scheme) == std::end(k_schemes)) {
          reader.error(url->value_loc,
                       path + ".url: unsupported scheme " + quote(scheme)
                           + " (expected redis://, rediss://, redis+sentinel://, "
                             "rediss+sentinel://, redis+cluster://, rediss+cluster:// or "
                             "unix://)");
        }
      }
      target.url = std::move(*text);
    }
  } else {
    reader.error(entry.value_loc, path + ": missing required field \"url\"");
  }
  if (const Entry* cluster = fields.find("cluster")) {
    target.cluster = reader.read_bool(*cluster, path + ".cluster").value_or(false);
    if (target.cluster && !scheme.empty() && scheme != "redis" && scheme != "rediss"
        && scheme != "redis+cluster" && scheme != "rediss+cluster") {
      reader.error(cluster->value_loc,
                   path
                       + ".cluster: a cluster is reached by redis://, rediss:// or "
                         "redis+cluster:// seed nodes, not "
                       + scheme + "://");
    }
  }
  if (const Entry* timeout = fields.find("connect_timeout")) {
    target.connect_timeout =
        reader.read_duration(*timeout, path + ".connect_timeout").value_or(target.connect_timeout);
  }
  if (const Entry* timeout = fields.find("timeout")) {
    target.command_timeout =
        reader.read_duration(*timeout, path + ".timeout").value_or(target.command_timeout);
  }
  if (const Entry* budget = fields.find("reconnect_budget")) {
    target.reconnect_budget =
        reader.read_duration(*budget, path + ".reconnect_budget").value_or(target.reconnect_budget);
  }
  TargetReader blocks(reader, base_dir);
  const bool tls_scheme =
      scheme == "rediss" || scheme == "rediss+sentinel" || scheme == "rediss+cluster";
  const bool sentinel_scheme = scheme == "redis+sentinel" || scheme == "rediss+sentinel";
  if (const Entry* tls = fields.find("tls")) {
    target.tls = blocks.read_tls(*tls, path + ".tls");
    if (!scheme.empty() && !tls_scheme) {
      reader.error(tls->key_loc,
                   path
                       + ".tls: TLS settings need a rediss:// (or rediss+sentinel://, "
                         "rediss+cluster://) URL");
    }
  }
  if (const Entry* sentinel = fields.find("sentinel")) {
    target.sentinel = blocks.read_sentinel(*sentinel, path + ".sentinel");
    if (!scheme.empty() && !sentinel_scheme) {
      reader.error(sentinel->key_loc,
                   path + ".sentinel: sentinel settings need a redis+sentinel:// URL");
    }
  }
  if (const Entry* replicas = fields.find("replicas_ack")) {
    target.replicas_ack =
        static_cast<int>(reader.read_count(*replicas, path + ".replicas_ack", 0, 100).value_or(0));
  }
  if (const Entry* timeout = fields.find("replicas_ack_timeout")) {
    const std::optional<std::chrono::milliseconds> wait =
        reader.read_duration(*timeout, path + ".replicas_ack_timeout");
    if (wait && wait->count() == 0) {
      reader.error(timeout->value_loc,
                   path
                       + ".replicas_ack_timeout: expected a positive duration (0 would make "
                         "WAIT block forever)");
    } else {
      target.replicas_ack_timeout = wait.value_or(target.replicas_ack_timeout);
    }
  }
  return target;
}

} // namespace cachewarm::manifest::detail
