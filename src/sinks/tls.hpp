#pragma once

// TLS for connections to Redis (and sentinels) with OpenSSL: hiredis 0.14 has none, so the
// transport (redis_transport.hpp) drives an SSL session over its own non-blocking socket.

#include "cachewarm/core/c_ptr.hpp"
#include "cachewarm/core/result.hpp"
#include "cachewarm/core/tls_settings.hpp"

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>

namespace cachewarm::sinks {

using SslPtr = core::CPtr<SSL, SSL_free>;

// One TLS client configuration (trust store, client certificate, versions, ciphers) shared by
// every connection to a target; safe to use from several threads at once.
class TlsClient {
public:
  // Loads the CA file or path (else the system's trust store) and the client certificate.
  // Errors (Errc::manifest, naming the file): unreadable or invalid PEM, a key that does not
  // match its certificate, an unknown min_version, a cipher list OpenSSL rejects.
  static core::Result<std::shared_ptr<const TlsClient>> create(const core::TlsSettings& settings);

  // Runs the TLS handshake on `fd` (connected, non-blocking) until `deadline`, sending and
  // verifying the name `host` (the address connected to) unless tls.server_name overrides it.
  // Errors: Errc::target_unreachable with "TLS handshake failed: " and a reason an operator can
  // act on (unknown CA, expired, host name mismatch, the server requires a client certificate,
  // not a TLS server).
  core::Result<SslPtr>
  handshake(int fd, const std::string& host, std::chrono::steady_clock::time_point deadline) const;

  // False when tls.verify is off.
  bool verifies() const { return m_settings.verify; }

private:
  explicit TlsClient(core::TlsSettings settings)
      : m_settings(std::move(settings))
  {}

  core::TlsSettings m_settings;
  core::CPtr<SSL_CTX, SSL_CTX_free> m_ctx;
};

// Why an SSL call on `ssl` failed (`ret` its return value, `ssl_error` SSL_get_error's answer),
// in an operator's words; reads and clears the thread's OpenSSL error queue.
std::string describe_tls_failure(const SSL* ssl, int ret, int ssl_error);

} // namespace cachewarm::sinks
