#include "http_client_detail.hpp"
#include "http_extract_detail.hpp"

#include "cachewarm/sources/http.hpp"
#include "cachewarm/sources/values.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <utility>

namespace cachewarm::sources {

namespace {

using Json = nlohmann::json;

class HttpLookup final : public ValueResolver {
public:
  HttpLookup(std::unique_ptr<detail::HttpClient> client,
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
      detail::Request request;
      if (!m_get.render_to(request.path, m_scratch, core::Escaping::url)) {
        failures.push_back(core::Failure{row.key, "not_found", "a URL variable is NULL"});
        continue;
      }
      request.url = detail::join_url(options.base_url, request.path);
      m_requests.push_back(std::move(request));
      m_rows.push_back(i);
    }
    const Json::json_pointer* pointer = m_pointer ? &*m_pointer : nullptr;
    return m_client->run(m_requests, [&](std::size_t index, detail::Response&& response) {
      const core::Row& row = rows[m_rows[index]];
      const detail::Request& request = m_requests[index];
      if (!response.verdict.ok) {
        std::string message = detail::describe(options, request, response);
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
  std::unique_ptr<detail::HttpClient> m_client;
  core::BoundTemplate m_get;
  std::optional<Json::json_pointer> m_pointer;
  bool m_hash_from_json;
  std::vector<detail::Request> m_requests;
  std::vector<std::size_t> m_rows; // row index of each request
  std::vector<std::optional<std::string>> m_scratch;
};

} // namespace

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
  CW_TRY_ASSIGN(std::unique_ptr<detail::HttpClient> client, detail::HttpClient::create(options));
  return std::make_unique<HttpLookup>(
      std::move(client), std::move(*bound), std::move(pointer), hash_from_json);
}

} // namespace cachewarm::sources
