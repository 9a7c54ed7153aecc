// VADER's two lexicons as compiled-in tables. The definitions are generated at
// build time from data/vader/ by scripts/gen_vader_data.py, so the scorer
// reads no file at run time (pulse.sentiment is IMMUTABLE).
#pragma once

#include "core/no_postgres.h"

#include <cstddef>
#include <cstdint>

namespace pulse::vader_data {

// A valence lexicon token (lower case ASCII) and its mean human rating, -4..4.
struct LexiconEntry {
  const char* token;
  std::size_t length;
  double valence;
};

// A one-code-point emoji and the English words that stand for it.
struct EmojiEntry {
  std::uint32_t code_point;
  const char* description;
  std::size_t length;
};

extern const LexiconEntry kLexicon[];  // sorted by token bytes
extern const std::size_t kLexiconSize;
extern const EmojiEntry kEmoji[];  // sorted by code point
extern const std::size_t kEmojiSize;

}  // namespace pulse::vader_data
