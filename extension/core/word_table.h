// A fixed set of short ASCII words, looked up by a word as written in text:
// lower-casing the word, packing it into machine words and hashing it happen
// in one pass eight bytes at a time, and most look-ups, hits on short words
// and misses alike, read one table slot and no key bytes elsewhere. Written
// for VADER's lexicons (core/vader.cpp: several thousand words of at most 19
// bytes, looked up once per word of every text scored).
#pragma once

#include "core/no_postgres.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace pulse {

// A word of at most kMaxBytes bytes, lower-cased, as three little-endian
// 64-bit words padded with zero bytes.
struct WordKey {
  static constexpr std::size_t kMaxBytes = 24;
  uint64_t part[3];
  uint32_t size;
};

namespace word_table_detail {

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
inline uint64_t little_endian(uint64_t v) { return __builtin_bswap64(v); }
inline uint32_t little_endian(uint32_t v) { return __builtin_bswap32(v); }
#else
inline uint64_t little_endian(uint64_t v) { return v; }
inline uint32_t little_endian(uint32_t v) { return v; }
#endif

// Bytes [s, s + n), 0 <= n <= 8, as a little-endian number (byte k in bits
// 8k..8k+7, zero above): at most two loads, which may overlap, and no loop.
inline uint64_t load_le(const char* s, std::size_t n) {
  if (n >= 8) {
    uint64_t v;
    std::memcpy(&v, s, 8);
    return little_endian(v);
  }
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, s, 4);
    std::memcpy(&hi, s + n - 4, 4);
    return uint64_t{little_endian(lo)} | uint64_t{little_endian(hi)} << (8 * (n - 4));
  }
  if (n == 0) return 0;
  auto b = [&](std::size_t k) { return uint64_t{static_cast<unsigned char>(s[k])} << (8 * k); };
  return b(0) | b(n / 2) | b(n - 1);
}

// Eight ASCII bytes with 'A'-'Z' turned into 'a'-'z': a byte has its top bit
// set after adding 0x3F when it is at least 'A', after adding 0x25 when it
// is above 'Z' (no carry leaves a byte below 0x80).
inline uint64_t ascii_lower(uint64_t v) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  const uint64_t upper = (v + 0x3F * kOnes) & ~(v + 0x25 * kOnes) & (0x80 * kOnes);
  return v | upper >> 2;
}

}  // namespace word_table_detail

// The key of the ASCII bytes [s, s + n) lower-cased ('A'-'Z' only, as
// Python's str.lower() on ASCII); false when n > WordKey::kMaxBytes. Reads
// no byte outside [s, s + n). Bytes of 0x80 and above are not ASCII: the
// result for them is unspecified (but no out-of-bounds read).
inline bool make_word_key(const char* s, std::size_t n, WordKey* key) {
  using word_table_detail::ascii_lower;
  using word_table_detail::load_le;
  if (n > WordKey::kMaxBytes) return false;
  key->size = static_cast<uint32_t>(n);
  if (n <= 8) {
    key->part[0] = ascii_lower(load_le(s, n));
    key->part[1] = key->part[2] = 0;
  } else {
    key->part[0] = ascii_lower(load_le(s, 8));
    key->part[1] = ascii_lower(load_le(s + 8, n <= 16 ? n - 8 : 8));
    key->part[2] = n <= 16 ? 0 : ascii_lower(load_le(s + 16, n - 16));
  }
  return true;
}

// Open addressing with linear probing over a power-of-two number of slots,
// at most half full. Each slot holds a key's size and first eight bytes; the
// rest of longer keys is kept aside and compared only when those match.
class WordTable {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  // words: distinct, each 1..WordKey::kMaxBytes bytes of ASCII without
  // upper-case letters; a word's value is its position in the list.
  // Throws std::invalid_argument otherwise.
  explicit WordTable(const std::vector<std::string_view>& words);

  // The value of the word whose key this is, or kNotFound.
  uint32_t find(const WordKey& key) const {
    const uint64_t head = key.part[0];
    for (std::size_t h = home(key);; h = (h + 1) & mask_) {
      const Slot& s = slots_[h];
      if (s.size == key.size && s.head == head &&
          (key.size <= 8 || (tails_[s.value].part[0] == key.part[1] && tails_[s.value].part[1] == key.part[2])))
        return s.value;
      if (s.size == 0) return kNotFound;
    }
  }

  // find() of the ASCII bytes [s, s + n) lower-cased.
  uint32_t find(std::string_view word) const {
    WordKey key;
    return make_word_key(word.data(), word.size(), &key) ? find(key) : kNotFound;
  }

  std::size_t slot_count() const { return slots_.size(); }

 private:
  struct Slot {
    uint64_t head;  // the key's first eight bytes
    uint32_t size;  // 0: an empty slot
    uint32_t value;
  };
  struct Tail {
    uint64_t part[2];  // the key's bytes 8..23
  };

  // The key's first slot to probe: the top bits of a multiplicative hash.
  std::size_t home(const WordKey& key) const {
    uint64_t h = key.part[0] * 0x9E3779B97F4A7C15ULL;
    h ^= (key.part[1] ^ key.size) * 0xC2B2AE3D27D4EB4FULL;
    h ^= key.part[2] * 0x165667B19E3779F9ULL;
    h ^= h >> 32;
    return static_cast<std::size_t>((h * 0xD6E8FEB86659FD93ULL) >> shift_);
  }

  std::vector<Slot> slots_;
  std::vector<Tail> tails_;  // by value
  std::size_t mask_ = 0;
  unsigned shift_ = 63;  // 64 - log2(slot count)
};

}  // namespace pulse
