#include "cachewarm/core/types.hpp"

#include <type_traits>

namespace cachewarm::core {

std::uint64_t
value_size(const Value& value)
{
  return std::visit(
      [](const auto& shape) -> std::uint64_t {
        using Shape = std::decay_t<decltype(shape)>;
        if constexpr (std::is_same_v<Shape, std::string>) {
          return shape.size();
        } else {
          // Adding a shape to Value without a branch here fails to compile, by design.
          static_assert(std::is_same_v<Shape, HashValue>, "value_size: unhandled Value shape");
          std::uint64_t size = 0;
          for (const auto& [field, field_value] : shape.fields) {
            size += field.size() + field_value.size();
          }
          return size;
        }
      },
      value);
}

} // namespace cachewarm::core
