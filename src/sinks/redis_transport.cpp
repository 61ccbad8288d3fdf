#include "redis_transport.hpp"

#include "redis_detail.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace cachewarm::sinks {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t k_read_size = 64 * 1024;

std::string
errno_text(int error)
{
  return std::strerror(error);
}

// Connects the non-blocking socket `fd` to `addr` by `deadline`: 0, or the errno of the failure
// (ETIMEDOUT for the deadline).
int
connect_by(int fd, const sockaddr* addr, socklen_t len, Clock::time_point deadline)
{
  if (connect(fd, addr, len) == 0) {
    return 0;
  }
  if (errno != EINPROGRESS) {
    return errno;
  }
  if (!wait_ready(fd, POLLOUT, deadline)) {
    return ETIMEDOUT;
  }
  int error = 0;
  socklen_t error_len = sizeof(error);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len) != 0) {
    return errno;
  }
  return error;
}

int
new_socket(int family)
{
  return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

void
tune_tcp(int fd)
{
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  const int idle = 15; // seconds: like hiredis' redisEnableKeepAlive
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
}

// A connected socket to `address`, or the reason there is none.
core::Result<int>
connect_socket(const RedisAddress& address, std::chrono::milliseconds timeout)
{
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string timed_out = "connect timed out after " + format_ms(timeout);
  if (address.is_unix) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (address.path.size() >= sizeof(addr.sun_path)) {
      return core::fail(core::Errc::target_unreachable, "socket path too long: " + address.path);
    }
    std::memcpy(addr.sun_path, address.path.c_str(), address.path.size() + 1);
    const int fd = new_socket(AF_UNIX);
    if (fd < 0) {
      return core::fail(core::Errc::target_unreachable, errno_text(errno));
    }
    const int error =
        connect_by(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr), deadline);
    if (error != 0) {
      close(fd);
      return core::fail(core::Errc::target_unreachable,
                        error == ETIMEDOUT ? timed_out : errno_text(error));
    }
    return fd;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  const int gai = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
  if (gai != 0) {
    return core::fail(core::Errc::target_unreachable,
                      "cannot resolve \"" + address.host + "\": " + gai_strerror(gai));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, &freeaddrinfo);
  int last_error = ECONNREFUSED;
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    const int fd = new_socket(ai->ai_family);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    last_error = connect_by(fd, ai->ai_addr, ai->ai_addrlen, deadline);
    if (last_error == 0) {
      tune_tcp(fd);
      return fd;
    }
    close(fd);
    if (last_error == ETIMEDOUT) {
      break;
    }
  }
  return core::fail(core::Errc::target_unreachable,
                    last_error == ETIMEDOUT ? timed_out : errno_text(last_error));
}

} // namespace

bool
wait_ready(int fd, short events, std::chrono::steady_clock::time_point deadline)
{
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return false;
    }
    pollfd pfd{fd, events, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (ready > 0) {
      return true;
    }
    if (ready < 0 && errno != EINTR) {
      return true; // let the I/O call report the error
    }
  }
}

Transport::Transport(int fd, std::chrono::milliseconds command_timeout)
    : m_fd(fd)
    , m_reader(redisReaderCreate())
    , m_timeout(command_timeout)
    , m_buffer(new char[k_read_size])
{}

Transport::~Transport()
{
  if (m_ssl) {
    SSL_shutdown(m_ssl.get()); // best effort close_notify; never waits
    m_ssl.reset();
  }
  if (m_reader != nullptr) {
    redisReaderFree(m_reader);
  }
  if (m_fd >= 0) {
    close(m_fd);
  }
}

core::Result<std::unique_ptr<Transport>>
Transport::open(const RedisAddress& address,
                const TlsClient* tls,
                std::chrono::milliseconds connect_timeout,
                std::chrono::milliseconds command_timeout)
{
  const Clock::time_point deadline = Clock::now() + connect_timeout;
  CW_TRY_ASSIGN(const int fd, connect_socket(address, connect_timeout));
  std::unique_ptr<Transport> transport(new Transport(fd, command_timeout));
  if (transport->m_reader == nullptr) {
    return core::fail(core::Errc::internal, "cannot allocate a reply reader");
  }
  if (tls != nullptr) {
    CW_TRY_ASSIGN(transport->m_ssl,
                  tls->handshake(fd, address.is_unix ? "localhost" : address.host, deadline));
  }
  return transport;
}

void
Transport::use_functions(redisReplyObjectFunctions* functions, void* privdata)
{
  m_reader->fn = functions;
  m_reader->privdata = privdata;
}

bool
Transport::fail(std::string why)
{
  m_error = std::move(why);
  return false;
}

bool
Transport::send(std::string_view bytes)
{
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    short wait_for = POLLOUT;
    if (m_ssl) {
      ERR_clear_error();
      const int chunk = static_cast<int>(std::min<std::size_t>(left, INT_MAX));
      const int sent = SSL_write(m_ssl.get(), data, chunk);
      if (sent > 0) {
        data += sent;
        left -= static_cast<std::size_t>(sent);
        continue;
      }
      const int error = SSL_get_error(m_ssl.get(), sent);
      if (error == SSL_ERROR_WANT_READ) {
        wait_for = POLLIN;
      } else if (error != SSL_ERROR_WANT_WRITE) {
        m_closed = error == SSL_ERROR_ZERO_RETURN;
        return fail(describe_tls_failure(m_ssl.get(), sent, error));
      }
    } else {
      const ssize_t sent = ::send(m_fd, data, left, MSG_NOSIGNAL);
      if (sent > 0) {
        data += sent;
        left -= static_cast<std::size_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) {
        continue;
      }
      if (sent < 0 && errno != EAGAIN) { // EWOULDBLOCK == EAGAIN on Linux
        m_closed = errno == EPIPE || errno == ECONNRESET;
        return fail(errno_text(errno));
      }
    }
    if (!wait_ready(m_fd, wait_for, Clock::now() + m_timeout)) {
      return fail("the server took no data for " + format_ms(m_timeout) + " (command timeout)");
    }
  }
  return true;
}

bool
Transport::fill()
{
  for (;;) {
    short wait_for = POLLIN;
    if (m_ssl) {
      ERR_clear_error();
      const int got = SSL_read(m_ssl.get(), m_buffer.get(), static_cast<int>(k_read_size));
      if (got > 0) {
        redisReaderFeed(m_reader, m_buffer.get(), static_cast<std::size_t>(got));
        return true;
      }
      const int error = SSL_get_error(m_ssl.get(), got);
      if (error == SSL_ERROR_WANT_WRITE) {
        wait_for = POLLOUT;
      } else if (error != SSL_ERROR_WANT_READ) {
        m_closed = error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && got == 0);
        return fail(describe_tls_failure(m_ssl.get(), got, error));
      }
    } else {
      const ssize_t got = recv(m_fd, m_buffer.get(), k_read_size, 0);
      if (got > 0) {
        // A TLS record (alert 0x15, handshake 0x16) where RESP was expected.
        const unsigned char first = static_cast<unsigned char>(m_buffer[0]);
        if (!m_received && (first == 0x15 || first == 0x16)) {
          return fail("the server answered in TLS (a TLS port? use rediss://)");
        }
        m_received = true;
        redisReaderFeed(m_reader, m_buffer.get(), static_cast<std::size_t>(got));
        return true;
      }
      if (got == 0) {
        m_closed = true;
        return fail("Server closed the connection");
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno != EAGAIN) {
        m_closed = errno == ECONNRESET;
        return fail(errno_text(errno));
      }
    }
    if (!wait_ready(m_fd, wait_for, Clock::now() + m_timeout)) {
      return fail("no reply within " + format_ms(m_timeout) + " (command timeout)");
    }
  }
}

bool
Transport::receive(void** reply)
{
  for (;;) {
    void* built = nullptr;
    if (redisReaderGetReply(m_reader, &built) != REDIS_OK) {
      return fail(std::string("protocol error: ") + m_reader->errstr);
    }
    if (built != nullptr) {
      *reply = built;
      return true;
    }
    if (!fill()) {
      return false;
    }
  }
}

} // namespace cachewarm::sinks
