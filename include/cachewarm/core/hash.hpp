#pragma once

#include <cstdint>
#include <string_view>

namespace cachewarm::core {

// A stable 64-bit hash of a key's bytes: FNV-1a 64, then MurmurHash3's 64-bit finalizer (fmix64),
// because FNV alone leaves the low bits poorly mixed for keys that differ only at the end
// ("user:1", "user:2"). The same on every platform and build, unlike std::hash, so shard
// assignment (core::Shard) and the grouped-rows table agree across hosts and releases.
constexpr std::uint64_t
key_hash(std::string_view key)
{
  std::uint64_t hash = 0xcbf29ce484222325ULL; // FNV-1a 64 offset basis
  for (const char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL; // FNV-1a 64 prime
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ULL;
  hash ^= hash >> 33;
  return hash;
}

} // namespace cachewarm::core
