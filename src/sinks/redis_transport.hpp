#pragma once

// The byte stream to one Redis node: a non-blocking TCP or unix socket, optionally under TLS,
// with hiredis' reader parsing the replies. It replaces hiredis' redisContext (which has no TLS
// in hiredis 0.14) and behaves like it: whole sends, one reply per receive, the command timeout
// on every wait, and an unusable stream after any failure.

#include "tls.hpp"

#include "cachewarm/core/result.hpp"
#include "cachewarm/sinks/redis_url.hpp"

#include <hiredis/hiredis.h>

#include <poll.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace cachewarm::sinks {

// Waits until `fd` is ready for `events` (POLLIN, POLLOUT) or `deadline` passes. False on the
// deadline; true when ready, on an error or a hang-up (the next I/O call says which).
bool wait_ready(int fd, short events, std::chrono::steady_clock::time_point deadline);

class Transport {
public:
  // Connects to `address` (TCP with TCP_NODELAY and keepalive, or a unix socket) and, when
  // `tls` is set, runs the TLS handshake, all within `connect_timeout`. Each later send or
  // receive waits at most `command_timeout` for the socket.
  // Errors: Errc::target_unreachable ("Connection refused", "connect timed out after 2s",
  // "TLS handshake failed: ...").
  static core::Result<std::unique_ptr<Transport>> open(const RedisAddress& address,
                                                       const TlsClient* tls,
                                                       std::chrono::milliseconds connect_timeout,
                                                       std::chrono::milliseconds command_timeout);

  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Sends all of `bytes`. False when the connection failed (error() says why).
  bool send(std::string_view bytes);

  // Reads until the reader has one whole reply and stores what the reply functions built for it
  // in `*reply` (a redisReply* with the default functions). False when the connection failed
  // or the reply was not RESP.
  bool receive(void** reply);

  // Builds replies with `functions` and `privdata` from now on (the default: redisReply
  // objects, freed with freeReplyObject).
  void use_functions(redisReplyObjectFunctions* functions, void* privdata);

  // Why the last send or receive failed.
  const std::string& error() const { return m_error; }

  // The last failure was the server closing the connection (end of stream).
  bool closed_by_server() const { return m_closed; }

  // Whether any byte came from the server yet (plain text only).
  bool received_any() const { return m_received; }

private:
  Transport(int fd, std::chrono::milliseconds command_timeout);

  bool fail(std::string why);
  // Reads what is available (waiting up to the command timeout) into the reader.
  bool fill();

  int m_fd = -1;
  SslPtr m_ssl;
  redisReader* m_reader = nullptr;
  std::chrono::milliseconds m_timeout;
  std::string m_error;
  bool m_closed = false;
  bool m_received = false;
  std::unique_ptr<char[]> m_buffer;
};

using TransportPtr = std::unique_ptr<Transport>;

} // namespace cachewarm::sinks
