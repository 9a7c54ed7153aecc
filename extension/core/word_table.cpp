// WordTable's construction (word_table.h); look-ups are inline.
#include "core/word_table.h"

#include <stdexcept>
#include <string>

namespace pulse {

WordTable::WordTable(const std::vector<std::string_view>& words) {
  std::size_t slots = 16;
  unsigned bits = 4;
  while (slots < 2 * words.size()) {
    slots *= 2;
    ++bits;
  }
  slots_.assign(slots, Slot{0, 0, kNotFound});
  mask_ = slots - 1;
  shift_ = 64 - bits;
  tails_.reserve(words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string_view w = words[i];
    for (char c : w)
      if (static_cast<unsigned char>(c) >= 0x80 || (c >= 'A' && c <= 'Z'))
        throw std::invalid_argument("WordTable: \"" + std::string(w) + "\" is not lower-case ASCII");
    WordKey key;
    if (w.empty() || !make_word_key(w.data(), w.size(), &key))
      throw std::invalid_argument("WordTable: \"" + std::string(w) + "\" is empty or too long");
    if (find(key) != kNotFound) throw std::invalid_argument("WordTable: \"" + std::string(w) + "\" is listed twice");
    std::size_t h = home(key);
    while (slots_[h].size != 0) h = (h + 1) & mask_;
    slots_[h] = Slot{key.part[0], key.size, static_cast<uint32_t>(i)};
    tails_.push_back(Tail{{key.part[1], key.part[2]}});
  }
}

}  // namespace pulse
