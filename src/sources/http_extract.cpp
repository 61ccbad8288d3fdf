#include "http_extract_detail.hpp"

#include <utility>

namespace cachewarm::sources::detail {

namespace {

using Json = nlohmann::json;

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

} // namespace cachewarm::sources::detail
