// Sentiment of short social-media text: VADER (Hutto & Gilbert, "VADER: A
// Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text",
// ICWSM 2014) over its published lexicons (data/vader/). Scores equal those of
// the reference implementation (cjhutto/vaderSentiment 3.3.1), including its
// tokenisation quirks, on tests/data/vader_expected.tsv.
#pragma once

#include "core/no_postgres.h"

#include <memory>
#include <string_view>

namespace pulse {

struct SentimentScores {
  double neg = 0;       // proportions of the text's weight: negative,
  double neu = 0;       // neutral,
  double pos = 0;       // positive (they sum to about 1; all 0 for no words)
  double compound = 0;  // normalised sum of valences, -1..1
};

// Scores texts with buffers of its own, kept from text to text: one object
// for many texts (each thread needs its own; the functions below keep one
// per thread).
class SentimentScorer {
 public:
  SentimentScorer();
  ~SentimentScorer();
  SentimentScorer(const SentimentScorer&) = delete;
  SentimentScorer& operator=(const SentimentScorer&) = delete;

  SentimentScores scores_exact(std::string_view text);  // as sentiment_scores_exact()
  SentimentScores scores(std::string_view text);        // as sentiment_scores()
  double compound(std::string_view text);               // as sentiment_compound()

 private:
  struct Scratch;
  std::unique_ptr<Scratch> scratch_;
};

// The scores of UTF-8 text before rounding. Bytes that are not valid UTF-8
// count as one character each (neither letters nor spaces). Long texts check
// for interrupts.
SentimentScores sentiment_scores_exact(std::string_view text);

// The scores as the reference publishes them: neg, neu and pos rounded to 3
// decimals and compound to 4 (Python's round(): the exact binary value,
// ties to even).
SentimentScores sentiment_scores(std::string_view text);

// sentiment_scores(text).compound.
double sentiment_compound(std::string_view text);

// x rounded to `decimals` places the way Python's round(x, decimals) does.
double round_like_python(double x, int decimals);

}  // namespace pulse
