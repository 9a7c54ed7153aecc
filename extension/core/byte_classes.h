// Classes of the bytes of a text, 64 bytes at a time, as bitmaps (bit i for
// byte i of the block): where ASCII white space separates words, which bytes
// are not ASCII, and the ASCII classes VADER's word rules ask about. With
// them a word's bounds and properties come from a few bit operations instead
// of a branch per byte (core/vader.cpp). SSE2 where the compiler has it (every
// x86-64), a loop over a byte table elsewhere; both give the same bitmaps.
#pragma once

#include "core/no_postgres.h"

#include <cstddef>
#include <cstdint>

namespace pulse {

struct ByteClasses {
  uint64_t space;     // ASCII white space for Python's str.isspace(): 0x09-0x0D, 0x1C-0x20
  uint64_t non_ascii; // 0x80 and above
  uint64_t punct;     // ASCII punctuation (Python's string.punctuation)
  uint64_t upper;     // 'A'-'Z'
  uint64_t lower;     // 'a'-'z'
  uint64_t quote;     // '\''
  uint64_t bang;      // '!'
  uint64_t question;  // '?'
};

// The classes of bytes [p, p + n), n <= 64. Bytes at and after n (which are
// not read) count as white space and nothing else. Also writes the bytes
// with 'A'-'Z' lower-cased to lower[0, 64) (what is after n there is
// unspecified), so that words can be looked up without lower-casing them.
ByteClasses classify_bytes(const char* p, std::size_t n, char* lower);

// The same with a plain loop over every byte (the reference for the tests).
ByteClasses classify_bytes_slowly(const char* p, std::size_t n, char* lower);

// The bits [from, to) of a bitmap, 0 <= from <= to <= 64.
inline uint64_t bit_range(unsigned from, unsigned to) {
  const uint64_t below_to = to >= 64 ? ~uint64_t{0} : (uint64_t{1} << to) - 1;
  const uint64_t below_from = from >= 64 ? ~uint64_t{0} : (uint64_t{1} << from) - 1;
  return below_to & ~below_from;
}

// The number of bits set (a plain formula: baseline x86-64 has no popcnt
// instruction, and __builtin_popcountll would call a library routine).
inline unsigned bit_count(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<unsigned>((x * 0x0101010101010101ULL) >> 56);
}

}  // namespace pulse
