#pragma once

// Private to the HTTP parts of src/sources: the curl multi client (http_client.cpp) that the
// HTTP lookup (http_lookup.cpp) and http_fetch (http.cpp) make their requests with.

#include "http_retry_detail.hpp"

#include "cachewarm/core/backoff.hpp"
#include "cachewarm/core/clock.hpp"
#include "cachewarm/core/rate_limiter.hpp"
#include "cachewarm/core/result.hpp"
#include "cachewarm/sources/http.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::sources::detail {

// `base` + `path`, with one slash where `base` ends and `path` starts with one.
std::string join_url(std::string_view base, std::string_view path);

// `path` without its query string or fragment, for messages (queries may carry API keys).
std::string_view path_for_message(std::string_view path);

// One GET to make: the full URL, and the path (base_url left out) that messages show.
struct Request {
  std::string url;
  std::string path;
};

// How a request ended, after its last attempt.
struct Response {
  Verdict verdict;
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string error; // curl's reason when code != CURLE_OK
  std::string body;
  unsigned attempts = 0;
};

// The message of a failed `response` to `request`, naming the source and the path without its
// query: "http api GET /items/7: status 500 (3 attempts)".
std::string describe(const HttpOptions& options, const Request& request, const Response& response);

struct Slot; // an easy handle and its transfer's buffers (http_client.cpp)

// One curl multi handle driving up to `options.concurrency` transfers, reusing its connections
// (keep-alive, HTTP/2 multiplexing when offered), each start gated by a token bucket of
// `options.rate_per_second`. Owns its curl handles and a copy of the options; one thread at a time.
class HttpClient {
public:
  // Errors (Errc::manifest): a header value with a line break (or a colon in its name); the
  // message names the header, never its value. Errc::source: curl failed to allocate its handles.
  static core::Result<std::unique_ptr<HttpClient>> create(const HttpOptions& options);

  using Multi = std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)>;
  using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

  // Use create(): this takes handles it has already checked.
  HttpClient(const HttpOptions& options, HeaderList headers, Multi multi);
  ~HttpClient();

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Runs every request in `requests`, at most `concurrency` at a time, each start gated by the
  // rate limiter, retrying connection errors, timeouts, 429 and 5xx (after a Retry-After, or a
  // capped exponential backoff with full jitter); calls `done(i, response)` once per request as
  // it ends, in completion order. Errors (Errc::source): the multi handle itself failed.
  core::Result<void> run(std::span<const Request> requests,
                         const std::function<void(std::size_t, Response&&)>& done);

  const HttpOptions& options() const { return m_options; }

private:
  struct Run; // the state of one run()

  // Starts what may start (retries first), as the concurrency and the rate limiter allow.
  core::Result<void> start_due(Run& state);
  // Lets curl move the transfers on, and settles the ones that ended: retried or done.
  core::Result<void> settle(Run& state, const std::function<void(std::size_t, Response&&)>& done);
  // Sleeps in curl until a socket is ready, or the next retry or rate-limiter token is due.
  core::Result<void> wait(const Run& state);

  tl::unexpected<core::Error> multi_error(CURLMcode rc) const;
  std::chrono::milliseconds retry_delay(const Slot& slot, std::optional<core::Backoff>& backoff);
  core::Result<Slot*> new_slot();
  core::Result<void> start(Slot& slot, std::size_t request, const std::string& url);
  void detach(Slot& slot);

  HttpOptions m_options;
  HeaderList m_headers;
  Multi m_multi;
  std::vector<std::unique_ptr<Slot>> m_slots; // after m_multi: cleaned up before it
  core::SteadyClock m_clock;
  core::RateLimiter m_limiter;
  std::string m_user_agent;
  std::uint64_t m_seed = 0;
};

} // namespace cachewarm::sources::detail
