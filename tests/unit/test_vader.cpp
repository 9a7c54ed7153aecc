// VADER (extension/core/vader.cpp) against the reference implementation's
// scores for every row of tests/data/vader_expected.tsv (provenance in its
// header and in tests/data/make_vader_expected.py): the published (rounded)
// scores must be equal, and the unrounded ones equal to 1e-9.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/vader.h"

namespace {

struct Row {
  int line;
  double published[4];
  double exact[4];
  std::string text;
};

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    if (c == 't') out.push_back('\t');
    else if (c == 'n') out.push_back('\n');
    else if (c == 'r') out.push_back('\r');
    else if (c == '\\') out.push_back('\\');
    else if (c == 'u' || c == 'U') {
      std::size_t n = c == 'u' ? 4 : 8;
      append_utf8(out, static_cast<uint32_t>(std::stoul(s.substr(i + 1, n), nullptr, 16)));
      i += n;
    }
  }
  return out;
}

std::vector<Row> load() {
  std::ifstream in(PULSE_SOURCE_DIR "/tests/data/vader_expected.tsv");
  std::vector<Row> rows;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    Row r;
    r.line = n;
    std::size_t pos = 0;
    for (int k = 0; k < 8; ++k) {
      std::size_t tab = line.find('\t', pos);
      double v = std::strtod(line.substr(pos, tab - pos).c_str(), nullptr);
      (k < 4 ? r.published[k] : r.exact[k - 4]) = v;
      pos = tab + 1;
    }
    r.text = unescape(line.substr(pos));
    rows.push_back(std::move(r));
  }
  return rows;
}

const std::vector<Row>& rows() {
  static const std::vector<Row> r = load();
  return r;
}

std::string shown(const std::string& text) { return text.size() > 200 ? text.substr(0, 200) + "..." : text; }

TEST(Vader, ExpectedFileLoads) { ASSERT_GE(rows().size(), 700u); }

TEST(Vader, PublishedScoresEqualReference) {
  int bad = 0;
  for (const Row& r : rows()) {
    pulse::SentimentScores s = pulse::sentiment_scores(r.text);
    double got[4] = {s.neg, s.neu, s.pos, s.compound};
    for (int k = 0; k < 4; ++k) {
      if (got[k] != r.published[k]) {
        ADD_FAILURE() << "line " << r.line << " score " << k << ": " << got[k] << " != " << r.published[k]
                      << " for \"" << shown(r.text) << "\"";
        ++bad;
        break;
      }
    }
  }
  EXPECT_EQ(bad, 0);
}

TEST(Vader, ExactScoresEqualReference) {
  for (const Row& r : rows()) {
    pulse::SentimentScores s = pulse::sentiment_scores_exact(r.text);
    double got[4] = {s.neg, s.neu, s.pos, s.compound};
    for (int k = 0; k < 4; ++k)
      EXPECT_NEAR(got[k], r.exact[k], 1e-9) << "line " << r.line << " score " << k << " for \"" << shown(r.text) << "\"";
  }
}

TEST(Vader, CompoundIsRoundedToFourDecimals) {
  for (const Row& r : rows()) EXPECT_EQ(pulse::sentiment_compound(r.text), r.published[3]) << "line " << r.line;
}

// The scorer reads text 64 bytes at a time: the same words wherever the
// block edges fall, and whatever white space separates them, give the same
// scores to the last bit.
TEST(Vader, BlockEdgesAndSpacingChangeNothing) {
  std::mt19937 rng(17);
  const char* spaces[] = {" ", "  ", "\t", "\n", " \t ", "\xE3\x80\x80", "\xC2\xA0"};
  auto same = [](const pulse::SentimentScores& a, const pulse::SentimentScores& b) {
    return a.neg == b.neg && a.neu == b.neu && a.pos == b.pos && a.compound == b.compound;
  };
  int bad = 0;
  for (const Row& r : rows()) {
    const pulse::SentimentScores want = pulse::sentiment_scores_exact(r.text);
    for (std::size_t shift : {1, 2, 7, 15, 16, 17, 31, 33, 47, 62, 63, 64, 65, 100, 127, 128, 129}) {
      const std::string t = std::string(shift, ' ') + r.text + std::string(shift % 5, ' ');
      if (!same(pulse::sentiment_scores_exact(t), want) && bad++ < 10)
        ADD_FAILURE() << "line " << r.line << " shifted by " << shift;
    }
    // Each ASCII space becomes other white space (which also moves every
    // word to another place in its block).
    std::string t;
    for (char c : r.text) {
      if (c == ' ') t += spaces[rng() % (sizeof(spaces) / sizeof(spaces[0]))];
      else t += c;
    }
    if (!same(pulse::sentiment_scores_exact(t), want) && bad++ < 10)
      ADD_FAILURE() << "line " << r.line << " respaced: \"" << shown(t) << "\"";
  }
  EXPECT_EQ(bad, 0);
}

TEST(Vader, LongWordsAndTextsAcrossBlocks) {
  // A word longer than a block, words across block edges, a text whose size
  // is a multiple of 64, non-ASCII runs across edges.
  const std::string good_run = "GOOD" + std::string(70, '!');
  const pulse::SentimentScores a = pulse::sentiment_scores_exact("it is " + good_run + " today");
  EXPECT_GT(a.compound, 0.0);
  EXPECT_EQ(a.compound, pulse::sentiment_scores_exact("it is " + good_run + "  today").compound);
  std::string t64(60, ' ');
  t64 += "good";
  ASSERT_EQ(t64.size(), 64u);
  EXPECT_EQ(pulse::sentiment_scores(t64).compound, pulse::sentiment_scores("good").compound);
  std::string t128 = std::string(60, ' ') + "caf\xC3\xA9 " + std::string(54, ' ') + "great";
  EXPECT_EQ(pulse::sentiment_scores(t128).compound, pulse::sentiment_scores("caf\xC3\xA9 great").compound);
  // A word of 100 letters is in no list; its neighbours still count.
  EXPECT_EQ(pulse::sentiment_scores("not " + std::string(100, 'x') + " good").compound,
            pulse::sentiment_scores("not xxx good").compound);
}

TEST(Vader, ScorersKeepNothingFromTextToText) {
  // Two scorers used in turn, on texts of every kind, agree with each other
  // and with the functions (whose scorer is the thread's).
  pulse::SentimentScorer a, b;
  for (const Row& r : rows()) {
    pulse::SentimentScores x = a.scores(r.text), y = b.scores_exact(r.text);
    EXPECT_EQ(x.compound, r.published[3]) << "line " << r.line;
    EXPECT_EQ(y.compound, pulse::sentiment_scores_exact(r.text).compound) << "line " << r.line;
    EXPECT_EQ(b.compound(r.text), r.published[3]) << "line " << r.line;
  }
}

TEST(Vader, RoundsLikePython) {
  // Python: round(2.675, 2) == 2.67 (the double is below 2.675), round(0.125, 2) == 0.12 (tie to even).
  EXPECT_EQ(pulse::round_like_python(2.675, 2), 2.67);
  EXPECT_EQ(pulse::round_like_python(0.125, 2), 0.12);
  EXPECT_EQ(pulse::round_like_python(0.375, 2), 0.38);
  EXPECT_EQ(pulse::round_like_python(-0.44045, 4), -0.4405);  // the double is -0.44045000000000001
  EXPECT_EQ(pulse::round_like_python(0.00015, 4), 0.0001);    // 0.000149999...
  EXPECT_EQ(pulse::round_like_python(1.0, 4), 1.0);
}

TEST(Vader, EmptyAndBlankTextScoreZero) {
  for (const char* t : {"", " ", "\t\n", "\xE3\x80\x80"}) {
    pulse::SentimentScores s = pulse::sentiment_scores(t);
    EXPECT_EQ(s.neg, 0.0);
    EXPECT_EQ(s.neu, 0.0);
    EXPECT_EQ(s.pos, 0.0);
    EXPECT_EQ(s.compound, 0.0);
  }
}

TEST(Vader, InvalidUtf8IsScoredNotRejected) {
  // Bytes that are not UTF-8 count as characters of their own; the words
  // around them are still found.
  std::string t = "good \xFF\xFE bad \xC3 great \xE2\x82";
  pulse::SentimentScores s = pulse::sentiment_scores(t);
  EXPECT_GT(s.pos, 0.0);
  EXPECT_GT(s.neg, 0.0);
  EXPECT_EQ(pulse::sentiment_scores("\xC3good").compound, 0.0);  // one word, not "good"
}

}  // namespace
