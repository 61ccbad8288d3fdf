#include "ascii_detail.hpp"

#include <algorithm>
#include <cctype>

namespace cachewarm::sources::detail {

bool
starts_with_no_case(std::string_view text, std::string_view prefix)
{
  return text.size() >= prefix.size()
         && std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
              return std::tolower(static_cast<unsigned char>(a))
                     == std::tolower(static_cast<unsigned char>(b));
            });
}

bool
equals_no_case(std::string_view a, std::string_view b)
{
  return a.size() == b.size() && starts_with_no_case(a, b);
}

} // namespace cachewarm::sources::detail
