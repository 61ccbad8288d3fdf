#pragma once

#include <string>

namespace cachewarm::core {

// How to speak TLS to a server (a Redis target, its sentinels): the manifest's `tls:` block.
// Paths are absolute (the manifest resolves them against its own directory).
struct TlsSettings {
  std::string ca_file;   // PEM CA bundle; with ca_path empty too: the system's trust store
  std::string ca_path;   // a c_rehash'ed directory of CA certificates
  std::string cert_file; // client certificate (mutual TLS), with key_file
  std::string key_file;
  std::string server_name; // SNI and the name verified; empty: the host being connected to
  bool verify = true;      // verify the chain and the host name or IP
  std::string min_version; // "1.2" or "1.3"; empty: OpenSSL's default (1.2)
  std::string ciphers;     // OpenSSL cipher list for TLS 1.2; empty: OpenSSL's default
};

} // namespace cachewarm::core
