#include "cachewarm/sources/http.hpp"

#include "http_detail.hpp"

#include "cachewarm/core/backoff.hpp"
#include "cachewarm/core/clock.hpp"
#include "cachewarm/core/rate_limiter.hpp"
#include "cachewarm/sources/values.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <queue>
#include <system_error>
#include <variant>

namespace cachewarm::sources {

// --- Pure helpers (declared in http_detail.hpp) -------------------------------------------------

namespace detail {

namespace {

using Json = nlohmann::json;

std::string_view
trim(std::string_view text)
{
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool
all_digits(std::string_view text)
{
  return !text.empty()
         && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<unsigned>
to_unsigned(std::string_view text)
{
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// 1..12 for an English three-letter month name (any case), else 0.
unsigned
month_number(std::string_view token)
{
  constexpr std::array<std::string_view, 12> k_months = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (token.size() != 3) {
    return 0;
  }
  std::string lower(token);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  for (std::size_t i = 0; i < k_months.size(); ++i) {
    if (lower == k_months[i]) {
      return static_cast<unsigned>(i + 1);
    }
  }
  return 0;
}

// The three HTTP-date forms of RFC 9110 5.6.7 share their parts (a weekday name, day, month
// name, year, hh:mm:ss, "GMT") in different orders and separators; the day always precedes the
// year, so tokens are classified rather than matched against three grammars.
std::optional<std::chrono::system_clock::time_point>
parse_http_date(std::string_view text)
{
  std::vector<unsigned> numbers;
  unsigned month = 0;
  std::optional<std::chrono::seconds> time_of_day;
  std::size_t year_digits = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find_first_of(" ,-", pos);
    const std::string_view token =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (token.empty()) {
      continue;
    }
    if (token.find(':') != std::string_view::npos) {
      if (token.size() != 8 || token[2] != ':' || token[5] != ':') {
        return std::nullopt;
      }
      const std::optional<unsigned> h = to_unsigned(token.substr(0, 2));
      const std::optional<unsigned> m = to_unsigned(token.substr(3, 2));
      const std::optional<unsigned> s = to_unsigned(token.substr(6, 2));
      if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) {
        return std::nullopt;
      }
      time_of_day = std::chrono::hours(*h) + std::chrono::minutes(*m) + std::chrono::seconds(*s);
    } else if (all_digits(token)) {
      const std::optional<unsigned> number = to_unsigned(token);
      if (!number) {
        return std::nullopt;
      }
      numbers.push_back(*number);
      year_digits = token.size();
    } else if (const unsigned m = month_number(token); m != 0) {
      month = m;
    }
    // Anything else is a weekday name or "GMT".
  }
  if (numbers.size() != 2 || month == 0 || !time_of_day) {
    return std::nullopt;
  }
  unsigned year = numbers[1];
  if (year_digits == 2) {
    // RFC 850's two-digit years: RFC 9110 asks for the nearest century, 70 is the usual pivot.
    year += year < 70 ? 2000 : 1900;
  } else if (year_digits != 4) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(year)),
                                         std::chrono::month(month),
                                         std::chrono::day(numbers[0])};
  if (!date.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days(date) + *time_of_day;
}

// A JSON value as a Redis string: strings raw, anything else compact JSON.
std::string
as_text(const Json& value)
{
  if (value.is_string()) {
    return value.get<std::string>();
  }
  return value.dump();
}

} // namespace

std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now)
{
  const std::string_view text = trim(value);
  if (all_digits(text)) {
    // More digits than fit are still "a long time": cap rather than reject.
    std::uint64_t seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    const std::uint64_t cap_seconds = static_cast<std::uint64_t>(k_max_retry_after.count()) / 1000;
    if (ec == std::errc::result_out_of_range || seconds > cap_seconds) {
      return k_max_retry_after;
    }
    return std::chrono::seconds(seconds);
  }
  const std::optional<std::chrono::system_clock::time_point> date = parse_http_date(text);
  if (!date) {
    return std::nullopt;
  }
  if (*date <= now) {
    return std::chrono::milliseconds::zero();
  }
  return std::min(k_max_retry_after, std::chrono::ceil<std::chrono::milliseconds>(*date - now));
}

Verdict
classify(CURLcode code, long status, bool too_large)
{
  if (too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return {false, false, "too_large"};
  }
  if (code == CURLE_OK) {
    if (status >= 200 && status < 300) {
      return {true, false, ""};
    }
    if (status == 404) {
      return {false, false, "not_found"};
    }
    return {false, status == 429 || status >= 500, "http_status"};
  }
  switch (code) {
  case CURLE_OPERATION_TIMEDOUT:
    return {false, true, "http_timeout"};
  // Transient: the server or the path to it may recover.
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_AGAIN:
    return {false, true, "http_error"};
  default:
    // Malformed URLs, certificate failures, bad encodings: the same request fails the same way.
    return {false, false, "http_error"};
  }
}

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

core::Result<std::optional<Json::json_pointer>>
parse_json_pointer(const std::string& text)
{
  if (text.empty()) {
    return std::nullopt;
  }
  try {
    return Json::json_pointer(text);
  } catch (const Json::exception& e) {
    // what() is "[json.exception.parse_error.107] parse error at byte 1: <why>": keep <why>.
    std::string_view why = e.what();
    if (const std::size_t bracket = why.find("] "); bracket != std::string_view::npos) {
      why.remove_prefix(bracket + 2);
    }
    if (why.starts_with("parse error")) { // "parse error: " or "parse error at byte 1: "
      if (const std::size_t colon = why.find(": "); colon != std::string_view::npos) {
        why.remove_prefix(colon + 2);
      }
    }
    return core::fail(core::Errc::manifest,
                      "invalid json_pointer \"" + text + "\": " + std::string(why));
  }
}

Extracted
extract_value(std::string body, const Json::json_pointer* pointer, bool hash_from_json)
{
  if (pointer == nullptr && !hash_from_json) {
    return {core::Value(std::move(body)), {}, {}};
  }
  try {
    const Json document = Json::parse(body, nullptr, false);
    if (document.is_discarded()) {
      return {std::nullopt, "invalid_json", "the body is not JSON"};
    }
    const Json* node = &document;
    if (pointer != nullptr) {
      if (!document.contains(*pointer)) {
        return {std::nullopt, "not_found", "json_pointer " + pointer->to_string() + " is absent"};
      }
      node = &document.at(*pointer);
    }
    if (!hash_from_json) {
      return {core::Value(as_text(*node)), {}, {}};
    }
    if (!node->is_object()) {
      return {std::nullopt,
              "invalid_json",
              std::string("hash_from_json needs a JSON object, got ") + node->type_name()};
    }
    if (node->empty()) {
      // Redis has no empty hashes: writing one would delete the key.
      return {std::nullopt, "not_found", "hash_from_json: the JSON object is empty"};
    }
    core::HashValue hash;
    hash.fields.reserve(node->size());
    for (const auto& [name, member] : node->items()) {
      hash.fields.emplace_back(name, as_text(member));
    }
    return {core::Value(std::move(hash)), {}, {}};
  } catch (const Json::exception& e) {
    // contains()/at() on odd pointers (e.g. "/a/b" through a string) and dump() are the throwers.
    return {std::nullopt, "invalid_json", e.what()};
  }
}

} // namespace detail

// --- The multi-handle client --------------------------------------------------------------------

namespace {

using Json = nlohmann::json;
using Multi = std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)>;
using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;
using SteadyTime = std::chrono::steady_clock::time_point;

// Between polls of the multi handle when nothing else is due (curl shortens it for its own timers).
constexpr std::chrono::milliseconds k_max_poll{1000};

// One GET to make: the full URL, and the path (base_url left out) that messages show.
struct Request {
  std::string url;
  std::string path;
};

// How a request ended, after its last attempt.
struct Response {
  detail::Verdict verdict;
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string error; // curl's reason when code != CURLE_OK
  std::string body;
  unsigned attempts = 0;
};

// An easy handle and its transfer's buffers. Reused request after request, so the connections it
// leaves in the multi handle's cache are reused too (keep-alive). Never moves: curl holds
// pointers to it.
struct Slot {
  Easy easy{nullptr, &curl_easy_cleanup};
  std::string body;
  std::string retry_after;
  std::size_t max_body = 0;
  bool too_large = false;
  bool attached = false; // added to the multi handle
  std::size_t request = 0;
  std::array<char, CURL_ERROR_SIZE> error{};
};

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

bool
starts_with_no_case(std::string_view text, std::string_view prefix)
{
  return text.size() >= prefix.size()
         && std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
              return std::tolower(static_cast<unsigned char>(a))
                     == std::tolower(static_cast<unsigned char>(b));
            });
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

class Client {
public:
  // Errors (Errc::manifest): a header value with a line break. Errc::source: curl failed to
  // allocate its handles.
  static core::Result<std::unique_ptr<Client>> create(const HttpOptions& options)
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
    return std::make_unique<Client>(options, std::move(headers), std::move(multi));
  }

  // Use create(): this takes handles it has already checked.
  Client(const HttpOptions& options, HeaderList headers, Multi multi)
      : m_options(options)
      , m_headers(std::move(headers))
      , m_multi(std::move(multi))
      , m_limiter(options.rate_per_second, m_clock)
      , m_user_agent("cachewarm/" CACHEWARM_VERSION)
  {
    m_slots.reserve(options.concurrency);
  }

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  ~Client()
  {
    for (const std::unique_ptr<Slot>& slot : m_slots) {
      detach(*slot);
    }
  }

  // Runs every request in `requests`, at most `concurrency` at a time, each start gated by the
  // rate limiter, retrying connection errors, timeouts, 429 and 5xx; calls `done(i, response)`
  // once per request as it ends, in completion order.
  // Errors (Errc::source): the multi handle itself failed.
  core::Result<void> run(std::span<const Request> requests,
                         const std::function<void(std::size_t, Response&&)>& done)
  {
    struct Job {
      unsigned attempts = 0;
      std::optional<core::Backoff> backoff;
    };
    std::vector<Job> jobs(requests.size());
    std::deque<std::size_t> fresh;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      fresh.push_back(i);
    }
    std::deque<std::size_t> due_retries;
    using Wait = std::pair<SteadyTime, std::size_t>;
    std::priority_queue<Wait, std::vector<Wait>, std::greater<>> waiting;
    std::vector<Slot*> idle;
    std::size_t active = 0;
    std::size_t finished = 0;
    // A token taken from the limiter for the next start, usable from `gate_at`. (Not an
    // std::optional: GCC 12 reports a false -Wmaybe-uninitialized through it.)
    bool gated = false;
    SteadyTime gate_at{};

    // Whatever happens, no handle stays attached to the multi handle past this call.
    struct DetachAll {
      Client& client;
      ~DetachAll()
      {
        for (const std::unique_ptr<Slot>& slot : client.m_slots) {
          client.detach(*slot);
        }
      }
    } detach_all{*this};
    for (const std::unique_ptr<Slot>& slot : m_slots) {
      idle.push_back(slot.get());
    }

    while (finished < requests.size()) {
      SteadyTime now = m_clock.now();
      while (!waiting.empty() && waiting.top().first <= now) {
        due_retries.push_back(waiting.top().second);
        waiting.pop();
      }
      // Start what may start: retries first, so a row's attempts are not starved by fresh rows.
      while ((!due_retries.empty() || !fresh.empty()) && active < m_options.concurrency) {
        if (!gated) {
          gate_at = now + m_limiter.reserve(1);
          gated = true;
        }
        if (gate_at > now) {
          break;
        }
        gated = false;
        std::deque<std::size_t>& queue = due_retries.empty() ? fresh : due_retries;
        const std::size_t index = queue.front();
        queue.pop_front();
        if (idle.empty()) {
          CW_TRY_ASSIGN(Slot * created, new_slot());
          idle.push_back(created);
        }
        Slot& slot = *idle.back();
        idle.pop_back();
        CW_TRY(start(slot, index, requests[index].url));
        ++jobs[index].attempts;
        ++active;
      }

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
        --active;
        idle.push_back(&slot);
        long status = 0;
        curl_easy_getinfo(slot.easy.get(), CURLINFO_RESPONSE_CODE, &status);
        detail::Verdict verdict = detail::classify(code, status, slot.too_large);
        Job& job = jobs[slot.request];
        if (!verdict.ok && verdict.retryable
            && job.attempts <= static_cast<unsigned>(std::max(0, m_options.retries))) {
          waiting.emplace(m_clock.now() + retry_delay(slot, job.backoff), slot.request);
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
        ++finished;
        done(slot.request, std::move(response));
      }
      if (finished == requests.size()) {
        break;
      }

      // Sleep in curl until a socket is ready, or the next retry or rate-limiter token is due.
      now = m_clock.now();
      std::chrono::milliseconds timeout = k_max_poll;
      const bool can_start = active < m_options.concurrency;
      if (can_start && !gated && (!due_retries.empty() || !fresh.empty())) {
        timeout = std::chrono::milliseconds::zero();
      }
      if (!waiting.empty()) {
        timeout = std::min(timeout, until(waiting.top().first, now));
      }
      if (gated && can_start) {
        timeout = std::min(timeout, until(gate_at, now));
      }
      if (timeout > std::chrono::milliseconds::zero() || active > 0) {
        const CURLMcode rc =
            curl_multi_poll(m_multi.get(), nullptr, 0, static_cast<int>(timeout.count()), nullptr);
        if (rc != CURLM_OK) {
          return multi_error(rc);
        }
      }
    }
    return {};
  }

  const HttpOptions& options() const { return m_options; }

private:
  static std::chrono::milliseconds until(SteadyTime when, SteadyTime now)
  {
    if (when <= now) {
      return std::chrono::milliseconds::zero();
    }
    return std::chrono::ceil<std::chrono::milliseconds>(when - now);
  }

  tl::unexpected<core::Error> multi_error(CURLMcode rc) const
  {
    return core::fail(core::Errc::source,
                      "http " + m_options.name + ": " + curl_multi_strerror(rc));
  }

  std::chrono::milliseconds retry_delay(const Slot& slot, std::optional<core::Backoff>& backoff)
  {
    if (!slot.retry_after.empty()) {
      if (std::optional<std::chrono::milliseconds> asked =
              detail::parse_retry_after(slot.retry_after, std::chrono::system_clock::now())) {
        return *asked;
      }
    }
    if (!backoff) {
      // A different seed per row, so rows failing together do not retry in lockstep.
      backoff.emplace(m_options.retry_base, m_options.retry_cap, 2.0, ++m_seed);
    }
    return backoff->next();
  }

  core::Result<Slot*> new_slot()
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
         && curl_easy_setopt(easy,
                             CURLOPT_CONNECTTIMEOUT_MS,
                             static_cast<long>(m_options.connect_timeout.count()))
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

  core::Result<void> start(Slot& slot, std::size_t request, const std::string& url)
  {
    slot.body.clear();
    slot.retry_after.clear();
    slot.too_large = false;
    slot.error[0] = '\0';
    slot.request = request;
    if (curl_easy_setopt(slot.easy.get(), CURLOPT_URL, url.c_str()) != CURLE_OK) {
      return core::fail(core::Errc::source, "http " + m_options.name + ": out of memory");
    }
    if (const CURLMcode rc = curl_multi_add_handle(m_multi.get(), slot.easy.get());
        rc != CURLM_OK) {
      return multi_error(rc);
    }
    slot.attached = true;
    return {};
  }

  void detach(Slot& slot)
  {
    if (slot.attached) {
      curl_multi_remove_handle(m_multi.get(), slot.easy.get());
      slot.attached = false;
    }
  }

  Slot& slot_of(CURL* easy) const
  {
    void* self = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &self);
    return *static_cast<Slot*>(self);
  }

  HttpOptions m_options;
  HeaderList m_headers;
  Multi m_multi;
  std::vector<std::unique_ptr<Slot>> m_slots; // after m_multi: cleaned up before it
  core::SteadyClock m_clock;
  core::RateLimiter m_limiter;
  std::string m_user_agent;
  std::uint64_t m_seed = 0;
};

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
  return "http " + options.name + " GET " + std::string(detail::path_for_message(request.path))
         + ": " + reason;
}

class HttpLookup final : public ValueResolver {
public:
  HttpLookup(std::unique_ptr<Client> client,
             core::BoundTemplate get,
             std::optional<Json::json_pointer> pointer,
             bool hash_from_json)
      : m_client(std::move(client))
      , m_get(std::move(get))
      , m_pointer(std::move(pointer))
      , m_hash_from_json(hash_from_json)
  {}

  core::Result<void> resolve(std::span<core::Row> rows,
                             std::vector<core::Entry>& entries,
                             std::vector<core::Failure>& failures) override
  {
    const HttpOptions& options = m_client->options();
    m_requests.clear();
    m_rows.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const core::Row& row = rows[i];
      m_scratch.assign(row.fields.begin(), row.fields.end());
      m_scratch.emplace_back(row.key);
      Request request;
      if (!m_get.render_to(request.path, m_scratch, core::Escaping::url)) {
        failures.push_back(core::Failure{row.key, "not_found", "a URL variable is NULL"});
        continue;
      }
      request.url = detail::join_url(options.base_url, request.path);
      m_requests.push_back(std::move(request));
      m_rows.push_back(i);
    }
    const Json::json_pointer* pointer = m_pointer ? &*m_pointer : nullptr;
    return m_client->run(m_requests, [&](std::size_t index, Response&& response) {
      const core::Row& row = rows[m_rows[index]];
      const Request& request = m_requests[index];
      if (!response.verdict.ok) {
        std::string message = describe(options, request, response);
        failures.push_back(
            core::Failure{row.key, std::move(response.verdict.kind), std::move(message)});
        return;
      }
      detail::Extracted extracted =
          detail::extract_value(std::move(response.body), pointer, m_hash_from_json);
      if (!extracted.value) {
        failures.push_back(core::Failure{row.key,
                                         std::move(extracted.kind),
                                         "http " + options.name + " GET "
                                             + std::string(detail::path_for_message(request.path))
                                             + ": " + extracted.message});
        return;
      }
      entries.push_back(core::Entry{row.key, std::move(*extracted.value), {}, false});
    });
  }

private:
  std::unique_ptr<Client> m_client;
  core::BoundTemplate m_get;
  std::optional<Json::json_pointer> m_pointer;
  bool m_hash_from_json;
  std::vector<Request> m_requests;
  std::vector<std::size_t> m_rows; // row index of each request
  std::vector<std::optional<std::string>> m_scratch;
};

} // namespace

void
http_global_init()
{
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void
http_global_cleanup()
{
  curl_global_cleanup();
}

core::Result<std::unique_ptr<ValueResolver>>
open_http_lookup(const HttpOptions& options,
                 const core::Template& get,
                 const std::string& json_pointer,
                 bool hash_from_json,
                 std::span<const std::string> fields)
{
  const std::vector<std::string> names = template_names(fields);
  core::Result<core::BoundTemplate> bound = get.bind(names);
  if (!bound) {
    return tl::unexpected(core::with_context(bound.error(), "get \"" + get.text() + "\""));
  }
  CW_TRY_ASSIGN(std::optional<Json::json_pointer> pointer,
                detail::parse_json_pointer(json_pointer));
  CW_TRY_ASSIGN(std::unique_ptr<Client> client, Client::create(options));
  return std::make_unique<HttpLookup>(
      std::move(client), std::move(*bound), std::move(pointer), hash_from_json);
}

core::Result<std::string>
http_fetch(const HttpOptions& options, std::string_view path)
{
  CW_TRY_ASSIGN(std::unique_ptr<Client> client, Client::create(options));
  const Request request{detail::join_url(options.base_url, path), std::string(path)};
  std::optional<Response> result;
  CW_TRY(client->run(std::span<const Request>(&request, 1),
                     [&](std::size_t, Response&& response) { result = std::move(response); }));
  if (!result || !result->verdict.ok) {
    return core::fail(core::Errc::source,
                      result
                          ? describe(options, request, *result)
                          : "http " + options.name + " GET " + std::string(path) + ": no response");
  }
  return std::move(result->body);
}

} // namespace cachewarm::sources
