// WordTable's construction (word_table.h); look-ups are inline.
#include "core/word_table.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace pulse {

WordTable::WordTable(const std::vector<std::string_view>& words, const std::vector<uint32_t>& values) {
  if (values.size() != words.size()) throw std::invalid_argument("WordTable: not one value for each word");
  if (words.size() > UINT16_MAX) throw std::invalid_argument("WordTable: too many words");
  // About four words a bucket, at least twice as many slots as words.
  unsigned bucket_bits = 1, slot_bits = 4;
  while ((std::size_t{1} << bucket_bits) * 4 < words.size()) ++bucket_bits;
  while ((std::size_t{1} << slot_bits) < 2 * words.size()) ++slot_bits;
  bucket_shift_ = 64 - bucket_bits;
  slot_shift_ = 64 - slot_bits;
  pilots_.assign(std::size_t{1} << bucket_bits, 0);
  slots_.assign(std::size_t{1} << slot_bits, Slot{0, 0, 0, kNotFound});
  fingerprints_.assign(slots_.size(), 0);
  tails_.assign(1, Tail{{0, 0}});

  std::vector<uint64_t> hashes, heads;
  std::vector<uint16_t> tail_of;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string_view w = words[i];
    if (values[i] == kNotFound) throw std::invalid_argument("WordTable: a value is kNotFound");
    for (char c : w)
      if (static_cast<unsigned char>(c) >= 0x80 || (c >= 'A' && c <= 'Z'))
        throw std::invalid_argument("WordTable: \"" + std::string(w) + "\" is not lower-case ASCII");
    WordKey key;
    if (w.empty() || !make_word_key(w.data(), w.size(), &key))
      throw std::invalid_argument("WordTable: \"" + std::string(w) + "\" is empty or too long");
    tail_of.push_back(w.size() > 8 ? static_cast<uint16_t>(tails_.size()) : 0);
    if (w.size() > 8) tails_.push_back(Tail{{key.part[1], key.part[2]}});
    hashes.push_back(hash(key));
    heads.push_back(key.part[0]);
  }

  // The words of each bucket; the fullest buckets choose their pilots first,
  // while most slots are free.
  std::vector<std::vector<uint32_t>> buckets(pilots_.size());
  for (uint32_t i = 0; i < words.size(); ++i) buckets[bucket_of(hashes[i])].push_back(i);
  std::vector<uint32_t> order(buckets.size());
  for (uint32_t b = 0; b < order.size(); ++b) order[b] = b;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return buckets[a].size() > buckets[b].size(); });

  std::vector<std::size_t> at;
  for (uint32_t b : order) {
    const std::vector<uint32_t>& in = buckets[b];
    if (in.empty()) break;
    bool placed = false;
    for (uint32_t pilot = 0; pilot <= UINT16_MAX && !placed; ++pilot) {
      at.clear();
      placed = true;
      for (uint32_t i : in) {
        const std::size_t s = slot_of(hashes[i], static_cast<uint16_t>(pilot));
        if (slots_[s].size != 0 || std::find(at.begin(), at.end(), s) != at.end()) {
          placed = false;
          break;
        }
        at.push_back(s);
      }
      if (placed) pilots_[b] = static_cast<uint16_t>(pilot);
    }
    if (!placed) {
      // Equal hashes: duplicate words, or (most unlikely) a true collision.
      for (uint32_t i : in)
        for (uint32_t j : in)
          if (i < j && words[i] == words[j])
            throw std::invalid_argument("WordTable: \"" + std::string(words[i]) + "\" is listed twice");
      throw std::runtime_error("WordTable: no pilot places bucket of \"" + std::string(words[in[0]]) + "\"");
    }
    for (std::size_t k = 0; k < in.size(); ++k) {
      slots_[at[k]] = Slot{heads[in[k]], static_cast<uint16_t>(words[in[k]].size()), tail_of[in[k]], values[in[k]]};
      fingerprints_[at[k]] = fingerprint(hashes[in[k]]);
    }
  }
}

}  // namespace pulse
