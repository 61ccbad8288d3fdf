#include "key_lists_detail.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

namespace cachewarm::sources::detail {

namespace {

using Json = nlohmann::json;

// The key text of a JSON value: strings as they are, numbers and booleans as their JSON text.
// Returns false with `why` set for null, objects and arrays.
bool
scalar_text(const Json& value, std::string& out, std::string& why)
{
  switch (value.type()) {
  case Json::value_t::string:
    out = value.get_ref<const std::string&>();
    return true;
  case Json::value_t::boolean:
  case Json::value_t::number_integer:
  case Json::value_t::number_unsigned:
  case Json::value_t::number_float:
    out = value.dump();
    return true;
  case Json::value_t::null:
    why = "null";
    return false;
  default:
    why = std::string("an ") + value.type_name();
    return false;
  }
}

// Member `field` of `value` as key text, or the reason it gives none.
bool
member_text(const Json& value, const std::string& field, std::string& out, std::string& why)
{
  if (!value.is_object()) {
    why = std::string("expected a json object, got ") + value.type_name();
    return false;
  }
  const auto member = value.find(field);
  if (member == value.end()) {
    why = "no member " + in_quotes(field);
    return false;
  }
  if (!scalar_text(*member, out, why)) {
    why = "member " + in_quotes(field) + " is " + why;
    return false;
  }
  return true;
}

std::string
json_reason(const Json::exception& e)
{
  // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
  const std::string_view what = e.what();
  const std::size_t end = what.starts_with('[') ? what.find("] ") : std::string_view::npos;
  return std::string(end == std::string_view::npos ? what : what.substr(end + 2));
}

} // namespace

std::string
parse_jsonl_row(std::string_view text, const std::string& member, core::Row& row)
{
  Json value;
  try {
    value = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return "not valid json at column " + std::to_string(e.byte);
  } catch (const Json::exception&) {
    return "not valid json";
  }
  std::string out;
  std::string error;
  if (member_text(value, member, out, error)) {
    row.fields.emplace_back(std::move(out));
  }
  return error;
}

core::Result<std::unique_ptr<KeySource>>
parse_json_array(const std::string& document,
                 const std::string& origin,
                 const KeyListOptions& options)
{
  Json array;
  try {
    array = Json::parse(document);
  } catch (const Json::exception& e) {
    return core::fail(core::Errc::source, origin + ": not valid json: " + json_reason(e));
  }
  if (!array.is_array()) {
    return core::fail(core::Errc::source,
                      origin + ": expected a json array, got " + array.type_name());
  }
  const bool objects = !options.field.empty();
  if (!objects) {
    const auto object = std::find_if(
        array.begin(), array.end(), [](const Json& element) { return element.is_object(); });
    if (object != array.end()) {
      return core::fail(core::Errc::manifest,
                        origin + ": element " + std::to_string(object - array.begin() + 1)
                            + " is an object: set field to the member that holds each key");
    }
  }
  std::vector<std::string> fields = {objects ? options.field : "value"};
  CW_TRY_ASSIGN(KeyMaker key, make_key_maker(options, fields, 0));
  KeyItems items;
  items.reserve(array.size());
  std::uint64_t number = 0;
  for (const Json& element : array) {
    ++number;
    std::string text;
    std::string why;
    const bool ok =
        objects ? member_text(element, options.field, text, why) : scalar_text(element, text, why);
    if (!ok) {
      items.emplace_back(
          bad_row("element", number, objects ? why : "expected a string, got " + why));
      continue;
    }
    core::Row row;
    row.fields.emplace_back(std::move(text));
    add_item(items, key, std::move(row), "element", number);
  }
  return make_buffered_keys(std::move(fields), std::move(items));
}

} // namespace cachewarm::sources::detail
