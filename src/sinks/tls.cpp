#include "tls.hpp"

#include "redis_transport.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace cachewarm::sinks {

namespace {

// The reason of the newest error in the thread's OpenSSL queue, which is then cleared.
std::string
pop_error_text()
{
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
}

core::Error
bad_setting(const std::string& field, const std::string& value, const std::string& why)
{
  return core::Error{core::Errc::manifest, "tls." + field + " " + value + ": " + why};
}

bool
is_ip_literal(const std::string& host)
{
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1
         || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// `Jan  1 00:00:00 2020 GMT`: a certificate's time for messages.
std::string
format_asn1_time(const ASN1_TIME* time)
{
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) {
    return "?";
  }
  std::string text = "?";
  if (ASN1_TIME_print(bio, time) == 1) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    text.assign(data, static_cast<std::size_t>(len));
  }
  BIO_free(bio);
  return text;
}

// Why verification failed, from the verify result, in an operator's words.
std::string
describe_verify_failure(const SSL* ssl, const std::string& name)
{
  const long result = SSL_get_verify_result(ssl);
  switch (result) {
  case X509_V_ERR_CERT_HAS_EXPIRED: {
    const X509* peer = SSL_get0_peer_certificate(ssl);
    const std::string when =
        peer != nullptr ? " on " + format_asn1_time(X509_get0_notAfter(peer)) : "";
    return "expired: the server's certificate expired" + when + " (renew it)";
  }
  case X509_V_ERR_CERT_NOT_YET_VALID:
    return "the server's certificate is not valid yet (check the clocks)";
  case X509_V_ERR_HOSTNAME_MISMATCH:
  case X509_V_ERR_IP_ADDRESS_MISMATCH:
    return "host name mismatch: the server's certificate is not valid for \"" + name
           + "\" (connect by a name it has, or set tls.server_name)";
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    return "unknown CA: the server's certificate is not signed by a trusted CA (set tls.ca_file "
           "to the CA that signed it)";
  default:
    return std::string("certificate verification failed: ") + X509_verify_cert_error_string(result);
  }
}

// Where a session records that the server asked for a client certificate and none was
// configured: with TLS 1.3 the server's refusal comes after the handshake, often as a bare reset.
char g_certificate_requested = 0;

int
certificate_index()
{
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL calls this when the server requests a client certificate and none is configured.
int
on_certificate_request(SSL* ssl, X509** /*certificate*/, EVP_PKEY** /*key*/)
{
  SSL_set_ex_data(ssl, certificate_index(), &g_certificate_requested);
  return 0; // send none
}

} // namespace

std::string
describe_tls_failure(const SSL* ssl, int ret, int ssl_error)
{
  const unsigned long code = ERR_peek_last_error();
  const bool refused = ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN;
  if (refused && SSL_get_ex_data(ssl, certificate_index()) != nullptr) {
    ERR_clear_error();
    return "the server requires a client certificate (set tls.cert_file and tls.key_file)";
  }
  if (ssl_error == SSL_ERROR_SYSCALL && code == 0) {
    ERR_clear_error();
    if (ret == 0 || errno == 0) {
      return "the server closed the connection";
    }
    return std::strerror(errno);
  }
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    return "the server closed the connection";
  }
  switch (ERR_GET_REASON(code)) {
  case SSL_R_CERTIFICATE_VERIFY_FAILED:
    ERR_clear_error();
    return describe_verify_failure(ssl, "");
  case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
  case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    ERR_clear_error();
    return SSL_get_certificate(ssl) == nullptr
               ? "the server requires a client certificate (set tls.cert_file and tls.key_file)"
               : "the server refused the handshake (ciphers, TLS version or client certificate)";
  case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
  case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
  case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
  case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    ERR_clear_error();
    return "the server rejected the client certificate (tls.cert_file): "
           + std::string(ERR_reason_error_string(code));
  case SSL_R_WRONG_VERSION_NUMBER:
  case SSL_R_PACKET_LENGTH_TOO_LONG:
  case SSL_R_UNEXPECTED_EOF_WHILE_READING:
    ERR_clear_error();
    return "the server did not answer in TLS (a plain-text port? use redis://)";
  default:
    return pop_error_text();
  }
}

core::Result<std::shared_ptr<const TlsClient>>
TlsClient::create(const core::TlsSettings& settings)
{
  std::shared_ptr<TlsClient> client(new TlsClient(settings));
  ERR_clear_error();
  client->m_ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!client->m_ctx) {
    return core::fail(core::Errc::internal, "cannot create a TLS context: " + pop_error_text());
  }
  SSL_CTX* ctx = client->m_ctx.get();
  // Writes of a pipeline may be taken in parts, and resumed from a buffer that moved.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (settings.min_version == "1.3") {
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  } else if (settings.min_version == "1.2" || settings.min_version.empty()) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  } else {
    return tl::unexpected(
        bad_setting("min_version", "\"" + settings.min_version + "\"", "expected 1.2 or 1.3"));
  }
  if (!settings.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1) {
    return tl::unexpected(bad_setting("ciphers", "\"" + settings.ciphers + "\"", pop_error_text()));
  }
  if (!settings.ca_file.empty() || !settings.ca_path.empty()) {
    const char* file = settings.ca_file.empty() ? nullptr : settings.ca_file.c_str();
    const char* path = settings.ca_path.empty() ? nullptr : settings.ca_path.c_str();
    if (SSL_CTX_load_verify_locations(ctx, file, path) != 1) {
      return tl::unexpected(bad_setting(file != nullptr ? "ca_file" : "ca_path",
                                        file != nullptr ? settings.ca_file : settings.ca_path,
                                        "cannot load CA certificates: " + pop_error_text()));
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return core::fail(core::Errc::internal,
                      "cannot load the system's CA certificates: " + pop_error_text());
  }
  if (!settings.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) != 1) {
      return tl::unexpected(bad_setting(
          "cert_file", settings.cert_file, "cannot load the certificate: " + pop_error_text()));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return tl::unexpected(bad_setting(
          "key_file", settings.key_file, "cannot load the private key: " + pop_error_text()));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return tl::unexpected(bad_setting(
          "key_file", settings.key_file, "does not match tls.cert_file " + settings.cert_file));
    }
  }
  SSL_CTX_set_verify(ctx, settings.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (settings.cert_file.empty()) {
    SSL_CTX_set_client_cert_cb(ctx, on_certificate_request);
  }
  return std::shared_ptr<const TlsClient>(std::move(client));
}

core::Result<SslPtr>
TlsClient::handshake(int fd,
                     const std::string& host,
                     std::chrono::steady_clock::time_point deadline) const
{
  ERR_clear_error();
  SslPtr ssl(SSL_new(m_ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
    return core::fail(core::Errc::target_unreachable,
                      "cannot start a TLS session: " + pop_error_text());
  }
  const std::string& name = m_settings.server_name.empty() ? host : m_settings.server_name;
  const bool ip = is_ip_literal(name);
  if (!ip) {
    // SNI is for DNS names only (SSL_set_tlsext_host_name, without its C cast).
    SSL_ctrl(ssl.get(),
             SSL_CTRL_SET_TLSEXT_HOSTNAME,
             TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
  }
  if (m_settings.verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    const int named = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    if (named != 1) {
      return core::fail(core::Errc::target_unreachable,
                        "TLS: cannot verify the name \"" + name + "\": " + pop_error_text());
    }
  }
  for (;;) {
    ERR_clear_error();
    const int ret = SSL_connect(ssl.get());
    if (ret == 1) {
      return ssl;
    }
    const int error = SSL_get_error(ssl.get(), ret);
    short events = 0;
    if (error == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (error == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      std::string why = SSL_get_verify_result(ssl.get()) != X509_V_OK
                            ? describe_verify_failure(ssl.get(), name)
                            : describe_tls_failure(ssl.get(), ret, error);
      ERR_clear_error();
      return core::fail(core::Errc::target_unreachable, "TLS handshake failed: " + why);
    }
    if (!wait_ready(fd, events, deadline)) {
      return core::fail(core::Errc::target_unreachable,
                        "TLS handshake failed: no TLS answer before the connect timeout (a "
                        "plain-text port? use redis://)");
    }
  }
}

} // namespace cachewarm::sinks
