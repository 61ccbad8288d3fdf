#include "ascii_detail.hpp"
#include "http_client_detail.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <limits>
#include <queue>
#include <utility>

namespace cachewarm::sources::detail {

// An easy handle and its transfer's buffers. Reused request after request, so the connections it
// leaves in the multi handle's cache are reused too (keep-alive). Never moves: curl holds
// pointers to it.
struct Slot {
  using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

  Easy easy{nullptr, &curl_easy_cleanup};
  std::string body;
  std::string retry_after;
  std::size_t max_body = 0;
  bool too_large = false;
  bool attached = false; // added to the multi handle
  std::size_t request = 0;
  std::array<char, CURL_ERROR_SIZE> error{};
};

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// Between polls of the multi handle when nothing else is due (curl shortens it for its own timers).
constexpr std::chrono::milliseconds k_max_poll{1000};

std::size_t
write_body(char* data, std::size_t size, std::size_t count, void* user)
{
  Slot& slot = *static_cast<Slot*>(user);
  const std::size_t bytes = size * count;
  if (bytes > slot.max_body - slot.body.size()) {
    slot.too_large = true;
    return 0; // anything but `bytes` aborts the transfer (CURLE_WRITE_ERROR)
  }
  slot.body.append(data, bytes);
  return bytes;
}

std::size_t
read_header(char* data, std::size_t size, std::size_t count, void* user)
{
  Slot& slot = *static_cast<Slot*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  constexpr std::string_view k_retry_after = "retry-after:";
  if (line.starts_with("HTTP/")) {
    // A new response (after a 100 Continue): only the final one's headers count.
    slot.retry_after.clear();
  } else if (starts_with_no_case(line, k_retry_after)) {
    slot.retry_after.assign(line.substr(k_retry_after.size()));
  }
  return bytes;
}

std::chrono::milliseconds
until(SteadyTime when, SteadyTime now)
{
  if (when <= now) {
    return std::chrono::milliseconds::zero();
  }
  return std::chrono::ceil<std::chrono::milliseconds>(when - now);
}

Slot&
slot_of(CURL* easy)
{
  void* self = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &self);
  return *static_cast<Slot*>(self);
}

} // namespace

struct HttpClient::Run {
  struct Job {
    unsigned attempts = 0;
    std::optional<core::Backoff> backoff;
  };
  using Wait = std::pair<SteadyTime, std::size_t>;

  explicit Run(std::span<const Request> all)
      : requests(all)
      , jobs(all.size())
  {
    for (std::size_t i = 0; i < all.size(); ++i) {
      fresh.push_back(i);
    }
  }

  bool all_done() const { return finished == requests.size(); }

  std::span<const Request> requests;
  std::vector<Job> jobs;
  std::deque<std::size_t> fresh;
  std::deque<std::size_t> due_retries;
  std::priority_queue<Wait, std::vector<Wait>, std::greater<>> waiting;
  std::vector<Slot*> idle;
  std::size_t active = 0;
  std::size_t finished = 0;
  // A token taken from the limiter for the next start, usable from `gate_at`. (Not an
  // std::optional: GCC 12 reports a false -Wmaybe-uninitialized through it.)
  bool gated = false;
  SteadyTime gate_at{};
};

std::string
join_url(std::string_view base, std::string_view path)
{
  std::string url(base);
  if (!url.empty() && url.back() == '/' && !path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  url.append(path);
  return url;
}

std::string_view
path_for_message(std::string_view path)
{
  return path.substr(0, path.find_first_of("?#"));
}

// "http api GET /items/7: status 500 (3 attempts)".
std::string
describe(const HttpOptions& options, const Request& request, const Response& response)
{
  std::string reason;
  if (response.verdict.kind == "too_large") {
    reason = "the body is over max_body (" + std::to_string(options.max_body) + " bytes)";
  } else if (response.code == CURLE_OK) {
    reason = "status " + std::to_string(response.status);
  } else {
    reason = response.error;
  }
  if (response.attempts > 1) {
    reason += " (" + std::to_string(response.attempts) + " attempts)";
  }
  return "http " + options.name + " GET " + std::string(path_for_message(request.path)) + ": "
         + reason;
}

core::Result<std::unique_ptr<HttpClient>>
HttpClient::create(const HttpOptions& options)
{
  http_global_init();
  HeaderList headers(nullptr, &curl_slist_free_all);
  for (const auto& [name, value] : options.headers) {
    if (value.find_first_of("\r\n") != std::string::npos
        || name.find_first_of("\r\n:") != std::string::npos) {
      return core::fail(core::Errc::manifest,
                        "http " + options.name + ": header " + name
                            + " has a line break (or a colon in its name)");
    }
    // "Name;" is curl's spelling of a header with an empty value ("Name:" would remove it).
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (grown == nullptr) {
      return core::fail(core::Errc::source, "http " + options.name + ": out of memory");
    }
    static_cast<void>(headers.release());
    headers.reset(grown);
  }
  Multi multi(curl_multi_init(), &curl_multi_cleanup);
  if (!multi) {
    return core::fail(core::Errc::source, "http " + options.name + ": curl_multi_init failed");
  }
  const long concurrency = static_cast<long>(options.concurrency);
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, concurrency);
  curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, concurrency);
  curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
  return std::make_unique<HttpClient>(options, std::move(headers), std::move(multi));
}

HttpClient::HttpClient(const HttpOptions& options, HeaderList headers, Multi multi)
    : m_options(options)
    , m_headers(std::move(headers))
    , m_multi(std::move(multi))
    , m_limiter(options.rate_per_second, m_clock)
    , m_user_agent("cachewarm/" CACHEWARM_VERSION)
{
  m_slots.reserve(options.concurrency);
}

HttpClient::~HttpClient()
{
  for (const std::unique_ptr<Slot>& slot : m_slots) {
    detach(*slot);
  }
}

core::Result<void>
HttpClient::run(std::span<const Request> requests,
                const std::function<void(std::size_t, Response&&)>& done)
{
  Run state(requests);
  // Whatever happens, no handle stays attached to the multi handle past this call.
  struct DetachAll {
    HttpClient& client;
    ~DetachAll()
    {
      for (const std::unique_ptr<Slot>& slot : client.m_slots) {
        client.detach(*slot);
      }
    }
  } detach_all{*this};
  for (const std::unique_ptr<Slot>& slot : m_slots) {
    state.idle.push_back(slot.get());
  }

  while (!state.all_done()) {
    CW_TRY(start_due(state));
    CW_TRY(settle(state, done));
    if (state.all_done()) {
      break;
    }
    CW_TRY(wait(state));
  }
  return {};
}

core::Result<void>
HttpClient::start_due(Run& state)
{
  const SteadyTime now = m_clock.now();
  while (!state.waiting.empty() && state.waiting.top().first <= now) {
    state.due_retries.push_back(state.waiting.top().second);
    state.waiting.pop();
  }
  // Retries first, so a row's attempts are not starved by fresh rows.
  while ((!state.due_retries.empty() || !state.fresh.empty())
         && state.active < m_options.concurrency) {
    if (!state.gated) {
      state.gate_at = now + m_limiter.reserve(1);
      state.gated = true;
    }
    if (state.gate_at > now) {
      break;
    }
    state.gated = false;
    std::deque<std::size_t>& queue = state.due_retries.empty() ? state.fresh : state.due_retries;
    const std::size_t index = queue.front();
    queue.pop_front();
    if (state.idle.empty()) {
      CW_TRY_ASSIGN(Slot * created, new_slot());
      state.idle.push_back(created);
    }
    Slot& slot = *state.idle.back();
    state.idle.pop_back();
    CW_TRY(start(slot, index, state.requests[index].url));
    ++state.jobs[index].attempts;
    ++state.active;
  }
  return {};
}

core::Result<void>
HttpClient::settle(Run& state, const std::function<void(std::size_t, Response&&)>& done)
{
  int running = 0;
  if (const CURLMcode rc = curl_multi_perform(m_multi.get(), &running); rc != CURLM_OK) {
    return multi_error(rc);
  }
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(m_multi.get(), &queued)) {
    if (message->msg != CURLMSG_DONE) {
      continue;
    }
    Slot& slot = slot_of(message->easy_handle);
    const CURLcode code = message->data.result; // `message` dies with the detach below
    detach(slot);
    --state.active;
    state.idle.push_back(&slot);
    long status = 0;
    curl_easy_getinfo(slot.easy.get(), CURLINFO_RESPONSE_CODE, &status);
    Verdict verdict = classify(code, status, slot.too_large);
    Run::Job& job = state.jobs[slot.request];
    if (!verdict.ok && verdict.retryable
        && job.attempts <= static_cast<unsigned>(std::max(0, m_options.retries))) {
      state.waiting.emplace(m_clock.now() + retry_delay(slot, job.backoff), slot.request);
      continue;
    }
    Response response;
    response.verdict = std::move(verdict);
    response.code = code;
    response.status = status;
    response.attempts = job.attempts;
    if (code != CURLE_OK) {
      response.error =
          slot.error[0] != '\0' ? std::string(slot.error.data()) : curl_easy_strerror(code);
    }
    response.body = std::move(slot.body);
    slot.body = std::string();
    ++state.finished;
    done(slot.request, std::move(response));
  }
  return {};
}

core::Result<void>
HttpClient::wait(const Run& state)
{
  const SteadyTime now = m_clock.now();
  std::chrono::milliseconds timeout = k_max_poll;
  const bool can_start = state.active < m_options.concurrency;
  if (can_start && !state.gated && (!state.due_retries.empty() || !state.fresh.empty())) {
    timeout = std::chrono::milliseconds::zero();
  }
  if (!state.waiting.empty()) {
    timeout = std::min(timeout, until(state.waiting.top().first, now));
  }
  if (state.gated && can_start) {
    timeout = std::min(timeout, until(state.gate_at, now));
  }
  if (timeout > std::chrono::milliseconds::zero() || state.active > 0) {
    const CURLMcode rc =
        curl_multi_poll(m_multi.get(), nullptr, 0, static_cast<int>(timeout.count()), nullptr);
    if (rc != CURLM_OK) {
      return multi_error(rc);
    }
  }
  return {};
}

tl::unexpected<core::Error>
HttpClient::multi_error(CURLMcode rc) const
{
  return core::fail(core::Errc::source, "http " + m_options.name + ": " + curl_multi_strerror(rc));
}

std::chrono::milliseconds
HttpClient::retry_delay(const Slot& slot, std::optional<core::Backoff>& backoff)
{
  if (!slot.retry_after.empty()) {
    if (std::optional<std::chrono::milliseconds> asked =
            parse_retry_after(slot.retry_after, std::chrono::system_clock::now())) {
      return *asked;
    }
  }
  if (!backoff) {
    // A different seed per row, so rows failing together do not retry in lockstep.
    backoff.emplace(m_options.retry_base, m_options.retry_cap, 2.0, ++m_seed);
  }
  return backoff->next();
}

core::Result<Slot*>
HttpClient::new_slot()
{
  auto slot = std::make_unique<Slot>();
  slot->easy.reset(curl_easy_init());
  if (!slot->easy) {
    return core::fail(core::Errc::source, "http " + m_options.name + ": curl_easy_init failed");
  }
  slot->max_body = m_options.max_body;
  CURL* easy = slot->easy.get();
  void* self = slot.get();
  bool ok = true;
  ok = ok && curl_easy_setopt(easy, CURLOPT_PRIVATE, self) == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &write_body) == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_WRITEDATA, self) == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &read_header) == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_HEADERDATA, self) == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, slot->error.data()) == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_HTTPHEADER, m_headers.get()) == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_USERAGENT, m_user_agent.c_str()) == CURLE_OK;
  ok = ok
       && curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(m_options.timeout.count()))
              == CURLE_OK;
  ok = ok
       && curl_easy_setopt(
              easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_options.connect_timeout.count()))
              == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK;
  ok = ok
       && curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS))
              == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
  // Refuses a body whose Content-Length is over the limit before reading any of it.
  ok = ok
       && curl_easy_setopt(easy,
                           CURLOPT_MAXFILESIZE_LARGE,
                           static_cast<curl_off_t>(std::min<std::size_t>(
                               m_options.max_body,
                               static_cast<std::size_t>(std::numeric_limits<curl_off_t>::max()))))
              == CURLE_OK;
  ok = ok && curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
  if (!ok) {
    return core::fail(core::Errc::source,
                      "http " + m_options.name + ": this libcurl lacks a required option");
  }
  m_slots.push_back(std::move(slot));
  return m_slots.back().get();
}

core::Result<void>
HttpClient::start(Slot& slot, std::size_t request, const std::string& url)
{
  slot.body.clear();
  slot.retry_after.clear();
  slot.too_large = false;
  slot.error[0] = '\0';
  slot.request = request;
  if (curl_easy_setopt(slot.easy.get(), CURLOPT_URL, url.c_str()) != CURLE_OK) {
    return core::fail(core::Errc::source, "http " + m_options.name + ": out of memory");
  }
  if (const CURLMcode rc = curl_multi_add_handle(m_multi.get(), slot.easy.get()); rc != CURLM_OK) {
    return multi_error(rc);
  }
  slot.attached = true;
  return {};
}

void
HttpClient::detach(Slot& slot)
{
  if (slot.attached) {
    curl_multi_remove_handle(m_multi.get(), slot.easy.get());
    slot.attached = false;
  }
}

} // namespace cachewarm::sources::detail
