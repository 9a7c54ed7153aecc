// Finding a few byte values 8 bytes at a time (SWAR): for the loops over
// every byte of every record (COPY escaping, the jsonb checks), where most
// bytes are none of those sought.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace pulse::load {

// Whether any of the 8 bytes of w equals b: the has-zero-byte test of w XOR
// b repeated (exact: no false positives or negatives).
inline bool word_has_byte(uint64_t w, unsigned char b) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t v = w ^ (kOnes * b);
  return ((v - kOnes) & ~v & kHigh) != 0;
}

// The 8 bytes of s from i (i + 8 <= s.size()).
inline uint64_t word_at(std::string_view s, std::size_t i) {
  uint64_t w;
  std::memcpy(&w, s.data() + i, 8);
  return w;
}

}  // namespace pulse::load
