// A fixed set of short ASCII words, looked up by a word as written in text:
// the word is lower-cased and packed into machine words eight bytes at a
// time, and a look-up, with no loop, reads two small arrays (which answer for
// most words that are not in the set) and, for the others, one table slot.
// Written for VADER's lexicons (core/vader.cpp: several thousand words of at
// most 19 bytes, looked up once per word of every text scored, most of them
// in none of the lists). Hand-written rather than generated (gperf) or taken
// from a perfect-hashing library: it is built at first use from the lists
// compiled in, with no build-time tool, its keys are the eight-byte words
// the scorer already holds, and a slot carries the scorer's record of the
// word, so one look-up is all there is to read.
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

inline uint64_t load8(const char* s) {
  uint64_t v;
  std::memcpy(&v, s, 8);
  return little_endian(v);
}

// Bytes [s, s + n), 0 <= n <= 8, as a little-endian number (byte k in bits
// 8k..8k+7, zero above): at most two loads, which may overlap, and no loop.
inline uint64_t load_le(const char* s, std::size_t n) {
  if (n >= 8) return load8(s);
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

// Which bytes of a key's three parts belong to a word of n bytes.
struct KeyMasks {
  uint64_t part[3];
};
inline const KeyMasks& key_masks(std::size_t n) {
  static constexpr auto kMasks = [] {
    struct Table {
      KeyMasks of[WordKey::kMaxBytes + 1];
    } t{};
    for (std::size_t n = 0; n <= WordKey::kMaxBytes; ++n)
      for (std::size_t i = 0; i < n; ++i) t.of[n].part[i / 8] |= uint64_t{0xFF} << (8 * (i % 8));
    return t;
  }();
  return kMasks.of[n];
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

// The key of the bytes [s, s + n), which are lower case already (ASCII
// words that classify_bytes() copied lower-cased, say), n <=
// WordKey::kMaxBytes, when the WordKey::kMaxBytes bytes from s may all be
// read (the word and what follows it in a padded buffer): three loads and
// no branch.
inline WordKey make_padded_word_key(const char* s, std::size_t n) {
  using namespace word_table_detail;
  const KeyMasks& m = key_masks(n);
  return WordKey{{load8(s) & m.part[0], load8(s + 8) & m.part[1], load8(s + 16) & m.part[2]},
                 static_cast<uint32_t>(n)};
}

// The key of the ASCII bytes [s, s + n) lower-cased ('A'-'Z' only, as
// Python's str.lower() on ASCII), reading no byte outside [s, s + n); false
// when n > WordKey::kMaxBytes. Bytes of 0x80 and above are not ASCII: the
// result for them is unspecified.
inline bool make_word_key(const char* s, std::size_t n, WordKey* key) {
  using namespace word_table_detail;
  if (n > WordKey::kMaxBytes) return false;
  key->size = static_cast<uint32_t>(n);
  key->part[0] = ascii_lower(load_le(s, n < 8 ? n : 8));
  key->part[1] = n <= 8 ? 0 : ascii_lower(load_le(s + 8, n < 16 ? n - 8 : 8));
  key->part[2] = n <= 16 ? 0 : ascii_lower(load_le(s + 16, n - 16));
  return true;
}

// Perfect hashing by "hash and displace": a key's hash picks a bucket, and
// the bucket's pilot (a small number chosen when the table is built) picks
// the key's slot, so that every listed word has a slot of its own. Beside
// the slots, one byte per slot holds a fingerprint of the slot's word (8
// more bits of its hash; 0: empty): most words looked up are in no list,
// and the pilots (two bytes for about four words) and fingerprints (a byte
// for about two) stay in the fastest cache, so such a look-up is answered
// there. A slot holds its word's size, first eight bytes and value; the
// rest of longer words is kept aside.
class WordTable {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  // words: distinct, each 1..WordKey::kMaxBytes bytes of ASCII without
  // upper-case letters; values: as many, none kNotFound. Throws
  // std::invalid_argument otherwise (or std::runtime_error in the unlikely
  // case that no pilot separates some words: two words whose 64-bit hashes
  // are equal).
  WordTable(const std::vector<std::string_view>& words, const std::vector<uint32_t>& values);

  // The value of the word whose key this is, or not_found.
  uint32_t find(const WordKey& key, uint32_t not_found = kNotFound) const {
    const uint64_t h = hash(key);
    const std::size_t i = slot_of(h, pilots_[bucket_of(h)]);
    if (fingerprints_[i] != fingerprint(h)) return not_found;
    const Slot& s = slots_[i];
    const Tail& t = tails_[s.tail];  // (tail 0 is all zero: that of words of up to 8 bytes)
    const bool found = (s.size == key.size) & (s.head == key.part[0]) & (t.part[0] == key.part[1]) &
                       (t.part[1] == key.part[2]);
    const uint32_t keep = uint32_t{0} - found;
    return (s.value & keep) | (not_found & ~keep);
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
    uint16_t size;  // 0: an empty slot
    uint16_t tail;  // in tails_
    uint32_t value;
  };
  struct Tail {
    uint64_t part[2];  // the key's bytes 8..23
  };

  static uint64_t hash(const WordKey& key) {
    uint64_t h = key.part[0] * 0x9E3779B97F4A7C15ULL;
    h ^= (key.part[1] ^ key.size) * 0xC2B2AE3D27D4EB4FULL;
    h ^= key.part[2] * 0x165667B19E3779F9ULL;
    return h ^ (h >> 31);
  }
  static uint8_t fingerprint(uint64_t h) {  // 1..255: the low byte, 0 made 1
    const uint8_t f = static_cast<uint8_t>(h);
    return f | (f == 0);
  }
  std::size_t bucket_of(uint64_t h) const { return static_cast<std::size_t>(h >> bucket_shift_); }
  std::size_t slot_of(uint64_t h, uint16_t pilot) const {
    return static_cast<std::size_t>(((h ^ (pilot * 0xD6E8FEB86659FD93ULL)) * 0xFF51AFD7ED558CCDULL) >> slot_shift_);
  }

  std::vector<uint16_t> pilots_;  // by bucket
  std::vector<uint8_t> fingerprints_;  // by slot
  std::vector<Slot> slots_;
  std::vector<Tail> tails_;       // of the words longer than 8 bytes, after an all-zero one
  unsigned bucket_shift_ = 63;    // 64 - log2(bucket count)
  unsigned slot_shift_ = 63;      // 64 - log2(slot count)
};

}  // namespace pulse
