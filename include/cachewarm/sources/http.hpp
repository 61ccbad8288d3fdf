#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/sources/source.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cachewarm::sources {

// How to talk to one HTTP source (the manifest's `sources.<name>.http`), copied by the lookup
// or fetch that uses it.
struct HttpOptions {
  std::string name;     // the source's name in the manifest, for messages
  std::string base_url; // prefix of every request path
  std::vector<std::pair<std::string, std::string>> headers; // values are secrets: never logged
  std::chrono::milliseconds timeout{5000};                  // whole transfer, per attempt
  std::chrono::milliseconds connect_timeout{2000};          // TCP + TLS handshake, per attempt
  std::size_t concurrency = 16;                             // transfers in flight
  double rate_per_second = 0.0; // requests per second for this source, 0 = unlimited
  int retries = 2;              // extra attempts on connection errors, timeouts, 429 and 5xx
  std::size_t max_body = 8 * 1024 * 1024;    // bytes; a longer body fails the key as `too_large`
  std::chrono::milliseconds retry_base{100}; // backoff: capped exponential with full jitter,
  std::chrono::milliseconds retry_cap{5000}; // a Retry-After header wins when present
};

// Once per process, before any thread starts: curl_global_init. Safe to call more than once.
void http_global_init();

// Once per process, after every HTTP source is gone and no thread is left: curl_global_cleanup.
void http_global_cleanup();

// A per-key HTTP GET: `base_url` + `get` rendered over the row's `fields` + `{key}` with every
// variable percent-encoded. One curl multi handle drives up to `concurrency` transfers with
// keep-alive connection reuse (HTTP/2 multiplexing when offered), under a per-source token bucket.
// The value is the body, or the sub-document at `json_pointer` (strings stored raw, anything else
// as compact JSON); with `hash_from_json` a JSON object becomes a hash (string members raw, others
// compact JSON). Per-key failures, by kind: `not_found` (404, or json_pointer absent),
// `http_status` (other 4xx, or 5xx/429 after retries; message has the status), `http_timeout`,
// `http_error` (connection errors after retries), `too_large` (body over max_body),
// `invalid_json` (json_pointer or hash_from_json on a body that is not JSON, or hash_from_json on
// a non-object).
// The resolver owns its curl handles and a copy of `options`; the other arguments are only read
// during the call.
// Errors (Errc::manifest): the template names an unknown variable; an invalid json_pointer; a
// header with a line break (or a colon in its name). Errc::source: curl cannot allocate its
// handles. Later, resolve() fails with Errc::source only when curl itself fails.
core::Result<std::unique_ptr<ValueResolver>> open_http_lookup(const HttpOptions& options,
                                                              const core::Template& get,
                                                              const std::string& json_pointer,
                                                              bool hash_from_json,
                                                              std::span<const std::string> fields);

// GETs `base_url` + `path` once (with the same retries, timeouts and size limit) and returns the
// body. Owns nothing past the call. Errors: Errc::source naming the URL (without secrets) and
// the reason (any status but 2xx, timeout, connection error, body over max_body);
// Errc::manifest for a header with a line break.
core::Result<std::string> http_fetch(const HttpOptions& options, std::string_view path);

} // namespace cachewarm::sources
