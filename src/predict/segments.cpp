#include "cachewarm/predict/segments.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

namespace cachewarm::predict {

namespace {

struct Address {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;
};

std::optional<Address>
parse_address(std::string text)
{
  Address out;
  if (inet_pton(AF_INET, text.c_str(), out.bytes.data()) == 1) {
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), out.bytes.data()) == 1) {
    out.v6 = true;
    return out;
  }
  return std::nullopt;
}

// `address` without `[...]` brackets and a `:port` (after IPv4 or a bracketed IPv6 address).
std::string_view
bare(std::string_view address)
{
  if (!address.empty() && address.front() == '[') {
    const std::size_t close = address.find(']');
    return close == std::string_view::npos ? address : address.substr(1, close - 1);
  }
  const std::size_t colon = address.find(':');
  if (colon != std::string_view::npos && address.find(':', colon + 1) == std::string_view::npos) {
    return address.substr(0, colon); // one colon: IPv4 with a port
  }
  return address;
}

bool
within(const std::array<std::uint8_t, 16>& address,
       const std::array<std::uint8_t, 16>& prefix,
       int bits)
{
  int whole = bits / 8;
  if (std::memcmp(address.data(), prefix.data(), static_cast<std::size_t>(whole)) != 0) {
    return false;
  }
  const int rest = bits % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[static_cast<std::size_t>(whole)] & mask)
         == (prefix[static_cast<std::size_t>(whole)] & mask);
}

core::Result<std::nullopt_t>
bad_prefix(const std::string& text)
{
  return core::fail(core::Errc::usage,
                    "bad prefix \"" + text
                        + "\" (expected an address/length like 10.1.0.0/16 or 2001:db8::/32)");
}

} // namespace

core::Result<PrefixTable>
PrefixTable::make(const std::vector<SegmentPrefix>& prefixes)
{
  PrefixTable table;
  for (const SegmentPrefix& row : prefixes) {
    if (row.name.empty()) {
      return core::fail(core::Errc::usage, "prefix \"" + row.prefix + "\" has no segment name");
    }
    const std::size_t slash = row.prefix.find('/');
    const std::optional<Address> address = parse_address(row.prefix.substr(0, slash));
    if (!address) {
      return tl::unexpected(bad_prefix(row.prefix).error());
    }
    const int max_bits = address->v6 ? 128 : 32;
    int bits = max_bits;
    if (slash != std::string::npos) {
      const std::string length = row.prefix.substr(slash + 1);
      char* end = nullptr;
      const long parsed = std::strtol(length.c_str(), &end, 10);
      if (length.empty() || *end != '\0' || parsed < 0 || parsed > max_bits) {
        return tl::unexpected(bad_prefix(row.prefix).error());
      }
      bits = static_cast<int>(parsed);
    }
    table.m_entries.push_back(Entry{address->bytes, bits, address->v6, row.name});
  }
  std::stable_sort(table.m_entries.begin(),
                   table.m_entries.end(),
                   [](const Entry& a, const Entry& b) { return a.bits > b.bits; });
  return table;
}

std::string_view
PrefixTable::lookup(std::string_view address) const
{
  const std::optional<Address> parsed = parse_address(std::string(bare(address)));
  if (parsed) {
    for (const Entry& entry : m_entries) {
      if (entry.v6 == parsed->v6 && within(parsed->bytes, entry.bytes, entry.bits)) {
        return entry.name;
      }
    }
  }
  return k_other_segment;
}

core::Result<std::vector<SegmentPrefix>>
read_segment_prefixes(const std::string& path)
{
  std::ifstream in(path);
  if (!in) {
    return core::fail(core::Errc::io, path + ": cannot open: " + std::strerror(errno));
  }
  std::vector<SegmentPrefix> rows;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    line = line.substr(0, line.find('#'));
    std::vector<std::string> words;
    std::size_t at = 0;
    while ((at = line.find_first_not_of(" \t\r", at)) != std::string::npos) {
      const std::size_t end = line.find_first_of(" \t\r", at);
      words.push_back(line.substr(at, end - at));
      at = end;
    }
    if (words.empty()) {
      continue;
    }
    const std::string where = path + ":" + std::to_string(number) + ": ";
    if (words.size() != 2) {
      return core::fail(core::Errc::usage, where + "expected \"PREFIX NAME\"");
    }
    rows.push_back(SegmentPrefix{words[0], words[1]});
    if (core::Result<PrefixTable> check = PrefixTable::make({rows.back()}); !check) {
      return core::fail(core::Errc::usage, where + check.error().message);
    }
  }
  return rows;
}

} // namespace cachewarm::predict
