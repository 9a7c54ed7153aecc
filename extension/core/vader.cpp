// VADER's rules (Hutto & Gilbert 2014, section "Heuristics"), written from the
// paper and checked against the reference implementation's output
// (tests/data/vader_expected.tsv). Where the reference behaves in a way the
// paper does not describe (which code points count as spaces, how the "but"
// rule finds the valence it rescales, ...) this file does what the reference
// does, because the scores must be equal; those places say so.
#include "core/vader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/interrupts.h"
#include "core/vader_data.h"

namespace pulse {
namespace {

// Empirical constants of the paper.
constexpr double kBoost = 0.293;        // a booster word's added intensity
constexpr double kDampen = -0.293;      // a dampener's
constexpr double kCapsBoost = 0.733;    // an ALL-CAPS word among others that are not
constexpr double kNegation = -0.74;     // a negated valence is multiplied by this
constexpr double kExclamation = 0.292;  // per "!", at most four
constexpr double kQuestion = 0.18;      // per "?" when there are two or three
constexpr double kManyQuestions = 0.96; // four or more
constexpr double kAlpha = 15;           // compound = x / sqrt(x^2 + alpha)

struct CodePointRange {
  uint32_t first, last;
};
#include "core/unicode_case_table.inc"

template <std::size_t N>
bool in_ranges(const CodePointRange (&ranges)[N], uint32_t cp) {
  const CodePointRange* end = ranges + N;
  const CodePointRange* r =
      std::upper_bound(ranges, end, cp, [](uint32_t c, const CodePointRange& x) { return c < x.first; });
  return r != ranges && cp <= (r - 1)->last;
}

constexpr uint32_t kInvalid = 0xFFFD;

// The code point at s[i] and its length in bytes; a byte that does not start
// a well-formed sequence is one character of its own (kInvalid).
uint32_t decode(std::string_view s, std::size_t i, std::size_t* len) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  *len = 1;
  if (c < 0x80) return c;
  int n;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; min = 0x10000; }
  else return kInvalid;
  for (int k = 1; k <= n; ++k) {
    if (i + k >= s.size() || (b(i + k) & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  *len = static_cast<std::size_t>(n) + 1;
  return cp;
}

// What Python's str.split() splits on (str.isspace), which the reference uses.
bool is_space(uint32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// ASCII punctuation (Python's string.punctuation), trimmed from word edges.
bool is_punct(unsigned char c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

// Which code points below kEmojiBitmapEnd are emoji keys: most text is
// letters, and this answers for them without a search.
constexpr uint32_t kEmojiBitmapEnd = 0x20000;

const vader_data::EmojiEntry* find_emoji(uint32_t cp) {
  static const std::vector<uint64_t> bitmap = [] {
    std::vector<uint64_t> b(kEmojiBitmapEnd / 64, 0);
    for (std::size_t i = 0; i < vader_data::kEmojiSize; ++i) {
      uint32_t c = vader_data::kEmoji[i].code_point;
      if (c < kEmojiBitmapEnd) b[c / 64] |= uint64_t{1} << (c % 64);
    }
    return b;
  }();
  if (cp < kEmojiBitmapEnd && !(bitmap[cp / 64] >> (cp % 64) & 1)) return nullptr;
  const vader_data::EmojiEntry* end = vader_data::kEmoji + vader_data::kEmojiSize;
  const vader_data::EmojiEntry* e = std::lower_bound(
      vader_data::kEmoji, end, cp, [](const vader_data::EmojiEntry& x, uint32_t c) { return x.code_point < c; });
  return e != end && e->code_point == cp ? e : nullptr;
}

// The words the rules name, so that a rule compares a small number.
enum WordId : uint8_t {
  kOther, kNo, kBut, kKind, kOf, kLeast, kAt, kVery, kSo, kThis, kNever, kWithout, kDoubt, kOr, kNor,
  kThe, kShit, kBomb, kBad, kAss, kBus, kStop, kYeah, kRight, kKiss, kDeath, kTo, kDie, kFor, kBeating,
  kHeart, kBroken, kJust, kEnough, kSort,
};
constexpr const char* kWordNames[] = {
  "", "no", "but", "kind", "of", "least", "at", "very", "so", "this", "never", "without", "doubt", "or", "nor",
  "the", "shit", "bomb", "bad", "ass", "bus", "stop", "yeah", "right", "kiss", "death", "to", "die", "for", "beating",
  "heart", "broken", "just", "enough", "sort",
};

// Everything the rules know about a (lower case) word, from one look-up.
struct Entry {
  double valence = 0;       // lexicon valence
  double degree = 0;        // booster (+) or dampener (-) intensity
  bool in_lexicon = false;
  bool is_degree = false;
  bool negation = false;    // a negation word (words with "n't" are found as written)
  WordId id = kOther;
};

// An open-addressing table from lower-case word to Entry, built once.
class Dictionary {
 public:
  static constexpr std::size_t kMaxKey = 32;  // longer words are in no list

  Dictionary() {
    for (std::size_t i = 0; i < vader_data::kLexiconSize; ++i) {
      Entry& e = add(std::string_view(vader_data::kLexicon[i].token, vader_data::kLexicon[i].length));
      e.in_lexicon = true;
      e.valence = vader_data::kLexicon[i].valence;
    }
    for (const char* w : {"absolutely", "amazingly", "awfully", "completely", "considerable", "considerably",
                          "decidedly", "deeply", "effing", "enormous", "enormously", "entirely", "especially",
                          "exceptional", "exceptionally", "extreme", "extremely", "fabulously", "flipping",
                          "flippin", "frackin", "fracking", "fricking", "frickin", "frigging", "friggin", "fully",
                          "fuckin", "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely",
                          "incredible", "incredibly", "intensely", "major", "majorly", "more", "most",
                          "particularly", "purely", "quite", "really", "remarkably", "so", "substantially",
                          "thoroughly", "total", "totally", "tremendous", "tremendously", "uber", "unbelievably",
                          "unusually", "utter", "utterly", "very"}) {
      Entry& e = add(w);
      e.is_degree = true;
      e.degree = kBoost;
    }
    for (const char* w : {"almost", "barely", "hardly", "kinda", "kindof", "kind-of", "less", "little", "marginal",
                          "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight",
                          "slightly", "somewhat", "sorta", "sortof", "sort-of"}) {
      Entry& e = add(w);
      e.is_degree = true;
      e.degree = kDampen;
    }
    for (const char* w : {"aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "ain't",
                          "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't", "dont", "hadnt", "hasnt",
                          "havent", "isnt", "mightnt", "mustnt", "neither", "don't", "hadn't", "hasn't", "haven't",
                          "isn't", "mightn't", "mustn't", "neednt", "needn't", "never", "none", "nope", "nor",
                          "not", "nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
                          "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't", "without", "wont",
                          "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite"})
      add(w).negation = true;
    for (int id = 1; id < static_cast<int>(sizeof(kWordNames) / sizeof(kWordNames[0])); ++id)
      add(kWordNames[id]).id = static_cast<WordId>(id);
  }

  const Entry* find(std::string_view key) const {
    for (std::size_t h = hash(key) & kMask;; h = (h + 1) & kMask) {
      uint16_t slot = slots_[h];
      if (slot == 0) return nullptr;
      if (keys_[slot - 1] == key) return &entries_[slot - 1];
    }
  }

 private:
  static constexpr std::size_t kSlots = 1 << 15;
  static constexpr std::size_t kMask = kSlots - 1;

  // Eight bytes at a time (keys are short): a multiply-xorshift mix.
  static std::size_t hash(std::string_view s) {
    uint64_t h = s.size() * 0x9E3779B97F4A7C15ULL;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t v;
      std::memcpy(&v, s.data() + i, 8);
      h = (h ^ v) * 0xFF51AFD7ED558CCDULL;
      h ^= h >> 32;
    }
    if (i < s.size()) {
      uint64_t v = 0;
      std::memcpy(&v, s.data() + i, s.size() - i);
      h = (h ^ v) * 0xFF51AFD7ED558CCDULL;
      h ^= h >> 32;
    }
    h *= 0xC4CEB9FE1A85EC53ULL;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }

  Entry& add(std::string_view key) {
    for (std::size_t h = hash(key) & kMask;; h = (h + 1) & kMask) {
      uint16_t slot = slots_[h];
      if (slot == 0) {
        keys_.push_back(key);
        entries_.emplace_back();
        slots_[h] = static_cast<uint16_t>(keys_.size());
        return entries_.back();
      }
      if (keys_[slot - 1] == key) return entries_[slot - 1];
    }
  }

  std::vector<uint16_t> slots_ = std::vector<uint16_t>(kSlots, 0);
  std::vector<std::string_view> keys_;
  std::vector<Entry> entries_;
};

const Dictionary& dictionary() {
  static const Dictionary d;
  return d;
}

// Phrases whose valence replaces that of the lexicon word inside them.
struct Phrase {
  WordId words[3];
  int size;
  double valence;
};
constexpr Phrase kPhrases[] = {
    {{kThe, kShit}, 2, 3},           {{kThe, kBomb}, 2, 3},        {{kBad, kAss}, 2, 1.5},
    {{kBus, kStop}, 2, 0.0},         {{kYeah, kRight}, 2, -2},     {{kKiss, kOf, kDeath}, 3, -1.5},
    {{kTo, kDie, kFor}, 3, 3},       {{kBeating, kHeart}, 2, 3.1}, {{kBroken, kHeart}, 2, -2.9},
};
// Two-word dampeners, checked among the words before a lexicon word.
constexpr Phrase kTwoWordDampeners[] = {
    {{kJust, kEnough}, 2, kDampen}, {{kKind, kOf}, 2, kDampen}, {{kSort, kOf}, 2, kDampen}};

struct Word {
  double valence = 0;
  double degree = 0;
  bool in_lexicon = false;
  bool is_degree = false;
  bool negation = false;
  bool upper = false;  // Python's str.isupper() of the word as written
  WordId id = kOther;
};

// One text's words and the rules over them.
class Scorer {
 public:
  Scorer(const std::vector<Word>& w, std::vector<double>& s) : w_(w), s_(s), n_(w.size()) {}

  bool is(std::size_t i, WordId id) const { return w_[i].id == id; }

  bool phrase_at(const Phrase& p, std::size_t first) const {
    for (int k = 0; k < p.size; ++k)
      if (first + k >= n_ || !is(first + k, p.words[k])) return false;
    return true;
  }
  // The phrase spelled by words [first, first + size), if any.
  const Phrase* phrase(const Phrase* begin, const Phrase* end, std::size_t first, int size) const {
    for (const Phrase* p = begin; p != end; ++p)
      if (p->size == size && phrase_at(*p, first)) return p;
    return nullptr;
  }

  // A booster's or dampener's contribution to a lexicon word of valence v.
  double degree(std::size_t j, double v) const {
    if (!w_[j].is_degree) return 0.0;
    double s = v < 0 ? -w_[j].degree : w_[j].degree;
    if (w_[j].upper && cap_diff_) s += v > 0 ? kCapsBoost : -kCapsBoost;
    return s;
  }

  bool so_or_this(std::size_t j) const { return is(j, kSo) || is(j, kThis); }

  // Negation by the word `distance` + 1 before word i, with the reference's
  // special cases: "never so/this" intensifies, "without doubt" is no negation.
  double negate(double v, int distance, std::size_t i) const {
    if (distance == 0) {
      if (w_[i - 1].negation) v *= kNegation;
    } else if (distance == 1) {
      if (is(i - 2, kNever) && so_or_this(i - 1)) v *= 1.25;
      else if (is(i - 2, kWithout) && is(i - 1, kDoubt)) {}
      else if (w_[i - 2].negation) v *= kNegation;
    } else {
      // As in the reference: "so" or "this" right before the word intensifies
      // even without "never" three words back.
      if ((is(i - 3, kNever) && so_or_this(i - 2)) || so_or_this(i - 1)) v *= 1.25;
      else if (is(i - 3, kWithout) && (is(i - 2, kDoubt) || is(i - 1, kDoubt))) {}
      else if (w_[i - 3].negation) v *= kNegation;
    }
    return v;
  }

  // Idioms around word i (i >= 3): a phrase's valence replaces the word's;
  // a two-word dampener among the three words before it lowers it.
  double idioms(double v, std::size_t i) const {
    const Phrase* b = kPhrases;
    const Phrase* e = kPhrases + sizeof(kPhrases) / sizeof(kPhrases[0]);
    // Checked in this order; the first found wins.
    const struct { std::size_t first; int size; } before[] = {{i - 1, 2}, {i - 2, 3}, {i - 2, 2}, {i - 3, 3}, {i - 3, 2}};
    for (const auto& s : before)
      if (const Phrase* p = phrase(b, e, s.first, s.size)) { v = p->valence; break; }
    // Phrases starting at the word override that.
    if (n_ - 1 > i)
      if (const Phrase* p = phrase(b, e, i, 2)) v = p->valence;
    if (n_ - 1 > i + 1)
      if (const Phrase* p = phrase(b, e, i, 3)) v = p->valence;
    const Phrase* db = kTwoWordDampeners;
    const Phrase* de = db + sizeof(kTwoWordDampeners) / sizeof(kTwoWordDampeners[0]);
    for (const auto& s : {std::pair<std::size_t, int>{i - 3, 2}, {i - 2, 2}})
      if (const Phrase* p = phrase(db, de, s.first, s.second)) v += p->valence;
    return v;
  }

  // The valence of lexicon word i after every rule that looks at its
  // neighbours.
  double valence(std::size_t i) const {
    const double base = w_[i].valence;
    double v = base;
    // "no" before another lexicon word negates that word instead of counting.
    if (is(i, kNo) && i + 1 < n_ && w_[i + 1].in_lexicon) v = 0.0;
    if ((i > 0 && is(i - 1, kNo)) || (i > 1 && is(i - 2, kNo)) ||
        (i > 2 && is(i - 3, kNo) && (is(i - 1, kOr) || is(i - 1, kNor))))
      v = base * kNegation;
    if (w_[i].upper && cap_diff_) v += v > 0 ? kCapsBoost : -kCapsBoost;
    // The three words before: degree words fade with distance; negations.
    for (int d = 0; d < 3; ++d) {
      if (i <= static_cast<std::size_t>(d) || w_[i - d - 1].in_lexicon) continue;
      double s = degree(i - d - 1, v);
      if (d == 1 && s != 0) s *= 0.95;
      if (d == 2 && s != 0) s *= 0.9;
      v += s;
      v = negate(v, d, i);
      if (d == 2) v = idioms(v, i);
    }
    // "least" negates, except in "at least" and "very least".
    if (i > 1 && !w_[i - 1].in_lexicon && is(i - 1, kLeast)) {
      if (!is(i - 2, kAt) && !is(i - 2, kVery)) v *= kNegation;
    } else if (i > 0 && !w_[i - 1].in_lexicon && is(i - 1, kLeast)) {
      v *= kNegation;
    }
    return v;
  }

  // Fills s with each word's valence (0 for words without one).
  void run() {
    std::size_t upper = 0;
    for (const Word& x : w_) upper += x.upper;
    cap_diff_ = upper > 0 && upper < n_;
    s_.assign(n_, 0.0);
    for (std::size_t i = 0; i < n_; ++i) {
      if ((i & (kInterruptCheckInterval - 1)) == 0 && i > 0) check_interrupts();
      if (w_[i].is_degree) continue;
      if (i + 1 < n_ && is(i, kKind) && is(i + 1, kOf)) continue;
      if (w_[i].in_lexicon) s_[i] = valence(i);
    }
    contrast();
  }

  // "but": valences before the first "but" are halved, those after it grow by
  // half. The reference rescales, for each position in turn, the FIRST
  // position holding an equal value (so with repeated values one position can
  // be rescaled twice and another not at all); this does the same. Zeros stay
  // zero wherever they are rescaled, so only non-zero values are followed.
  void contrast() {
    std::vector<double>& s = s_;
    std::size_t bi = n_;
    for (std::size_t i = 0; i < n_; ++i)
      if (is(i, kBut)) { bi = i; break; }
    if (bi == n_) return;
    using MinHeap = std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<std::size_t>>;
    std::unordered_map<double, MinHeap> first;  // value -> positions holding it
    for (std::size_t i = 0; i < n_; ++i)
      if (s[i] != 0) first[s[i]].push(i);
    for (std::size_t k = 0; k < n_; ++k) {
      double v = s[k];
      if (v == 0) continue;
      MinHeap& at = first[v];
      std::size_t j = at.top();
      if (j == bi) continue;
      double nv = j < bi ? v * 0.5 : v * 1.5;
      at.pop();
      first[nv].push(j);
      s[j] = nv;
    }
  }

 private:
  const std::vector<Word>& w_;
  std::vector<double>& s_;
  std::size_t n_;
  bool cap_diff_ = false;
};

// Python's str.isupper() of the word.
bool word_is_upper(std::string_view w) {
  bool cased = false;
  for (std::size_t i = 0, len; i < w.size(); i += len) {
    unsigned char c = static_cast<unsigned char>(w[i]);
    if (c < 0x80) {
      len = 1;
      if (c >= 'a' && c <= 'z') return false;
      if (c >= 'A' && c <= 'Z') cased = true;
      continue;
    }
    uint32_t cp = decode(w, i, &len);
    if (in_ranges(kLowerOrTitleRanges, cp)) return false;
    if (!cased && in_ranges(kUpperRanges, cp)) cased = true;
  }
  return cased;
}

// More than two characters (the reference keeps shorter trimmed words as
// written: they are likely emoticons).
bool longer_than_two(std::string_view w) {
  if (w.size() <= 2) return false;
  std::size_t n = 0;
  for (std::size_t i = 0, len; i < w.size(); i += len) {
    if (++n > 2) return true;
    if (static_cast<unsigned char>(w[i]) < 0x80) len = 1;
    else decode(w, i, &len);
  }
  return false;
}

// Whether the word, lower-cased, contains "n't".
bool has_nt(std::string_view w) {
  for (std::size_t p = w.find('\''); p != std::string_view::npos; p = w.find('\'', p + 1))
    if (p > 0 && p + 1 < w.size() && (w[p - 1] | 0x20) == 'n' && (w[p + 1] | 0x20) == 't') return true;
  return false;
}

// The word as the lists spell it: ASCII letters lowered, KELVIN SIGN as "k"
// (the only non-ASCII character Python lowers to ASCII; the keys are ASCII).
// False when it is too long to be in any list.
bool lower_key(std::string_view w, char* out, std::size_t* len) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (n == Dictionary::kMaxKey) return false;
    unsigned char c = static_cast<unsigned char>(w[i]);
    if (c == 0xE2 && i + 2 < w.size() && static_cast<unsigned char>(w[i + 1]) == 0x84 &&
        static_cast<unsigned char>(w[i + 2]) == 0xAA) {
      out[n++] = 'k';
      i += 2;
    } else {
      out[n++] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : static_cast<char>(c);
    }
  }
  *len = n;
  return true;
}

bool ascii_space(unsigned char c) { return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20); }

// Buffers reused from call to call (one scorer per thread); large ones are
// given back so a huge text does not keep its memory.
struct Scratch {
  std::string replaced;
  std::vector<Word> words;
  std::vector<double> valences;
  void trim() {
    if (replaced.capacity() > (1u << 16)) std::string().swap(replaced);
    if (words.capacity() > (1u << 12)) std::vector<Word>().swap(words);
    if (valences.capacity() > (1u << 12)) std::vector<double>().swap(valences);
  }
};

}  // namespace

SentimentScores sentiment_scores_exact(std::string_view input) {
  thread_local Scratch scratch;
  struct Trim {
    Scratch& s;
    ~Trim() { s.trim(); }
  } trim{scratch};

  // Emoji become their descriptions, one code point at a time (sequences such
  // as flags or skin tones are looked up piecewise, as by the reference). A
  // description is set apart from what precedes it unless that is a space,
  // and runs into what follows.
  std::string_view text = input;
  if (!std::all_of(input.begin(), input.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    std::string& replaced = scratch.replaced;
    replaced.clear();
    bool prev_space = true;
    bool any = false;
    for (std::size_t i = 0, len; i < input.size(); i += len) {
      unsigned char c = static_cast<unsigned char>(input[i]);
      if (c < 0x80) {
        len = 1;
        if (any) replaced.push_back(static_cast<char>(c));
        prev_space = c == ' ';
        continue;
      }
      uint32_t cp = decode(input, i, &len);
      if (const vader_data::EmojiEntry* e = find_emoji(cp)) {
        if (!any) replaced.assign(input.data(), i);  // everything before the first emoji
        any = true;
        if (!prev_space) replaced.push_back(' ');
        replaced.append(e->description, e->length);
        prev_space = false;
      } else {
        if (any) replaced.append(input.data() + i, len);
        prev_space = false;
      }
    }
    if (any) text = replaced;
  }

  // Words: split on white space; ASCII punctuation is trimmed from both ends
  // unless that leaves two characters or fewer (an emoticon such as ":)").
  const Dictionary& dict = dictionary();
  std::vector<Word>& words = scratch.words;
  words.clear();
  auto add_word = [&](std::string_view w) {
    std::size_t b = 0, e = w.size();
    while (b < e && is_punct(static_cast<unsigned char>(w[b]))) ++b;
    while (e > b && is_punct(static_cast<unsigned char>(w[e - 1]))) --e;
    Word& word = words.emplace_back();
    const Entry* entry = nullptr;
    if (std::all_of(w.begin(), w.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
      // ASCII, most words: one pass gives the case, the key and "n't".
      if (e - b > 2) w = w.substr(b, e - b);
      bool lower = false, upper = false;
      char key[Dictionary::kMaxKey];
      const std::size_t n = w.size();
      for (std::size_t i = 0; i < n; ++i) {
        char c = w[i];
        lower |= c >= 'a' && c <= 'z';
        upper |= c >= 'A' && c <= 'Z';
        if (i < Dictionary::kMaxKey) key[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
      }
      word.upper = upper && !lower;
      word.negation = n >= 3 && std::memchr(w.data(), '\'', n) != nullptr && has_nt(w);
      if (n <= Dictionary::kMaxKey) entry = dict.find(std::string_view(key, n));
    } else {
      if (longer_than_two(w.substr(b, e - b))) w = w.substr(b, e - b);
      word.upper = word_is_upper(w);
      word.negation = has_nt(w);
      char key[Dictionary::kMaxKey];
      std::size_t key_len;
      if (lower_key(w, key, &key_len)) entry = dict.find(std::string_view(key, key_len));
    }
    if (entry) {
      word.valence = entry->valence;
      word.degree = entry->degree;
      word.in_lexicon = entry->in_lexicon;
      word.is_degree = entry->is_degree;
      word.negation = word.negation || entry->negation;
      word.id = entry->id;
    }
  };
  std::size_t start = std::string_view::npos;
  for (std::size_t i = 0, len; i < text.size(); i += len) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool space;
    if (c < 0x80) {
      len = 1;
      space = ascii_space(c);
    } else {
      space = is_space(decode(text, i, &len));
    }
    if (space) {
      if (start != std::string_view::npos) add_word(text.substr(start, i - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = i;
    }
  }
  if (start != std::string_view::npos) add_word(text.substr(start));

  SentimentScores out;
  if (words.empty()) return out;

  std::vector<double>& s = scratch.valences;
  Scorer(words, s).run();

  // Punctuation emphasis from the whole text (descriptions included).
  std::size_t bangs = 0, questions = 0;
  for (char c : text) {
    bangs += c == '!';
    questions += c == '?';
  }
  double emphasis = static_cast<double>(std::min<std::size_t>(bangs, 4)) * kExclamation;
  if (questions > 1) emphasis += questions <= 3 ? static_cast<double>(questions) * kQuestion : kManyQuestions;

  double sum = 0.0;
  for (double x : s) sum += x;
  if (sum > 0) sum += emphasis;
  else if (sum < 0) sum -= emphasis;
  double compound = sum / std::sqrt(sum * sum + kAlpha);
  out.compound = std::clamp(compound, -1.0, 1.0);

  // Each word weighs 1 plus its valence's magnitude in its own class.
  double pos = 0.0, neg = 0.0, neu = 0.0;
  for (double x : s) {
    if (x > 0) pos += x + 1;
    if (x < 0) neg += x - 1;
    if (x == 0) neu += 1;
  }
  if (pos > std::fabs(neg)) pos += emphasis;
  else if (pos < std::fabs(neg)) neg -= emphasis;
  double total = pos + std::fabs(neg) + neu;
  out.pos = std::fabs(pos / total);
  out.neg = std::fabs(neg / total);
  out.neu = std::fabs(neu / total);
  return out;
}

double round_like_python(double x, int decimals) {
  if (!std::isfinite(x)) return x;
  static constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  if (decimals >= 0 && decimals <= 8 && std::fabs(x) * kPow10[decimals] < 1e9) {
    // x * 10^d is off by at most an ulp or so; unless that lands next to a
    // half, the nearest integer is the exact value's rounding, and k / 10^d
    // (both exact, one correctly rounded division) is the double nearest to
    // the decimal: Python's result. Near a half, decide on the exact value.
    double y = x * kPow10[decimals];
    double k = std::nearbyint(y);
    if (std::fabs(std::fabs(y - k) - 0.5) > 1e-6) return k / kPow10[decimals];
  }
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::fixed, decimals);
  double y = x;
  std::from_chars(buf, r.ptr, y);
  return y;
}

SentimentScores sentiment_scores(std::string_view text) {
  SentimentScores s = sentiment_scores_exact(text);
  s.neg = round_like_python(s.neg, 3);
  s.neu = round_like_python(s.neu, 3);
  s.pos = round_like_python(s.pos, 3);
  s.compound = round_like_python(s.compound, 4);
  return s;
}

double sentiment_compound(std::string_view text) {
  return round_like_python(sentiment_scores_exact(text).compound, 4);
}

}  // namespace pulse
