#include "cachewarm/core/base64.hpp"

#include <doctest/doctest.h>

#include <string>

using cachewarm::core::base64_decode;
using cachewarm::core::base64_encode;

TEST_SUITE("core::base64")
{
  TEST_CASE("RFC 4648's test vectors encode and decode")
  {
    const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [bytes, text] : vectors) {
      CAPTURE(bytes);
      CHECK(base64_encode(bytes) == text);
      CHECK(base64_decode(text) == bytes);
    }
  }

  TEST_CASE("every byte value survives a round trip, at every length modulo 3")
  {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
      bytes += static_cast<char>(i);
    }
    for (std::size_t cut = 0; cut < 3; ++cut) {
      const std::string part = bytes.substr(cut);
      CHECK(base64_decode(base64_encode(part)) == part);
    }
    CHECK(base64_encode(std::string("\xff\xfe", 2)) == "//4=");
  }

  TEST_CASE("text that is not padded base64 is refused")
  {
    for (const char* text : {"Zg", "Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "Zm 9v", "=Zg="}) {
      CAPTURE(text);
      CHECK_FALSE(base64_decode(text).has_value());
    }
  }
}
