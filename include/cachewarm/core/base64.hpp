#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cachewarm::core {

// RFC 4648 base64 with padding (`+/`), as JSON carries binary data (snapshot DUMP payloads,
// keys that are not UTF-8).
std::string base64_encode(std::string_view bytes);

// The bytes `text` encodes; nullopt when it is not padded base64 (wrong length, a character
// outside the alphabet, padding in the middle). No white space is accepted.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace cachewarm::core
