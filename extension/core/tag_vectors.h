// Packed per-hashtag tweet sets behind pulse.trending_hashtags and the
// hashtag counts (sql/code/57_tag_vectors.sql, 76_trending.sql). A query
// over a day reads a few dozen packed rows instead of tens of thousands of
// per-tag rows, and sums them here.
//
// Two kinds of vector:
//   detail (one minute): per tag, every (author, time in the minute, n) of
//     the tweets using it: counts and distinct authors of any part of the
//     minute, exactly;
//   counts (one hour, or six): per tag, how many tweets use it.
// Tags are ordered by a 32-bit hash of their bytes (FNV-1a), then by bytes,
// so two vectors are matched by comparing integers. n is how many tweets
// share that key; a delta (what one statement adds or removes) has negative
// n for tweets that left, and merge() adds it to a stored vector.
#pragma once

#include "core/no_postgres.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pulse::tagvec {

inline constexpr int64_t kMinuteUs = 60'000'000;
inline constexpr int64_t kHourUs = 3'600'000'000;

enum class Kind : uint8_t { kDetail = 'D', kCounts = 'C' };

// floor(t / unit) * unit, for negative t too.
int64_t bucket_start(int64_t t, int64_t unit) noexcept;

// The order of tags in a vector.
uint32_t tag_hash(std::string_view tag) noexcept;

// Collects the changed tweets of one statement in one minute (a detail
// vector), or the detail vectors of a period's minutes (a count vector), and
// writes their vector. A tweet's tags count once each; the caller leaves out
// NULL tags.
class DeltaBuilder {
 public:
  explicit DeltaBuilder(Kind kind) : kind_(kind) {}
  // One tweet (n = +1 added, -1 removed); time and author matter only for a
  // detail vector, whose tweets must all be in one minute (else throws
  // pulse::Error). Sorts tags in place.
  void add_tweet(int64_t time_us, int64_t author, bool author_null, int32_t n, std::vector<std::string_view>& tags);
  // For a count vector: the tweets per tag of a detail vector.
  void add_counts_of(std::string_view detail);
  // The vector (sorts and combines what was added; may be called again).
  std::string finish();

 private:
  struct Item {
    uint32_t hash;
    uint32_t tag_off, tag_len;
    uint32_t when;  // offset in the minute; kNullAuthor bit when the author is NULL
    int64_t author;
    int64_t n;
  };
  Kind kind_;
  bool have_minute_ = false;
  int64_t minute_ = 0;
  std::string arena_;
  std::vector<Item> items_;
};

// a + b, of one kind (and minute); entries whose n sums to 0 are dropped,
// and tags left without entries. Throws pulse::Error (XX001) for a malformed
// vector, two kinds or two minutes.
std::string merge(std::string_view a, std::string_view b);

// Whether a vector holds no tag (throws for a malformed one).
bool is_empty(std::string_view v);

// Vectors read back, for tests and inspection, tags in byte order.
struct DetailRow {
  std::string tag;
  int64_t time_us;
  int64_t author;
  bool author_null;
  int64_t n;
};
std::vector<DetailRow> detail_rows(std::string_view v);
std::vector<std::pair<std::string, int64_t>> count_rows(std::string_view v);

// Tweets per tag in [lo, hi): entries of the minute vectors inside it, plus
// the count vectors of periods the caller found wholly inside it (and
// covered by none of the minutes it passes). Tags in byte order; a tag is
// there when any of its tweets is in the range.
std::vector<std::pair<std::string_view, int64_t>> range_counts(int64_t lo, int64_t hi,
                                                               const std::vector<std::string_view>& minutes,
                                                               const std::vector<std::string_view>& periods);

struct TrendRow {
  std::string_view tag;
  int64_t tweets;   // in the window
  int64_t authors;  // distinct non-NULL authors of those tweets
  int64_t base;     // tweets in the baseline
};

// The window's tags that can be among the k best by (score desc, tweets
// desc) with score = (tweets - e) / sqrt(e + 1), e = base * w_us / b_us: all
// that score at least the k-th best (ties and near-ties included, so the
// caller's exact ORDER BY ... LIMIT k decides). The window's tweets come
// from minute vectors (entries in [w_lo, w_hi)), the baseline's from minute
// vectors (entries in [b_lo, b_hi)) and count vectors of whole periods.
std::vector<TrendRow> trending_candidates(int64_t w_lo, int64_t w_hi, const std::vector<std::string_view>& window,
                                          int64_t b_lo, int64_t b_hi, const std::vector<std::string_view>& base_minutes,
                                          const std::vector<std::string_view>& base_periods, int64_t w_us, int64_t b_us,
                                          int64_t k);

}  // namespace pulse::tagvec
