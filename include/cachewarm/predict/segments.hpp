#pragma once

// Segments of a log (`--by`): a template over the log's fields names each request's segment
// (a country, a POP, a host), or renders a client address that a table of address prefixes maps
// to a region name. Each segment gets its own prediction.

#include "cachewarm/core/result.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::predict {

// One row of a prefix table: addresses within `prefix` (`10.1.0.0/16`, `2001:db8::/32`, or a
// single address) belong to segment `name`.
struct SegmentPrefix {
  std::string prefix;
  std::string name;
};

// The segment a request whose address matches no prefix (or is no address) belongs to.
inline constexpr std::string_view k_other_segment = "other";

// Maps addresses to segment names by their longest matching prefix.
class PrefixTable {
public:
  // Errors (Errc::usage): `bad prefix "x" (expected an address/length like 10.1.0.0/16 or
  // 2001:db8::/32)`, an empty name.
  static core::Result<PrefixTable> make(const std::vector<SegmentPrefix>& prefixes);

  bool empty() const { return m_entries.empty(); }

  // The name of the longest prefix holding `address` (IPv4 or IPv6, `[v6]` brackets and a
  // `:port` after an IPv4 address or a bracketed IPv6 one allowed); k_other_segment when none
  // does or `address` is not an address.
  std::string_view lookup(std::string_view address) const;

private:
  struct Entry {
    std::array<std::uint8_t, 16> bytes{};
    int bits = 0;
    bool v6 = false;
    std::string name;
  };
  std::vector<Entry> m_entries; // longest prefix first
};

// Reads a prefix file: one `PREFIX NAME` per line (blanks around them), `#` comments and blank
// lines ignored. Errors: Errc::io (`PATH: cannot open: <reason>`), Errc::usage (`PATH:LINE:
// expected "PREFIX NAME"`, or a bad prefix as PrefixTable::make says, with PATH:LINE).
core::Result<std::vector<SegmentPrefix>> read_segment_prefixes(const std::string& path);

} // namespace cachewarm::predict
