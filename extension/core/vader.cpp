// VADER's rules (Hutto & Gilbert 2014, section "Heuristics"), written from the
// paper and checked against the reference implementation's output
// (tests/data/vader_expected.tsv). Where the reference behaves in a way the
// paper does not describe (which code points count as spaces, how the "but"
// rule finds the valence it rescales, ...) this file does what the reference
// does, because the scores must be equal; those places say so.
//
// Speed (pulse.sentiment scores a tweet in about a third of a microsecond,
// bench/README.md): a text's bytes are classified 64 at a time into bitmaps
// (core/byte_classes.h), whence an ASCII word's bounds, trimmed punctuation,
// case and marks come without a loop over its bytes; the same pass writes a
// lower-cased copy, whence the word's key is loaded and looked up in a
// perfect-hash table (core/word_table.h) whose value is all the rules need
// of the word (a four-byte Word). Words with non-ASCII characters are read
// character by character; emoji descriptions are split once for all texts;
// only the valences that are not 0 are kept.
#include "core/vader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <queue>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_classes.h"
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
  const unsigned char c = b(0);
  *len = 1;
  if (c < 0x80) return c;
  // Continuation bytes after the lead byte: C2-DF one, E0-EF two, F0-F4 three.
  const std::size_t n = c >= 0xF0 ? (c <= 0xF4 ? 3 : 0) : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
  if (n == 0 || static_cast<std::size_t>(end - p) <= n) return kInvalid;
  uint32_t cp = c & (0x7Fu >> (n + 1));
  unsigned bad = 0;
  for (std::size_t k = 1; k <= n; ++k) {  // (no early exit: any bad byte makes kInvalid)
    bad |= (b(k) & 0xC0) ^ 0x80;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  static constexpr uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
  if (bad || cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  *len = n + 1;
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
  kNonAscii = 1u << 5,   // not ASCII (in the byte table: a byte of 0x80 or above)
  kKelvin = 1u << 6,     // KELVIN SIGN, which lower-cases to ASCII
  kEmoji = 1u << 7,      // one of the emoji lexicon's code points
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

// The emoji lexicon's entry for a code point, if any: below 0x20000 (all
// but a few), a bitmap of the emoji code points, with the number of emoji
// before each 64 of them, answers without a search.
class EmojiIndex {
 public:
  EmojiIndex() : bits_(kEnd / 64, 0), before_(kEnd / 64, 0) {
    for (std::size_t i = 0; i < vader_data::kEmojiSize; ++i) {
      const uint32_t c = vader_data::kEmoji[i].code_point;
      if (c < kEnd) bits_[c / 64] |= uint64_t{1} << (c % 64);
    }
    uint32_t n = 0;
    for (std::size_t k = 0; k < bits_.size(); ++k) {
      before_[k] = static_cast<uint16_t>(n);
      n += bit_count(bits_[k]);
    }
    if (n > UINT16_MAX) throw std::logic_error("VADER: too many emoji");
  }

  const vader_data::EmojiEntry* find(uint32_t cp) const {
    if (cp < kEnd) {
      const uint64_t word = bits_[cp / 64];
      if (!(word >> (cp % 64) & 1)) return nullptr;
      // (kEmoji is sorted by code point and starts with those below kEnd)
      return vader_data::kEmoji + before_[cp / 64] + bit_count(word & ((uint64_t{1} << (cp % 64)) - 1));
    }
    const vader_data::EmojiEntry* end = vader_data::kEmoji + vader_data::kEmojiSize;
    const vader_data::EmojiEntry* e = std::lower_bound(
        vader_data::kEmoji, end, cp, [](const vader_data::EmojiEntry& x, uint32_t c) { return x.code_point < c; });
    return e != end && e->code_point == cp ? e : nullptr;
  }

 private:
  static constexpr uint32_t kEnd = 0x20000;

  std::vector<uint64_t> bits_;
  std::vector<uint16_t> before_;
};

const vader_data::EmojiEntry* find_emoji(uint32_t cp) {
  static const EmojiIndex index;
  return index.find(cp);
}

// The flags of the non-ASCII character at p and its length; *emoji is the
// emoji lexicon's entry when it is one (kEmoji).
unsigned non_ascii_flags(const char* p, const char* end, std::size_t* len, const vader_data::EmojiEntry** emoji) {
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
  if (block & kBlockEmoji) {
    *emoji = find_emoji(cp);
    if (*emoji) f |= kEmoji;
  }
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
  kDampener = 1u << 4,   // (a degree word that) dampens: kDampen, not kBoost
  kContext = 1u << 5,    // a degree word, a negation or a word some rule names: its
                         // neighbours' valences may depend on it
};

// A word of the text as the rules see it: four bytes, which the dictionary
// keeps for each listed word, so that a look-up is all there is to read.
struct Word {
  int8_t tenths;  // lexicon valence, in tenths (every valence of the lexicon has one decimal)
  uint8_t flags;  // WordFlag
  WordId id;
  uint8_t unused;
};
static_assert(sizeof(Word) == 4, "a Word is packed into the word table's 32-bit values");

// A valence in tenths as a double: n / 10.0, the double nearest to the
// decimal, as Python reads "n/10" from the lexicon.
constexpr std::array<double, 256> kTenths = [] {
  std::array<double, 256> t{};
  for (int n = -128; n < 128; ++n) t[static_cast<std::size_t>(n + 128)] = n / 10.0;
  return t;
}();
double valence_of(const Word& w) { return kTenths[static_cast<std::size_t>(w.tenths + 128)]; }
double degree_of(const Word& w) { return w.flags & kDampener ? kDampen : kBoost; }

// Every listed word (lexicon, degree words, negations, the words the rules
// name), lower case, to its Word, from one look-up.
class Dictionary {
 public:
  Dictionary() {
    std::vector<std::string_view> words;
    std::vector<Word> of;
    std::unordered_map<std::string_view, std::size_t> index;
    auto add = [&](std::string_view word) -> Word& {
      auto [it, added] = index.emplace(word, words.size());
      if (added) {
        words.push_back(word);
        of.push_back(Word{});
      }
      return of[it->second];
    };
    for (std::size_t i = 0; i < vader_data::kLexiconSize; ++i) {
      Word& w = add(std::string_view(vader_data::kLexicon[i].token, vader_data::kLexicon[i].length));
      const double v = vader_data::kLexicon[i].valence;
      const long tenths = std::lround(v * 10);
      if (tenths < -128 || tenths > 127 || kTenths[static_cast<std::size_t>(tenths + 128)] != v)
        throw std::logic_error("VADER: a lexicon valence is not a number of tenths");
      w.flags |= kInLexicon;
      w.tenths = static_cast<int8_t>(tenths);
    }
    for (const char* w : {"absolutely", "amazingly", "awfully", "completely", "considerable", "considerably",
                          "decidedly", "deeply", "effing", "enormous", "enormously", "entirely", "especially",
                          "exceptional", "exceptionally", "extreme", "extremely", "fabulously", "flipping",
                          "flippin", "frackin", "fracking", "fricking", "frickin", "frigging", "friggin", "fully",
                          "fuckin", "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely",
                          "incredible", "incredibly", "intensely", "major", "majorly", "more", "most",
                          "particularly", "purely", "quite", "really", "remarkably", "so", "substantially",
                          "thoroughly", "total", "totally", "tremendous", "tremendously", "uber", "unbelievably",
                          "unusually", "utter", "utterly", "very"})
      add(w).flags |= kIsDegree;
    for (const char* w : {"almost", "barely", "hardly", "kinda", "kindof", "kind-of", "less", "little", "marginal",
                          "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight",
                          "slightly", "somewhat", "sorta", "sortof", "sort-of"})
      add(w).flags |= kIsDegree | kDampener;
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
    std::vector<uint32_t> packed;
    for (Word& w : of) {
      if ((w.flags & (kIsDegree | kNegates)) || w.id != kOther) w.flags |= kContext;
      packed.push_back(pack(w));
    }
    table_ = WordTable(words, packed);
  }

  // The Word of a key (lower case), Word{} for a word in no list.
  Word find(const WordKey& key) const { return unpack(table_.find(key, 0)); }

 private:
  static uint32_t pack(const Word& w) {
    uint32_t v;
    std::memcpy(&v, &w, sizeof v);
    return v;  // (never WordTable::kNotFound: ids are small)
  }
  static Word unpack(uint32_t v) {
    Word w;
    std::memcpy(&w, &v, sizeof w);
    return w;
  }

  WordTable table_{{}, {}};
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

// The first two words of a list's phrases: bit b of next[a] for "a b ...",
// so that most places are ruled out without going through the list.
struct PhrasePairs {
  uint64_t next[64];
};
static_assert(sizeof(kWordNames) / sizeof(kWordNames[0]) <= 64, "PhrasePairs has a bit per WordId");

template <std::size_t N>
constexpr PhrasePairs pairs_of(const Phrase (&list)[N]) {
  PhrasePairs pairs{};
  for (const Phrase& p : list) pairs.next[p.words[0]] |= uint64_t{1} << p.words[1];
  return pairs;
}
constexpr PhrasePairs kPhrasePairs = pairs_of(kPhrases);
constexpr PhrasePairs kDampenerPairs = pairs_of(kTwoWordDampeners);
constexpr PhrasePairs kAnyPairs = [] {
  PhrasePairs pairs{};
  for (int a = 0; a < 64; ++a) pairs.next[a] = kPhrasePairs.next[a] | kDampenerPairs.next[a];
  return pairs;
}();


// A text's words and what the rules need to know of them as a whole.
struct TextWords {
  std::vector<Word> words;
  std::size_t bangs = 0;        // "!" in the text
  std::size_t questions = 0;    // "?" in the text
  std::size_t all_caps = 0;     // words with kAllCaps
  std::size_t first_but = SIZE_MAX;  // the first "but", if any
  // The lexicon words that are not degree words, in order: the first
  // rated_count of rated (which has room for every word, so that push()
  // need not branch on the word).
  std::vector<uint32_t> rated;
  std::size_t rated_count = 0;

  void clear() {
    words.clear();
    bangs = questions = all_caps = rated_count = 0;
    first_but = SIZE_MAX;
  }

  void push(const Word& w) {
    const std::size_t i = words.size();
    words.push_back(w);
    if (rated.size() < words.size()) rated.resize(words.capacity());
    rated[rated_count] = static_cast<uint32_t>(i);
    rated_count += (w.flags & (kInLexicon | kIsDegree)) == kInLexicon;
    all_caps += (w.flags & kAllCaps) != 0;
    if (w.id == kBut && first_but == SIZE_MAX) first_but = i;
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
  explicit Scorer(const TextWords& t) : t_(t), w_(t.words), n_(t.words.size()) {}

  bool is(std::size_t i, WordId id) const { return w_[i].id == id; }
  bool has(std::size_t i, WordFlag f) const { return w_[i].flags & f; }

  bool phrase_at(const Phrase& p, std::size_t first) const {
    for (int k = 0; k < p.size; ++k)
      if (first + k >= n_ || !is(first + k, p.words[k])) return false;
    return true;
  }
  // Whether words first and first + 1 begin a phrase of the list.
  bool starts(const PhrasePairs& pairs, std::size_t first) const {
    return first + 1 < n_ && (pairs.next[w_[first].id] >> w_[first + 1].id & 1);
  }
  // The phrase of the list spelled by words [first, first + size), if any.
  template <std::size_t N>
  const Phrase* phrase(const Phrase (&list)[N], const PhrasePairs& pairs, std::size_t first, int size) const {
    if (!starts(pairs, first)) return nullptr;
    for (const Phrase& p : list)
      if (p.size == size && phrase_at(p, first)) return &p;
    return nullptr;
  }

  // A booster's or dampener's contribution to a lexicon word of valence v.
  double degree(std::size_t j, double v) const {
    if (!has(j, kIsDegree)) return 0.0;
    const double d = degree_of(w_[j]);
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
    if (!starts(kAnyPairs, i - 3) && !starts(kAnyPairs, i - 2) && !starts(kAnyPairs, i - 1) && !starts(kAnyPairs, i))
      return v;
    // Checked in this order; the first found wins.
    const struct { std::size_t first; int size; } before[] = {{i - 1, 2}, {i - 2, 3}, {i - 2, 2}, {i - 3, 3}, {i - 3, 2}};
    for (const auto& s : before)
      if (const Phrase* p = phrase(kPhrases, kPhrasePairs, s.first, s.size)) { v = p->valence; break; }
    // Phrases starting at the word override that.
    if (n_ - 1 > i)
      if (const Phrase* p = phrase(kPhrases, kPhrasePairs, i, 2)) v = p->valence;
    if (n_ - 1 > i + 1)
      if (const Phrase* p = phrase(kPhrases, kPhrasePairs, i, 3)) v = p->valence;
    for (const auto& s : {std::pair<std::size_t, int>{i - 3, 2}, {i - 2, 2}})
      if (const Phrase* p = phrase(kTwoWordDampeners, kDampenerPairs, s.first, s.second)) v += p->valence;
    return v;
  }

  // The valence of lexicon word i after every rule that looks at its
  // neighbours.
  double valence(std::size_t i) const {
    const double base = valence_of(w_[i]);
    double v = base;
    // Most lexicon words have none of the words the rules look for around
    // them: then only the capitals rule applies.
    const uint8_t before = (i > 0 ? w_[i - 1].flags : 0) | (i > 1 ? w_[i - 2].flags : 0) |
                           (i > 2 ? w_[i - 3].flags : 0);
    if (!(before & kContext) && w_[i].id == kOther) {
      if (has(i, kAllCaps) && cap_diff_) v += v > 0 ? kCapsBoost : -kCapsBoost;
      return v;
    }
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
    for (std::size_t k = 0; k < t_.rated_count; ++k) {
      const std::size_t i = t_.rated[k];
      if (((k + 1) & (kInterruptCheckInterval - 1)) == 0) check_interrupts();
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

// A buffer reused from text to text, grown when needed and never filled.
class ByteBuffer {
 public:
  char* get(std::size_t size) {
    if (size > capacity_) {
      capacity_ = std::max(2 * capacity_, size);
      bytes_.reset(new char[capacity_]);
    }
    return bytes_.get();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t capacity_ = 0;
};

// Each emoji's description as words, for WordSplitter: the reference puts
// the description in the emoji's place before it splits the text, and most
// emoji stand alone, so their words can be found once and for all.
class EmojiDescriptions {
 public:
  struct Words {
    uint32_t first, count;  // in words()
    uint32_t bangs, questions;
  };
  EmojiDescriptions();  // (after WordSplitter, which it uses)
  const Words& of(std::size_t emoji) const { return of_[emoji]; }  // by index in vader_data::kEmoji
  const Word* words() const { return words_.data(); }

 private:
  std::vector<Words> of_;
  std::vector<Word> words_;
};

const EmojiDescriptions& emoji_descriptions() {
  static const EmojiDescriptions d;
  return d;
}

// Finds a text's words and what the rules need of each (TextWords).
class WordSplitter {
 public:
  // Starts with no words; lower is where split() keeps the text lower-cased.
  WordSplitter(TextWords& out, ByteBuffer& lower) : dict_(dictionary()), out_(out), lower_(lower) { out_.clear(); }

  // Adds the words of text, split on white space as str.split() does. With
  // replace_emoji, an emoji stands for the words of its description (which
  // the reference puts in its place, set apart from what precedes it unless
  // that is a space: so an emoji always ends a word); when a description
  // runs into a word that follows the emoji, split() stops at that emoji and
  // returns its offset, and the caller replaces the emoji from there on
  // and splits the result without replace_emoji. Otherwise it returns
  // text.size().
  //
  // Runs of bytes between ASCII white space are found 64 bytes at a time
  // (core/byte_classes.h), with what the rules need of an ASCII word, and
  // copied lower-cased, whence ASCII words are looked up (their keys read up
  // to WordKey::kMaxBytes bytes from a word's start: the copy has room for
  // that); a run with non-ASCII bytes is read again character by character
  // (it may hold other white space, emoji, letters with case).
  std::size_t split(std::string_view text, bool replace_emoji) {
    const char* const base = text.data();
    const std::size_t size = text.size();
    char* const lower = lower_.get((size + 63) / 64 * 64 + WordKey::kMaxBytes);
    std::size_t start = SIZE_MAX;  // of a run that goes on from one block into the next
    RunClasses run{};
    for (std::size_t off = 0; off < size; off += 64) {
      if ((off & (kInterruptCheckInterval * 64 - 1)) == 0 && off > 0) check_interrupts();
      const ByteClasses c = classify_bytes(base + off, std::min<std::size_t>(64, size - off), lower + off);
      const uint64_t marks = c.bang | c.question;
      unsigned i = 0;  // the next byte of the block to look at
      if (start != SIZE_MAX) {
        const unsigned e = c.space ? static_cast<unsigned>(__builtin_ctzll(c.space)) : 64;
        run.add(c, bit_range(0, e));
        if (e == 64) continue;
        if (!take_run(base + start, base + off + e, run, replace_emoji)) return static_cast<std::size_t>(stop_ - base);
        start = SIZE_MAX;
        i = e;
      }
      // The runs that start in this block (i < 64 from here on).
      for (;;) {
        const uint64_t rest = ~c.space & ~below(i);
        if (rest == 0) break;
        const unsigned s = static_cast<unsigned>(__builtin_ctzll(rest));
        const uint64_t after = c.space & ~below(s);
        if (after == 0) {  // it goes on into the next block
          start = off + s;
          run = RunClasses{};
          run.add(c, ~below(s));
          break;
        }
        const unsigned e = static_cast<unsigned>(__builtin_ctzll(after));
        const uint64_t bits = below(e) & ~below(s);
        if (c.non_ascii & bits) {
          if (!split_run(base + off + s, base + off + e, replace_emoji)) return static_cast<std::size_t>(stop_ - base);
        } else {
          add_ascii(base + off, lower + off, c, marks, s, e);
        }
        i = e;
      }
    }
    if (start != SIZE_MAX && !take_run(base + start, base + size, run, replace_emoji))
      return static_cast<std::size_t>(stop_ - base);
    return size;
  }

 private:
  // Whether an emoji's description that ends just before q runs into a word:
  // a character at q that is neither white space nor another emoji.
  static bool runs_on(const char* q, const char* end) {
    if (q == end) return false;
    std::size_t len = 1;
    const vader_data::EmojiEntry* emoji = nullptr;
    unsigned f = kByteFlags[static_cast<unsigned char>(*q)];
    if (f & kNonAscii) f = non_ascii_flags(q, end, &len, &emoji);
    return !(f & (kSpaceChar | kEmoji));
  }

  // Adds the words of an emoji's description.
  void add_description(std::size_t emoji) {
    const EmojiDescriptions& d = emoji_descriptions();
    const EmojiDescriptions::Words& w = d.of(emoji);
    for (uint32_t k = 0; k < w.count; ++k) push(d.words()[w.first + k]);
    out_.bangs += w.bangs;
    out_.questions += w.questions;
  }

  void push(const Word& w) { out_.push(w); }

  // The bits below bit i of a bitmap, i < 64.
  static uint64_t below(unsigned i) { return (uint64_t{1} << i) - 1; }

  // Adds the ASCII word at bytes [s, e) of the block at block (lower: its
  // lower-cased copy; marks: its "!" and "?"), e < 64 (the common case: what
  // add() does, from the block's bitmaps and no loop).
  void add_ascii(const char* block, const char* lower, const ByteClasses& c, uint64_t marks, unsigned s, unsigned e) {
    const uint64_t bits = (uint64_t{1} << e) - (uint64_t{1} << s);
    // Punctuation at either end: the run of punct bits from s up, and the
    // one from e - 1 down (shifted to the top; the zeros shifted in stop
    // the count).
    const unsigned size = e - s;
    const unsigned lead = std::min<unsigned>(static_cast<unsigned>(__builtin_ctzll(~(c.punct >> s))), size);
    const unsigned trail =
        std::min<unsigned>(static_cast<unsigned>(__builtin_clzll(~(c.punct << (64 - e)))), size - lead);
    const bool trimmed = size - lead - trail > 2;
    const unsigned b = trimmed ? s + lead : s, n = trimmed ? size - lead - trail : size;
    Word w{};
    if (n <= WordKey::kMaxBytes) w = dict_.find(make_padded_word_key(lower + b, n));
    w.flags |= (((c.upper & bits) != 0) & ((c.lower & bits) == 0)) * kAllCaps;
    if ((c.quote & bits) && has_nt(std::string_view(block + s, size))) w.flags |= kNegates | kContext;
    if (marks & bits) {
      out_.bangs += bit_count(c.bang & bits);
      out_.questions += bit_count(c.question & bits);
    }
    push(w);
  }

  // What a run of bytes between ASCII white space holds, from the bitmaps of
  // the blocks it spans.
  struct RunClasses {
    unsigned flags = 0;  // CharFlag: kNonAscii, kPunct, kUpperCase, kLowerCase, kQuote
    uint32_t bangs = 0, questions = 0;
    void add(const ByteClasses& c, uint64_t run) {
      flags |= ((c.non_ascii & run) != 0) * kNonAscii | ((c.punct & run) != 0) * kPunct |
               ((c.upper & run) != 0) * kUpperCase | ((c.lower & run) != 0) * kLowerCase |
               ((c.quote & run) != 0) * kQuote;
      if ((c.bang | c.question) & run) {  // (most runs have neither)
        bangs += bit_count(c.bang & run);
        questions += bit_count(c.question & run);
      }
    }
  };

  // Adds the run [start, end) as a word, or reads it character by character
  // when it has non-ASCII bytes. False when that stopped at an emoji (at
  // stop_).
  bool take_run(const char* start, const char* end, const RunClasses& run, bool replace_emoji) {
    if (!(run.flags & kNonAscii)) {
      add(start, end, run.flags, run.bangs, run.questions);
      return true;
    }
    return split_run(start, end, replace_emoji);
  }

  // The words of a run without ASCII white space, character by character.
  bool split_run(const char* p, const char* const end, bool replace_emoji) {
    const vader_data::EmojiEntry* emoji = nullptr;
    std::size_t turn = 0;  // (a run may be long)
    // Each turn reads one character and its flags, then skips white space,
    // takes one word, or takes an emoji's description.
    while (p < end) {
      if ((++turn & (kInterruptCheckInterval - 1)) == 0) check_interrupts();
      std::size_t len = 1;
      unsigned f = kByteFlags[static_cast<unsigned char>(*p)];
      if (f & kNonAscii) f = non_ascii_flags(p, end, &len, &emoji);
      if (f & kSpaceChar) {
        p += len;
        continue;
      }
      if ((f & kEmoji) && replace_emoji) {
        if (runs_on(p + len, end)) {
          stop_ = p;
          return false;
        }
        add_description(static_cast<std::size_t>(emoji - vader_data::kEmoji));
        p += len;
        continue;
      }
      const char* const start = p;
      unsigned flags = 0;
      uint32_t bangs = 0, questions = 0;
      for (;;) {
        flags |= f;
        bangs += *p == '!';
        questions += *p == '?';
        p += len;
        if (p == end) break;
        len = 1;
        f = kByteFlags[static_cast<unsigned char>(*p)];
        if (f & kNonAscii) {
          f = non_ascii_flags(p, end, &len, &emoji);
          if ((f & kEmoji) && replace_emoji) break;
        }
        if (f & kSpaceChar) break;
      }
      add(start, p, flags, bangs, questions);
    }
    return true;
  }

  // Adds the word [start, end), given the or of its characters' flags and
  // its "!" and "?" (the general case of add_ascii()). ASCII
  // punctuation is trimmed from both ends unless that leaves two characters
  // or fewer (an emoticon such as ":)"). Trimming changes neither whether
  // the word is all capitals nor whether it holds "n't" (punctuation has no
  // case, and "n't" is never cut: n and t are no punctuation), so both are
  // taken from the word as written.
  void add(const char* start, const char* end, unsigned flags, uint32_t bangs, uint32_t questions) {
    out_.bangs += bangs;
    out_.questions += questions;
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
    }
    uint8_t own = ((flags & (kUpperCase | kLowerCase)) == kUpperCase) * kAllCaps;
    if ((flags & kQuote) && has_nt(std::string_view(start, static_cast<std::size_t>(end - start))))
      own |= kNegates | kContext;
    // The lists hold lower-case ASCII: a word with another non-ASCII
    // character than KELVIN SIGN cannot be in them.
    Word w{};
    if (!(flags & (kNonAscii | kKelvin))) {
      WordKey key;
      if (make_word_key(b, static_cast<std::size_t>(e - b), &key)) w = dict_.find(key);
    } else if (!(flags & kNonAscii)) {
      WordKey key;
      if (kelvin_key(b, e, &key)) w = dict_.find(key);
    }
    w.flags |= own;
    push(w);
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
  ByteBuffer& lower_;
  const char* stop_ = nullptr;  // where split_run() stopped
};

EmojiDescriptions::EmojiDescriptions() {
  TextWords t;
  ByteBuffer lower;
  of_.reserve(vader_data::kEmojiSize);
  for (std::size_t i = 0; i < vader_data::kEmojiSize; ++i) {
    const std::string_view description(vader_data::kEmoji[i].description, vader_data::kEmoji[i].length);
    WordSplitter(t, lower).split(description, false);
    of_.push_back(Words{static_cast<uint32_t>(words_.size()), static_cast<uint32_t>(t.words.size()),
                        static_cast<uint32_t>(t.bangs), static_cast<uint32_t>(t.questions)});
    words_.insert(words_.end(), t.words.begin(), t.words.end());
  }
}

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

// Buffers reused from text to text; large ones are given back so a huge text
// does not keep its memory.
struct Buffers {
  ByteBuffer lower;
  std::string replaced;
  TextWords text;
  std::vector<Valence> valences;
  void trim() {
    if (lower.capacity() > (1u << 16)) lower = ByteBuffer();
    if (replaced.capacity() > (1u << 16)) std::string().swap(replaced);
    if (text.words.capacity() > (1u << 12)) std::vector<Word>().swap(text.words);
    if (text.rated.capacity() > (1u << 12)) std::vector<uint32_t>().swap(text.rated);
    if (valences.capacity() > (1u << 12)) std::vector<Valence>().swap(valences);
  }
};

// The scores of sentiment_scores_exact(); neg, neu and pos only with
// proportions (pulse.sentiment wants the compound score alone).
SentimentScores score(Buffers& scratch, std::string_view input, bool proportions) {
  struct Trim {
    Buffers& s;
    ~Trim() { s.trim(); }
  } trim{scratch};

  // Words: split on white space; emoji become their descriptions first (from
  // the first emoji on: the words before it are the same either way).
  TextWords& t = scratch.text;
  WordSplitter splitter(t, scratch.lower);
  const std::size_t emoji = splitter.split(input, true);
  if (emoji < input.size()) {
    replace_emoji(input.substr(emoji), scratch.replaced);
    splitter.split(scratch.replaced, false);
  }

  SentimentScores out;
  const std::size_t n = t.words.size();
  if (n == 0) return out;

  std::vector<Valence>& s = scratch.valences;
  if (t.rated_count == 0) s.clear();
  else Scorer(t).run(s);

  // No valence: compound 0, all neutral (what the formulas below give, without
  // their square root and divisions).
  if (s.empty()) {
    out.neu = 1.0;
    return out;
  }

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
  if (!proportions) return out;

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

}  // namespace

struct SentimentScorer::Scratch {
  Buffers buffers;
};

SentimentScorer::SentimentScorer() : scratch_(std::make_unique<Scratch>()) {}
SentimentScorer::~SentimentScorer() = default;

SentimentScores SentimentScorer::scores_exact(std::string_view text) { return score(scratch_->buffers, text, true); }

SentimentScores SentimentScorer::scores(std::string_view text) {
  SentimentScores s = scores_exact(text);
  s.neg = round_like_python(s.neg, 3);
  s.neu = round_like_python(s.neu, 3);
  s.pos = round_like_python(s.pos, 3);
  s.compound = round_like_python(s.compound, 4);
  return s;
}

double SentimentScorer::compound(std::string_view text) {
  return round_like_python(score(scratch_->buffers, text, false).compound, 4);
}

namespace {

SentimentScorer& thread_scorer() {
  thread_local SentimentScorer scorer;
  return scorer;
}

}  // namespace

SentimentScores sentiment_scores_exact(std::string_view text) { return thread_scorer().scores_exact(text); }

double round_like_python(double x, int decimals) {
  if (!std::isfinite(x) || x == 0) return x;
  static constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  if (decimals >= 0 && decimals <= 8 && std::fabs(x) * kPow10[decimals] < 1e9) {
    // x * 10^d is off by at most an ulp or so; unless that lands next to a
    // half, the nearest integer is the exact value's rounding, and k / 10^d
    // (both exact, one correctly rounded division) is the double nearest to
    // the decimal: Python's result. Near a half, decide on the exact value.
    double y = x * kPow10[decimals];
    // y rounded to an integer, ties to even (as nearbyint() in the default
    // rounding mode, without its library call): adding 1.5 * 2^52 leaves no
    // bits below the units, and taking it away again is exact (|y| < 1e9;
    // IEEE arithmetic, which the compiler keeps without -ffast-math).
    constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52
    double k = (y + kRound) - kRound;
    if (std::fabs(std::fabs(y - k) - 0.5) > 1e-6) return k / kPow10[decimals];
  }
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::fixed, decimals);
  double y = x;
  std::from_chars(buf, r.ptr, y);
  return y;
}

SentimentScores sentiment_scores(std::string_view text) { return thread_scorer().scores(text); }

double sentiment_compound(std::string_view text) { return thread_scorer().compound(text); }

}  // namespace pulse
