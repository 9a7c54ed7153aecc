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

const vader_data::EmojiEntry* find_emoji(uint32_t cp) {
  if (cp < 0xA9) return nullptr;  // the first emoji key is U+00A9
  const vader_data::EmojiEntry* end = vader_data::kEmoji + vader_data::kEmojiSize;
  const vader_data::EmojiEntry* e = std::lower_bound(
      vader_data::kEmoji, end, cp, [](const vader_data::EmojiEntry& x, uint32_t c) { return x.code_point < c; });
  return e != end && e->code_point == cp ? e : nullptr;
}

using WordMap = std::unordered_map<std::string_view, double>;

const WordMap& lexicon() {
  static const WordMap map = [] {
    WordMap m;
    m.reserve(vader_data::kLexiconSize * 2);
    for (std::size_t i = 0; i < vader_data::kLexiconSize; ++i)
      m.emplace(std::string_view(vader_data::kLexicon[i].token, vader_data::kLexicon[i].length),
                vader_data::kLexicon[i].valence);
    return m;
  }();
  return map;
}

// Degree adverbs (one word; the two-word ones are checked as n-grams).
const WordMap& boosters() {
  static const WordMap map = [] {
    WordMap m;
    for (const char* w : {"absolutely", "amazingly", "awfully", "completely", "considerable", "considerably",
                          "decidedly", "deeply", "effing", "enormous", "enormously", "entirely", "especially",
                          "exceptional", "exceptionally", "extreme", "extremely", "fabulously", "flipping",
                          "flippin", "frackin", "fracking", "fricking", "frickin", "frigging", "friggin", "fully",
                          "fuckin", "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely",
                          "incredible", "incredibly", "intensely", "major", "majorly", "more", "most",
                          "particularly", "purely", "quite", "really", "remarkably", "so", "substantially",
                          "thoroughly", "total", "totally", "tremendous", "tremendously", "uber", "unbelievably",
                          "unusually", "utter", "utterly", "very"})
      m.emplace(w, kBoost);
    for (const char* w : {"almost", "barely", "hardly", "kinda", "kindof", "kind-of", "less", "little", "marginal",
                          "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight",
                          "slightly", "somewhat", "sorta", "sortof", "sort-of"})
      m.emplace(w, kDampen);
    return m;
  }();
  return map;
}

bool is_negation_word(std::string_view w) {
  static const std::unordered_map<std::string_view, bool> words = [] {
    std::unordered_map<std::string_view, bool> m;
    for (const char* x : {"aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "ain't",
                          "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't", "dont", "hadnt", "hasnt",
                          "havent", "isnt", "mightnt", "mustnt", "neither", "don't", "hadn't", "hasn't", "haven't",
                          "isn't", "mightn't", "mustn't", "neednt", "needn't", "never", "none", "nope", "nor",
                          "not", "nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
                          "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't", "without", "wont",
                          "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite"})
      m.emplace(x, true);
    return m;
  }();
  return words.count(w) > 0 || w.find("n't") != std::string_view::npos;
}

// Phrases whose valence replaces that of the lexicon word inside them.
struct Phrase {
  std::string_view words[3];
  int size;
  double valence;
};
constexpr Phrase kPhrases[] = {
    {{"the", "shit"}, 2, 3},          {{"the", "bomb"}, 2, 3},          {{"bad", "ass"}, 2, 1.5},
    {{"bus", "stop"}, 2, 0.0},        {{"yeah", "right"}, 2, -2},       {{"kiss", "of", "death"}, 3, -1.5},
    {{"to", "die", "for"}, 3, 3},     {{"beating", "heart"}, 2, 3.1},   {{"broken", "heart"}, 2, -2.9},
};
// Two-word dampeners, checked among the words before a lexicon word.
constexpr Phrase kTwoWordDampeners[] = {
    {{"just", "enough"}, 2, kDampen}, {{"kind", "of"}, 2, kDampen}, {{"sort", "of"}, 2, kDampen}};

struct Word {
  std::string_view lower;  // ASCII letters lowered (as Python's str.lower() for lexicon purposes)
  bool upper = false;      // Python's str.isupper() of the word as written
  bool in_lexicon = false;
  double valence = 0;
};

// One text's words and the rules over them.
class Scorer {
 public:
  explicit Scorer(std::vector<Word>& w) : w_(w), n_(w.size()) {}

  bool is(std::size_t i, std::string_view s) const { return w_[i].lower == s; }

  bool phrase_at(const Phrase& p, std::size_t first) const {
    for (int k = 0; k < p.size; ++k)
      if (first + k >= n_ || !is(first + k, p.words[k])) return false;
    return true;
  }
  // The valence of the phrase spelled by words [first, first + size), if any.
  const Phrase* phrase(const Phrase* begin, const Phrase* end, std::size_t first, int size) const {
    for (const Phrase* p = begin; p != end; ++p)
      if (p->size == size && phrase_at(*p, first)) return p;
    return nullptr;
  }

  // A booster's or dampener's contribution to a lexicon word of valence v.
  double degree(std::size_t j, double v) const {
    auto it = boosters().find(w_[j].lower);
    if (it == boosters().end()) return 0.0;
    double s = v < 0 ? -it->second : it->second;
    if (w_[j].upper && cap_diff_) s += v > 0 ? kCapsBoost : -kCapsBoost;
    return s;
  }

  bool so_or_this(std::size_t j) const { return is(j, "so") || is(j, "this"); }

  // Negation by the word `distance` + 1 before word i, with the reference's
  // special cases: "never so/this" intensifies, "without doubt" is no negation.
  double negate(double v, int distance, std::size_t i) const {
    if (distance == 0) {
      if (is_negation_word(w_[i - 1].lower)) v *= kNegation;
    } else if (distance == 1) {
      if (is(i - 2, "never") && so_or_this(i - 1)) v *= 1.25;
      else if (is(i - 2, "without") && is(i - 1, "doubt")) {}
      else if (is_negation_word(w_[i - 2].lower)) v *= kNegation;
    } else {
      // As in the reference: "so" or "this" right before the word intensifies
      // even without "never" three words back.
      if ((is(i - 3, "never") && so_or_this(i - 2)) || so_or_this(i - 1)) v *= 1.25;
      else if (is(i - 3, "without") && (is(i - 2, "doubt") || is(i - 1, "doubt"))) {}
      else if (is_negation_word(w_[i - 3].lower)) v *= kNegation;
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
    if (is(i, "no") && i + 1 < n_ && w_[i + 1].in_lexicon) v = 0.0;
    if ((i > 0 && is(i - 1, "no")) || (i > 1 && is(i - 2, "no")) ||
        (i > 2 && is(i - 3, "no") && (is(i - 1, "or") || is(i - 1, "nor"))))
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
    if (i > 1 && !w_[i - 1].in_lexicon && is(i - 1, "least")) {
      if (!is(i - 2, "at") && !is(i - 2, "very")) v *= kNegation;
    } else if (i > 0 && !w_[i - 1].in_lexicon && is(i - 1, "least")) {
      v *= kNegation;
    }
    return v;
  }

  std::vector<double> sentiments() {
    std::size_t upper = 0;
    for (const Word& x : w_) upper += x.upper;
    cap_diff_ = upper > 0 && upper < n_;
    std::vector<double> s(n_, 0.0);
    for (std::size_t i = 0; i < n_; ++i) {
      if ((i & (kInterruptCheckInterval - 1)) == 0) check_interrupts();
      if (boosters().count(w_[i].lower)) continue;
      if (i + 1 < n_ && is(i, "kind") && is(i + 1, "of")) continue;
      if (w_[i].in_lexicon) s[i] = valence(i);
    }
    contrast(s);
    return s;
  }

  // "but": valences before the first "but" are halved, those after it grow by
  // half. The reference rescales, for each position in turn, the FIRST
  // position holding an equal value (so with repeated values one position can
  // be rescaled twice and another not at all); this does the same. Zeros stay
  // zero wherever they are rescaled, so only non-zero values are followed.
  void contrast(std::vector<double>& s) const {
    std::size_t bi = n_;
    for (std::size_t i = 0; i < n_; ++i)
      if (is(i, "but")) { bi = i; break; }
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
  std::vector<Word>& w_;
  std::size_t n_;
  bool cap_diff_ = false;
};

// Python's str.isupper() of the word.
bool word_is_upper(std::string_view w) {
  bool cased = false;
  for (std::size_t i = 0, len; i < w.size(); i += len) {
    uint32_t cp = decode(w, i, &len);
    if (cp < 0x80) {
      if (cp >= 'a' && cp <= 'z') return false;
      if (cp >= 'A' && cp <= 'Z') cased = true;
      continue;
    }
    if (in_ranges(kLowerOrTitleRanges, cp)) return false;
    if (!cased && in_ranges(kUpperRanges, cp)) cased = true;
  }
  return cased;
}

std::size_t code_points(std::string_view w) {
  std::size_t n = 0;
  for (std::size_t i = 0, len; i < w.size(); i += len, ++n) decode(w, i, &len);
  return n;
}

}  // namespace

SentimentScores sentiment_scores_exact(std::string_view input) {
  // Emoji become their descriptions, one code point at a time (sequences such
  // as flags or skin tones are looked up piecewise, as by the reference). A
  // description is set apart from what precedes it unless that is a space,
  // and runs into what follows.
  std::string replaced;
  std::string_view text = input;
  bool ascii = std::all_of(input.begin(), input.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) {
    replaced.reserve(input.size() + 16);
    bool prev_space = true;
    for (std::size_t i = 0, len; i < input.size(); i += len) {
      uint32_t cp = decode(input, i, &len);
      if (const vader_data::EmojiEntry* e = find_emoji(cp)) {
        if (!prev_space) replaced.push_back(' ');
        replaced.append(e->description, e->length);
        prev_space = false;
      } else {
        replaced.append(input.substr(i, len));
        prev_space = cp == ' ';
      }
    }
    text = replaced;
  }

  // Words: split on white space; ASCII punctuation is trimmed from both ends
  // unless that leaves two characters or fewer (an emoticon such as ":)").
  std::vector<std::string_view> raw;
  std::size_t start = std::string_view::npos;
  for (std::size_t i = 0, len; i < text.size(); i += len) {
    uint32_t cp = decode(text, i, &len);
    if (is_space(cp)) {
      if (start != std::string_view::npos) raw.push_back(text.substr(start, i - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = i;
    }
  }
  if (start != std::string_view::npos) raw.push_back(text.substr(start));

  SentimentScores out;
  if (raw.empty()) return out;

  std::string lowered;
  lowered.reserve(text.size());
  std::vector<std::size_t> ends;
  ends.reserve(raw.size());
  std::vector<Word> words(raw.size());
  for (std::size_t k = 0; k < raw.size(); ++k) {
    std::string_view w = raw[k];
    std::size_t b = 0, e = w.size();
    while (b < e && is_punct(static_cast<unsigned char>(w[b]))) ++b;
    while (e > b && is_punct(static_cast<unsigned char>(w[e - 1]))) --e;
    if (code_points(w.substr(b, e - b)) > 2) w = w.substr(b, e - b);
    raw[k] = w;
    words[k].upper = word_is_upper(w);
    // Lower case as far as lexicon look-ups can tell: the keys are ASCII, and
    // the only non-ASCII character Python lowers to ASCII is KELVIN SIGN.
    for (std::size_t i = 0; i < w.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(w[i]);
      if (c == 0xE2 && i + 2 < w.size() && static_cast<unsigned char>(w[i + 1]) == 0x84 &&
          static_cast<unsigned char>(w[i + 2]) == 0xAA) {
        lowered.push_back('k');
        i += 2;
      } else {
        lowered.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : static_cast<char>(c));
      }
    }
    ends.push_back(lowered.size());
  }
  const WordMap& lex = lexicon();
  for (std::size_t k = 0, b = 0; k < words.size(); b = ends[k], ++k) {
    words[k].lower = std::string_view(lowered).substr(b, ends[k] - b);
    auto it = lex.find(words[k].lower);
    if (it != lex.end()) {
      words[k].in_lexicon = true;
      words[k].valence = it->second;
    }
  }

  Scorer scorer(words);
  std::vector<double> s = scorer.sentiments();

  // Punctuation emphasis from the whole text (descriptions included).
  std::size_t bangs = static_cast<std::size_t>(std::count(text.begin(), text.end(), '!'));
  std::size_t questions = static_cast<std::size_t>(std::count(text.begin(), text.end(), '?'));
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
