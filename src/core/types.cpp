#include "cachewarm/core/types.hpp"

#include <type_traits>

namespace cachewarm::core {

namespace {

std::uint64_t
size_of(const std::string& text)
{
  return text.size();
}

std::uint64_t
size_of(const std::vector<std::string>& items)
{
  std::uint64_t size = 0;
  for (const std::string& item : items) {
    size += item.size();
  }
  return size;
}

std::uint64_t
size_of(const std::vector<std::pair<std::string, std::string>>& pairs)
{
  std::uint64_t size = 0;
  for (const auto& [first, second] : pairs) {
    size += first.size() + second.size();
  }
  return size;
}

} // namespace

std::uint64_t
value_size(const Value& value)
{
  return std::visit(
      [](const auto& shape) -> std::uint64_t {
        using Shape = std::decay_t<decltype(shape)>;
        // Adding a shape to Value without a branch here fails to compile, by design.
        if constexpr (std::is_same_v<Shape, std::string>) {
          return size_of(shape);
        } else if constexpr (std::is_same_v<Shape, HashValue>) {
          return size_of(shape.fields);
        } else if constexpr (std::is_same_v<Shape, SetValue>) {
          return size_of(shape.members);
        } else if constexpr (std::is_same_v<Shape, ZSetValue>) {
          return size_of(shape.entries);
        } else if constexpr (std::is_same_v<Shape, ListValue>) {
          return size_of(shape.items);
        } else {
          static_assert(std::is_same_v<Shape, DumpValue>, "value_size: unhandled Value shape");
          return size_of(shape.payload);
        }
      },
      value);
}

} // namespace cachewarm::core
