// VADER's rules (Hutto & Gilbert 2014, section "Heuristics"), written from the
// paper and checked against the reference implementation's output
// (tests/data/vader_expected.tsv). Where the reference behaves in a way the
// paper does not describe (which code points count as spaces, how the "but"
// rule finds the valence it rescales, ...) this file does what the reference
// does, because the scores must be equal; those places say so.
//
// Speed: a text is read once, byte by byte, to find its words and what each
// holds (capitals, lower-case letters, an apostrophe, "!" or "?", non-ASCII
// characters); each word is then looked up once, lower-cased eight bytes at
// a time (core/word_table.h), and the rules read small per-word records.
// Only words with non-ASCII characters take slower paths, and only texts with
// emoji are copied.
#include "core/vader.h"

#include <algorithm>
#include <array>
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
#include "core/word_table.h"

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
constexpr uint32_t kKelvinSign = 0x212A;  // the only non-ASCII character Python lowers to ASCII ("k")

// The code point at p (p < end) and its length in bytes; a byte that does not
// start a well-formed sequence is one character of its own (kInvalid).
uint32_t decode(const char* p, const char* end, std::size_t* len) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(p[k]); };
  unsigned char c = b(0);
  *len = 1;
  if (c < 0x80) return c;
  int n;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; min = 0x10000; }
  else return kInvalid;
  for (int k = 1; k <= n; ++k) {
    if (p + k >= end || (b(k) & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  *len = static_cast<std::size_t>(n) + 1;
  return cp;
}

// What Python's str.split() splits on (str.isspace), which the reference
// uses, beyond ASCII.
bool is_non_ascii_space(uint32_t cp) {
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// What the word splitter notes about a character; a word's flags are those
// of its characters or'ed together.
enum CharFlag : unsigned {
  kSpaceChar = 1u << 0,  // str.isspace(): ends a word
  kPunct = 1u << 1,      // ASCII punctuation (string.punctuation), trimmed from word edges
  kUpperCase = 1u << 2,  // an upper-case letter (for str.isupper())
  kLowerCase = 1u << 3,  // a lower-case or title-case letter
  kQuote = 1u << 4,      // "'" (for "n't")
  kMark = 1u << 5,       // "!" or "?" (punctuation emphasis)
  kNonAscii = 1u << 6,   // not ASCII (in the byte table: a byte of 0x80 or above)
  kKelvin = 1u << 7,     // KELVIN SIGN, which lower-cases to ASCII
  kEmoji = 1u << 8,      // one of the emoji lexicon's code points
};

// The flags of each byte; those of 0x80 and above (kNonAscii) are found by
// decoding the character they start.
constexpr std::array<uint8_t, 256> kByteFlags = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    unsigned f = 0;
    if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)) f |= kSpaceChar;
    if ((c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E))
      f |= kPunct;
    if (c >= 'A' && c <= 'Z') f |= kUpperCase;
    if (c >= 'a' && c <= 'z') f |= kLowerCase;
    if (c == '\'') f |= kQuote;
    if (c == '!' || c == '?') f |= kMark;
    if (c >= 0x80) f |= kNonAscii;
    t[c] = static_cast<uint8_t>(f);
  }
  return t;
}();

bool is_punct(char c) { return kByteFlags[static_cast<unsigned char>(c)] & kPunct; }

// What each block of 256 code points may hold beyond letters without case:
// most non-ASCII text is Hangul, kana or CJK, whose blocks hold none of
// these, and a character there needs no other look-up.
enum BlockFlag : uint8_t {
  kBlockSpace = 1u << 0,  // a character str.isspace() is true for
  kBlockCased = 1u << 1,  // an upper-, lower- or title-case character
  kBlockEmoji = 1u << 2,  // a code point of the emoji lexicon
};
constexpr uint32_t kCodePointBlocks = 0x110000 / 256;

const std::vector<uint8_t>& block_flags() {
  static const std::vector<uint8_t> t = [] {
    std::vector<uint8_t> b(kCodePointBlocks, 0);
    for (uint32_t cp : {0x85u, 0xA0u, 0x1680u, 0x2000u, 0x2028u, 0x202Fu, 0x205Fu, 0x3000u}) b[cp / 256] |= kBlockSpace;
    for (const CodePointRange& r : kUpperRanges)
      for (uint32_t k = r.first / 256; k <= r.last / 256; ++k) b[k] |= kBlockCased;
    for (const CodePointRange& r : kLowerOrTitleRanges)
      for (uint32_t k = r.first / 256; k <= r.last / 256; ++k) b[k] |= kBlockCased;
    for (std::size_t i = 0; i < vader_data::kEmojiSize; ++i) b[vader_data::kEmoji[i].code_point / 256] |= kBlockEmoji;
    return b;
  }();
  return t;
}

const vader_data::EmojiEntry* find_emoji(uint32_t cp) {
  if (!(block_flags()[cp / 256] & kBlockEmoji)) return nullptr;
  const vader_data::EmojiEntry* end = vader_data::kEmoji + vader_data::kEmojiSize;
  const vader_data::EmojiEntry* e = std::lower_bound(
      vader_data::kEmoji, end, cp, [](const vader_data::EmojiEntry& x, uint32_t c) { return x.code_point < c; });
  return e != end && e->code_point == cp ? e : nullptr;
}

// The flags of the non-ASCII character at p and its length.
unsigned non_ascii_flags(const char* p, const char* end, std::size_t* len) {
  const uint32_t cp = decode(p, end, len);
  const uint8_t block = block_flags()[cp / 256];
  if (!block) return kNonAscii;
  if ((block & kBlockSpace) && is_non_ascii_space(cp)) return kSpaceChar;
  if (cp == kKelvinSign) return kKelvin | kUpperCase;
  unsigned f = kNonAscii;
  if (block & kBlockCased) {
    // As Python's str.isupper() sees it: lower or title case rules the
    // word out; an upper-case letter is needed.
    if (in_ranges(kLowerOrTitleRanges, cp)) f |= kLowerCase;
    else if (in_ranges(kUpperRanges, cp)) f |= kUpperCase;
  }
  if ((block & kBlockEmoji) && find_emoji(cp)) f |= kEmoji;
  return f;
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

// What the rules know about a word (a Word's flags).
enum WordFlag : uint8_t {
  kInLexicon = 1u << 0,  // has a lexicon valence
  kIsDegree = 1u << 1,   // a booster or dampener
  kNegates = 1u << 2,    // a negation word, or one with "n't"
  kAllCaps = 1u << 3,    // Python's str.isupper() of the word as written
};

// A listed word's data (a Word points at it).
struct Entry {
  double valence = 0;  // lexicon valence
  double degree = 0;   // booster (+) or dampener (-) intensity
  uint8_t flags = 0;   // kInLexicon, kIsDegree, kNegates
  WordId id = kOther;
};

// Every listed word (lexicon, degree words, negations, the words the rules
// name), lower case, to its Entry, from one look-up.
class Dictionary {
 public:
  Dictionary() {
    std::unordered_map<std::string_view, uint32_t> index;
    auto add = [&](std::string_view word) -> Entry& {
      auto [it, added] = index.emplace(word, static_cast<uint32_t>(words_.size()));
      if (added) {
        words_.push_back(word);
        entries_.emplace_back();
      }
      return entries_[it->second];
    };
    for (std::size_t i = 0; i < vader_data::kLexiconSize; ++i) {
      Entry& e = add(std::string_view(vader_data::kLexicon[i].token, vader_data::kLexicon[i].length));
      e.flags |= kInLexicon;
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
      e.flags |= kIsDegree;
      e.degree = kBoost;
    }
    for (const char* w : {"almost", "barely", "hardly", "kinda", "kindof", "kind-of", "less", "little", "marginal",
                          "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight",
                          "slightly", "somewhat", "sorta", "sortof", "sort-of"}) {
      Entry& e = add(w);
      e.flags |= kIsDegree;
      e.degree = kDampen;
    }
    for (const char* w : {"aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "ain't",
                          "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't", "dont", "hadnt", "hasnt",
                          "havent", "isnt", "mightnt", "mustnt", "neither", "don't", "hadn't", "hasn't", "haven't",
                          "isn't", "mightn't", "mustn't", "neednt", "needn't", "never", "none", "nope", "nor",
                          "not", "nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
                          "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't", "without", "wont",
                          "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite"})
      add(w).flags |= kNegates;
    for (int id = 1; id < static_cast<int>(sizeof(kWordNames) / sizeof(kWordNames[0])); ++id)
      add(kWordNames[id]).id = static_cast<WordId>(id);
    table_ = WordTable(words_);
    none_ = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();  // for words in no list
  }

  // The entry of a word's key, or none().
  uint32_t find(const WordKey& key) const {
    uint32_t i = table_.find(key);
    return i == WordTable::kNotFound ? none_ : i;
  }
  uint32_t none() const { return none_; }
  const Entry& entry(uint32_t i) const { return entries_[i]; }

 private:
  std::vector<std::string_view> words_;  // by entry index (the lists are static)
  std::vector<Entry> entries_;
  WordTable table_{{}};
  uint32_t none_ = 0;
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

// The words that start a phrase of either list, one bit per WordId.
constexpr uint64_t kPhraseStarts = [] {
  uint64_t bits = 0;
  for (const Phrase& p : kPhrases) bits |= uint64_t{1} << p.words[0];
  for (const Phrase& p : kTwoWordDampeners) bits |= uint64_t{1} << p.words[0];
  return bits;
}();
static_assert(sizeof(kWordNames) / sizeof(kWordNames[0]) <= 64, "kPhraseStarts has a bit per WordId");

// A word of the text as the rules see it.
struct Word {
  uint32_t entry;  // in the Dictionary (its none() for a word in no list)
  uint8_t flags;   // WordFlag
  WordId id;
};

// A text's words and what the rules need to know of them as a whole.
struct TextWords {
  std::vector<Word> words;
  std::vector<uint32_t> rated;  // the lexicon words that are not degree words, in order
  std::size_t all_caps = 0;     // words with kAllCaps
  std::size_t first_but = SIZE_MAX;  // the first "but", if any
  std::size_t bangs = 0;        // "!" in the text
  std::size_t questions = 0;    // "?" in the text

  void clear() {
    words.clear();
    rated.clear();
    all_caps = bangs = questions = 0;
    first_but = SIZE_MAX;
  }
};

// A word's valence, for words whose valence is not 0.
struct Valence {
  std::size_t pos;
  double value;
};

// The rules over one text's words.
class Scorer {
 public:
  explicit Scorer(const TextWords& t) : dict_(dictionary()), t_(t), w_(t.words), n_(t.words.size()) {}

  bool is(std::size_t i, WordId id) const { return w_[i].id == id; }
  bool has(std::size_t i, WordFlag f) const { return w_[i].flags & f; }

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
    if (!has(j, kIsDegree)) return 0.0;
    const double d = dict_.entry(w_[j].entry).degree;
    double s = v < 0 ? -d : d;
    if (has(j, kAllCaps) && cap_diff_) s += v > 0 ? kCapsBoost : -kCapsBoost;
    return s;
  }

  bool so_or_this(std::size_t j) const { return is(j, kSo) || is(j, kThis); }

  // Negation by the word `distance` + 1 before word i, with the reference's
  // special cases: "never so/this" intensifies, "without doubt" is no negation.
  double negate(double v, int distance, std::size_t i) const {
    if (distance == 0) {
      if (has(i - 1, kNegates)) v *= kNegation;
    } else if (distance == 1) {
      if (is(i - 2, kNever) && so_or_this(i - 1)) v *= 1.25;
      else if (is(i - 2, kWithout) && is(i - 1, kDoubt)) {}
      else if (has(i - 2, kNegates)) v *= kNegation;
    } else {
      // As in the reference: "so" or "this" right before the word intensifies
      // even without "never" three words back.
      if ((is(i - 3, kNever) && so_or_this(i - 2)) || so_or_this(i - 1)) v *= 1.25;
      else if (is(i - 3, kWithout) && (is(i - 2, kDoubt) || is(i - 1, kDoubt))) {}
      else if (has(i - 3, kNegates)) v *= kNegation;
    }
    return v;
  }

  // Idioms around word i (i >= 3): a phrase's valence replaces the word's;
  // a two-word dampener among the three words before it lowers it.
  double idioms(double v, std::size_t i) const {
    // Every phrase looked for starts at one of words i - 3 .. i.
    if (!(kPhraseStarts >> w_[i - 3].id & 1) && !(kPhraseStarts >> w_[i - 2].id & 1) &&
        !(kPhraseStarts >> w_[i - 1].id & 1) && !(kPhraseStarts >> w_[i].id & 1))
      return v;
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
    const double base = dict_.entry(w_[i].entry).valence;
    double v = base;
    // "no" before another lexicon word negates that word instead of counting.
    if (is(i, kNo) && i + 1 < n_ && has(i + 1, kInLexicon)) v = 0.0;
    if ((i > 0 && is(i - 1, kNo)) || (i > 1 && is(i - 2, kNo)) ||
        (i > 2 && is(i - 3, kNo) && (is(i - 1, kOr) || is(i - 1, kNor))))
      v = base * kNegation;
    if (has(i, kAllCaps) && cap_diff_) v += v > 0 ? kCapsBoost : -kCapsBoost;
    // The three words before: degree words fade with distance; negations.
    for (int d = 0; d < 3; ++d) {
      if (i <= static_cast<std::size_t>(d) || has(i - d - 1, kInLexicon)) continue;
      double s = degree(i - d - 1, v);
      if (d == 1 && s != 0) s *= 0.95;
      if (d == 2 && s != 0) s *= 0.9;
      v += s;
      v = negate(v, d, i);
      if (d == 2) v = idioms(v, i);
    }
    // "least" negates, except in "at least" and "very least".
    if (i > 1 && !has(i - 1, kInLexicon) && is(i - 1, kLeast)) {
      if (!is(i - 2, kAt) && !is(i - 2, kVery)) v *= kNegation;
    } else if (i > 0 && !has(i - 1, kInLexicon) && is(i - 1, kLeast)) {
      v *= kNegation;
    }
    return v;
  }

  // Fills out with the words' valences, in word order, leaving out zeros.
  void run(std::vector<Valence>& out) {
    cap_diff_ = t_.all_caps > 0 && t_.all_caps < n_;
    out.clear();
    std::size_t turn = 0;
    for (uint32_t i : t_.rated) {
      if ((++turn & (kInterruptCheckInterval - 1)) == 0) check_interrupts();
      if (i + 1 < n_ && is(i, kKind) && is(i + 1, kOf)) continue;
      const double v = valence(i);
      if (v != 0) out.push_back(Valence{i, v});
    }
    if (t_.first_but != SIZE_MAX) contrast(out, t_.first_but);
  }

  // "but": valences before the first "but" are halved, those after it grow by
  // half. The reference rescales, for each position in turn, the FIRST
  // position holding an equal value (so with repeated values one position can
  // be rescaled twice and another not at all); this does the same. Zeros stay
  // zero wherever they are rescaled, so only non-zero values are followed.
  static void contrast(std::vector<Valence>& s, std::size_t bi) {
    if (s.size() <= kFewValences) contrast_few(s, bi);
    else contrast_many(s, bi);
  }

 private:
  // Up to this many non-zero valences, contrast() searches them directly;
  // beyond, it keeps each value's positions in a heap.
  static constexpr std::size_t kFewValences = 64;

  static double rescaled(std::size_t j, std::size_t bi, double v) { return j < bi ? v * 0.5 : v * 1.5; }

  static void contrast_few(std::vector<Valence>& s, std::size_t bi) {
    // Position k's value is read when its turn comes (an earlier turn may
    // have changed it); the first position holding it is rescaled.
    for (std::size_t k = 0; k < s.size(); ++k) {
      const double v = s[k].value;
      std::size_t j = 0;
      while (s[j].value != v) ++j;
      if (s[j].pos == bi) continue;
      s[j].value = rescaled(s[j].pos, bi, v);
    }
  }

  static void contrast_many(std::vector<Valence>& s, std::size_t bi) {
    using MinHeap = std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<std::size_t>>;
    std::unordered_map<double, MinHeap> first;  // value -> indexes in s holding it
    for (std::size_t k = 0; k < s.size(); ++k) first[s[k].value].push(k);
    for (std::size_t k = 0; k < s.size(); ++k) {
      const double v = s[k].value;
      MinHeap& at = first[v];
      const std::size_t j = at.top();
      if (s[j].pos == bi) continue;
      const double nv = rescaled(s[j].pos, bi, v);
      at.pop();
      first[nv].push(j);
      s[j].value = nv;
    }
  }

  const Dictionary& dict_;
  const TextWords& t_;
  const std::vector<Word>& w_;
  std::size_t n_;
  bool cap_diff_ = false;
};

// More than two characters (the reference keeps shorter trimmed words as
// written: they are likely emoticons). [b, e) holds non-ASCII characters.
bool longer_than_two(const char* b, const char* e) {
  std::size_t n = 0;
  for (const char* p = b; p < e; ++n) {
    if (n == 2) return true;
    std::size_t len = 1;
    if (static_cast<unsigned char>(*p) >= 0x80) decode(p, e, &len);
    p += len;
  }
  return false;
}

// Whether the word, lower-cased, contains "n't".
bool has_nt(std::string_view w) {
  for (std::size_t p = w.find('\''); p != std::string_view::npos; p = w.find('\'', p + 1))
    if (p > 0 && p + 1 < w.size() && (w[p - 1] | 0x20) == 'n' && (w[p + 1] | 0x20) == 't') return true;
  return false;
}

// Finds a text's words and what the rules need of each (TextWords).
class WordSplitter {
 public:
  // Starts with no words.
  explicit WordSplitter(TextWords& out) : dict_(dictionary()), out_(out) { out_.clear(); }

  // Adds the words of text, split on white space as str.split() does. With
  // stop_at_emoji, stops at the first emoji and returns its offset (the
  // caller replaces the emoji from there on by their descriptions and splits
  // that too); otherwise, or without emoji, returns text.size(). A
  // description is always set apart from what precedes it, so an emoji ends
  // the word before it and no word is cut in two.
  std::size_t split(std::string_view text, bool stop_at_emoji) {
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
      // Each turn reads one character and its flags, then either skips white
      // space or takes one word.
      std::size_t len = 1;
      unsigned f = kByteFlags[static_cast<unsigned char>(*p)];
      if (f & kNonAscii) {
        f = non_ascii_flags(p, end, &len);
        if ((f & kEmoji) && stop_at_emoji) break;
      }
      if (f & kSpaceChar) {
        p += len;
        continue;
      }
      const char* const start = p;
      unsigned flags = 0;
      for (;;) {
        flags |= f;
        p += len;
        if (p == end) break;
        len = 1;
        f = kByteFlags[static_cast<unsigned char>(*p)];
        if (f & kNonAscii) {
          f = non_ascii_flags(p, end, &len);
          if ((f & kEmoji) && stop_at_emoji) break;
        }
        if (f & kSpaceChar) break;
      }
      add(start, p, flags);
      if ((f & kEmoji) && stop_at_emoji && p < end) break;
    }
    return static_cast<std::size_t>(p - text.data());
  }

 private:
  // The word [start, end) with the or of its characters' flags. ASCII
  // punctuation is trimmed from both ends unless that leaves two characters
  // or fewer (an emoticon such as ":)"). Trimming changes neither whether
  // the word is all capitals nor whether it holds "n't" (punctuation has no
  // case, and "n't" is never cut: n and t are no punctuation), so both are
  // taken from the word as written.
  void add(const char* start, const char* end, unsigned flags) {
    const char* b = start;
    const char* e = end;
    if (flags & kPunct) {
      while (b < e && is_punct(*b)) ++b;
      while (e > b && is_punct(e[-1])) --e;
      const bool ascii = !(flags & (kNonAscii | kKelvin));
      if (ascii ? e - b <= 2 : !longer_than_two(b, e)) {
        b = start;
        e = end;
      }
      if (flags & kMark) {
        for (const char* p = start; p < end; ++p) {
          out_.bangs += *p == '!';
          out_.questions += *p == '?';
        }
      }
    }
    uint8_t own = 0;
    if ((flags & kUpperCase) && !(flags & kLowerCase)) own |= kAllCaps;
    if ((flags & kQuote) && has_nt(std::string_view(start, static_cast<std::size_t>(end - start)))) own |= kNegates;
    // The lists hold lower-case ASCII: a word with another non-ASCII
    // character than KELVIN SIGN cannot be in them.
    uint32_t entry = dict_.none();
    WordKey key;
    if (!(flags & (kNonAscii | kKelvin))) {
      if (make_word_key(b, static_cast<std::size_t>(e - b), &key)) entry = dict_.find(key);
    } else if (!(flags & kNonAscii)) {
      if (kelvin_key(b, e, &key)) entry = dict_.find(key);
    }
    const Entry& x = dict_.entry(entry);
    const uint8_t word_flags = own | x.flags;
    const std::size_t i = out_.words.size();
    if ((i & (kInterruptCheckInterval - 1)) == 0 && i > 0) check_interrupts();
    out_.words.push_back(Word{entry, word_flags, x.id});
    out_.all_caps += (word_flags & kAllCaps) != 0;
    if ((word_flags & (kInLexicon | kIsDegree)) == kInLexicon) out_.rated.push_back(static_cast<uint32_t>(i));
    if (x.id == kBut && out_.first_but == SIZE_MAX) out_.first_but = i;
  }

  // The key of a word of ASCII and KELVIN SIGNs (which lower to "k").
  static bool kelvin_key(const char* b, const char* e, WordKey* key) {
    char buf[WordKey::kMaxBytes];
    std::size_t n = 0;
    for (const char* p = b; p < e; ++n) {
      if (n == WordKey::kMaxBytes) return false;
      if (static_cast<unsigned char>(*p) < 0x80) {
        buf[n] = *p++;
      } else {
        buf[n] = 'k';  // the 3 bytes of U+212A
        p += 3;
      }
    }
    return make_word_key(buf, n, key);
  }

  const Dictionary& dict_;
  TextWords& out_;
};

// The text with each emoji code point replaced by its description (sequences
// such as flags or skin tones are looked up piecewise, as by the reference).
// A description is set apart from what precedes it unless that is a space
// (or the start of the text), and runs into what follows.
void replace_emoji(std::string_view input, std::string& out) {
  out.clear();
  const char* const end = input.data() + input.size();
  const char* copied = input.data();  // input before this is in out
  for (const char* p = input.data(); p < end;) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    std::size_t len;
    const uint32_t cp = decode(p, end, &len);
    if (const vader_data::EmojiEntry* e = find_emoji(cp)) {
      // What precedes: a character of the text, another description, or
      // nothing.
      const bool after_space = p > copied ? p[-1] == ' ' : p == input.data();
      out.append(copied, p);
      if (!after_space) out.push_back(' ');
      out.append(e->description, e->length);
      copied = p + len;
    }
    p += len;
  }
  out.append(copied, end);
}

// Buffers reused from call to call (one scorer per thread); large ones are
// given back so a huge text does not keep its memory.
struct Scratch {
  std::string replaced;
  TextWords text;
  std::vector<Valence> valences;
  void trim() {
    if (replaced.capacity() > (1u << 16)) std::string().swap(replaced);
    if (text.words.capacity() > (1u << 12)) std::vector<Word>().swap(text.words);
    if (text.rated.capacity() > (1u << 12)) std::vector<uint32_t>().swap(text.rated);
    if (valences.capacity() > (1u << 12)) std::vector<Valence>().swap(valences);
  }
};

}  // namespace

SentimentScores sentiment_scores_exact(std::string_view input) {
  thread_local Scratch scratch;
  struct Trim {
    Scratch& s;
    ~Trim() { s.trim(); }
  } trim{scratch};

  // Words: split on white space; emoji become their descriptions first (from
  // the first emoji on: the words before it are the same either way).
  TextWords& t = scratch.text;
  WordSplitter splitter(t);
  const std::size_t emoji = splitter.split(input, true);
  if (emoji < input.size()) {
    replace_emoji(input.substr(emoji), scratch.replaced);
    splitter.split(scratch.replaced, false);
  }

  SentimentScores out;
  const std::size_t n = t.words.size();
  if (n == 0) return out;

  std::vector<Valence>& s = scratch.valences;
  if (t.rated.empty()) s.clear();
  else Scorer(t).run(s);

  // Punctuation emphasis from the whole text (descriptions included).
  double emphasis = static_cast<double>(std::min<std::size_t>(t.bangs, 4)) * kExclamation;
  if (t.questions > 1) emphasis += t.questions <= 3 ? static_cast<double>(t.questions) * kQuestion : kManyQuestions;

  // Words without valence add 0 (which changes no sum) and count as neutral.
  double sum = 0.0;
  for (const Valence& x : s) sum += x.value;
  if (sum > 0) sum += emphasis;
  else if (sum < 0) sum -= emphasis;
  double compound = sum / std::sqrt(sum * sum + kAlpha);
  out.compound = std::clamp(compound, -1.0, 1.0);

  // Each word weighs 1 plus its valence's magnitude in its own class.
  double pos = 0.0, neg = 0.0;
  for (const Valence& x : s) {
    if (x.value > 0) pos += x.value + 1;
    else neg += x.value - 1;
  }
  const double neu = static_cast<double>(n - s.size());
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
