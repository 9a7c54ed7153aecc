// The packed per-hashtag tweet sets (core/tag_vectors.h) against counting
// the tweets directly: deltas, merges that add and take away, counts and
// trending candidates over ranges that start and end anywhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tag_vectors.h"

namespace {

namespace tv = pulse::tagvec;

struct Tweet {
  int64_t time;
  int64_t author;
  bool author_null;
  std::vector<std::string> tags;
};

std::string minute_delta(const std::vector<const Tweet*>& tweets, int32_t sign) {
  tv::DeltaBuilder b(tv::Kind::kDetail);
  for (const Tweet* t : tweets) {
    std::vector<std::string_view> tags(t->tags.begin(), t->tags.end());
    b.add_tweet(t->time, t->author, t->author_null, sign, tags);
  }
  return b.finish();
}

// Stored vectors of a set of tweets: per minute and per hour, keyed by start.
struct Store {
  std::map<int64_t, std::string> minutes, hours;

  void apply(const std::vector<Tweet>& tweets, int32_t sign) {
    std::map<int64_t, std::vector<const Tweet*>> by_minute;
    for (const Tweet& t : tweets) by_minute[tv::bucket_start(t.time, tv::kMinuteUs)].push_back(&t);
    std::map<int64_t, tv::DeltaBuilder> hour_deltas;
    for (auto& [m, ts] : by_minute) {
      std::string d = minute_delta(ts, sign);
      if (tv::is_empty(d)) continue;
      auto it = minutes.find(m);
      if (it == minutes.end()) {
        minutes[m] = d;
      } else {
        it->second = tv::merge(it->second, d);
        if (tv::is_empty(it->second)) minutes.erase(it);
      }
      hour_deltas.try_emplace(tv::bucket_start(m, tv::kHourUs), tv::Kind::kCounts).first->second.add_counts_of(d);
    }
    for (auto& [h, b] : hour_deltas) {
      std::string d = b.finish();
      auto it = hours.find(h);
      if (it == hours.end()) {
        hours[h] = d;
      } else {
        it->second = tv::merge(it->second, d);
        if (tv::is_empty(it->second)) hours.erase(it);
      }
    }
  }

  // The pieces of [lo, hi) as the SQL picks them: whole hours, and minutes
  // overlapping the rest.
  void pieces(int64_t lo, int64_t hi, bool with_hours, std::vector<std::string_view>* ms,
              std::vector<std::string_view>* hs) const {
    int64_t h1 = tv::bucket_start(lo - 1, tv::kHourUs) + tv::kHourUs, h2 = tv::bucket_start(hi, tv::kHourUs);
    if (!with_hours || h1 >= h2) h1 = h2 = hi;
    int64_t m1 = tv::bucket_start(lo, tv::kMinuteUs);
    for (const auto& [m, v] : minutes)
      if ((m >= m1 && m < h1) || (m >= h2 && m < hi)) ms->push_back(v);
    for (const auto& [h, v] : hours)
      if (h >= h1 && h < h2) hs->push_back(v);
  }
};

std::map<std::string, int64_t> direct_counts(const std::vector<Tweet>& tweets, int64_t lo, int64_t hi) {
  std::map<std::string, int64_t> out;
  for (const Tweet& t : tweets) {
    if (t.time < lo || t.time >= hi) continue;
    for (const std::string& tag : std::set<std::string>(t.tags.begin(), t.tags.end())) ++out[tag];
  }
  return out;
}

std::vector<Tweet> random_tweets(std::mt19937_64& rng, int n, int64_t span, int vocabulary) {
  std::vector<Tweet> out;
  std::uniform_int_distribution<int64_t> when(-span / 4, span);  // some before 2000-01-01
  std::uniform_int_distribution<int> tags(0, 3), author(0, 30);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < n; ++i) {
    Tweet t{when(rng) / 1000 * 1000, author(rng), author(rng) == 0, {}};
    int k = tags(rng);
    for (int j = 0; j < k; ++j) t.tags.push_back("t" + std::to_string(static_cast<int>(std::exp(u(rng) * std::log(vocabulary)))));
    if (k > 0 && u(rng) < 0.1) t.tags.push_back(t.tags[0]);  // a tag twice in one tweet
    out.push_back(t);
  }
  return out;
}

TEST(TagVectors, BucketStartFloorsNegativeTimes) {
  EXPECT_EQ(tv::bucket_start(0, 60), 0);
  EXPECT_EQ(tv::bucket_start(59, 60), 0);
  EXPECT_EQ(tv::bucket_start(-1, 60), -60);
  EXPECT_EQ(tv::bucket_start(-60, 60), -60);
  EXPECT_EQ(tv::bucket_start(-61, 60), -120);
}

TEST(TagVectors, DeltaCountsATagOnceAndCancels) {
  Tweet a{120'000'000 + 5, 7, false, {"btc", "btc", "eth"}};
  Tweet b{120'000'000 + 5, 7, false, {"btc"}};
  Tweet c{120'000'000 + 9, 0, true, {"btc"}};
  std::string v = minute_delta({&a, &b, &c}, 1);
  std::vector<tv::DetailRow> rows = tv::detail_rows(v);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].tag, "btc");  // author 7 at +5: two tweets share the key
  EXPECT_EQ(rows[0].n, 2);
  EXPECT_EQ(rows[0].time_us, 120'000'005);
  EXPECT_EQ(rows[1].tag, "btc");  // NULL author after the others
  EXPECT_TRUE(rows[1].author_null);
  EXPECT_EQ(rows[2].tag, "eth");
  EXPECT_EQ(rows[2].n, 1);
  EXPECT_TRUE(tv::is_empty(tv::merge(v, minute_delta({&a, &b, &c}, -1))));
  EXPECT_FALSE(tv::is_empty(tv::merge(v, minute_delta({&a}, -1))));
  EXPECT_EQ(tv::detail_rows(tv::merge(v, minute_delta({&a}, -1)))[0].n, 1);
  Tweet other{180'000'000, 1, false, {"x"}};
  EXPECT_THROW(minute_delta({&a, &other}, 1), pulse::Error);
  EXPECT_THROW(tv::merge(v, minute_delta({&other}, 1)), pulse::Error);  // two minutes
}

TEST(TagVectors, MalformedVectorsThrow) {
  Tweet a{0, 1, false, {"btc"}};
  std::string v = minute_delta({&a}, 1);
  for (std::size_t cut = 0; cut < v.size(); ++cut) EXPECT_THROW(tv::detail_rows(v.substr(0, cut)), pulse::Error) << cut;
  EXPECT_THROW(tv::detail_rows(v + "x"), pulse::Error);
  EXPECT_THROW(tv::count_rows(v), pulse::Error);  // a minute's vector is not an hour's
  std::string bad = v;
  bad[1] = 9;  // version
  EXPECT_THROW(tv::is_empty(bad), pulse::Error);
}

TEST(TagVectors, StoredVectorsFollowInsertsAndDeletes) {
  std::mt19937_64 rng(20240311);
  const int64_t span = 3 * tv::kHourUs;
  std::vector<Tweet> all = random_tweets(rng, 3000, span, 60);
  Store s;
  // in batches, out of order; then a third of them leave again
  std::shuffle(all.begin(), all.end(), rng);
  for (std::size_t i = 0; i < all.size(); i += 250)
    s.apply(std::vector<Tweet>(all.begin() + static_cast<long>(i), all.begin() + static_cast<long>(std::min(all.size(), i + 250))), 1);
  std::vector<Tweet> gone(all.begin(), all.begin() + 1000), kept(all.begin() + 1000, all.end());
  s.apply(gone, -1);
  std::uniform_int_distribution<int64_t> when(-span / 4, span + 1);
  for (int r = 0; r < 200; ++r) {
    int64_t lo = when(rng), hi = when(rng);
    if (r % 3 == 0) lo = tv::bucket_start(lo, tv::kHourUs);  // some aligned ends
    std::vector<std::string_view> ms, hs;
    s.pieces(lo, hi, true, &ms, &hs);
    std::map<std::string, int64_t> got;
    for (const auto& [tag, n] : tv::range_counts(lo, hi, ms, hs)) got[std::string(tag)] = n;
    EXPECT_EQ(got, direct_counts(kept, lo, hi)) << lo << " " << hi;
  }
  s.apply(kept, -1);
  EXPECT_TRUE(s.minutes.empty());
  EXPECT_TRUE(s.hours.empty());
}

TEST(TagVectors, TrendingCandidatesHoldTheExactTopK) {
  std::mt19937_64 rng(7);
  const int64_t span = 30 * tv::kHourUs;
  std::vector<Tweet> all = random_tweets(rng, 20000, span, 400);
  Store s;
  s.apply(all, 1);
  std::uniform_int_distribution<int64_t> at(0, span), len(1, 3 * tv::kHourUs);
  for (int r = 0; r < 60; ++r) {
    int64_t w_hi = at(rng), w_us = len(rng), b_us = len(rng) * 5;
    int64_t w_lo = w_hi - w_us, b_lo = w_lo - b_us;
    int64_t k = 1 + r % 12;
    std::vector<std::string_view> wm, wh, bm, bh;
    s.pieces(w_lo, w_hi, false, &wm, &wh);
    s.pieces(b_lo, w_lo, true, &bm, &bh);
    std::vector<tv::TrendRow> got = tv::trending_candidates(w_lo, w_hi, wm, b_lo, w_lo, bm, bh, w_us, b_us, k);
    // directly: every window tag, its score, the first k by (score desc, tweets desc, tag)
    std::map<std::string, int64_t> w = direct_counts(all, w_lo, w_hi), b = direct_counts(all, b_lo, w_lo);
    std::map<std::string, std::set<int64_t>> authors;
    for (const Tweet& t : all)
      if (t.time >= w_lo && t.time < w_hi && !t.author_null)
        for (const std::string& tag : t.tags) authors[tag].insert(t.author);
    struct Want {
      double score;
      int64_t tweets;
      std::string tag;
    };
    std::vector<Want> want;
    for (const auto& [tag, n] : w) {
      double e = static_cast<double>(b[tag]) * static_cast<double>(w_us) / static_cast<double>(b_us);
      want.push_back(Want{(static_cast<double>(n) - e) / std::sqrt(e + 1.0), n, tag});
    }
    std::sort(want.begin(), want.end(), [](const Want& x, const Want& y) {
      if (x.score != y.score) return x.score > y.score;
      if (x.tweets != y.tweets) return x.tweets > y.tweets;
      return x.tag < y.tag;
    });
    if (want.size() > static_cast<std::size_t>(k)) want.resize(static_cast<std::size_t>(k));
    std::map<std::string, tv::TrendRow> by_tag;
    for (const tv::TrendRow& row : got) by_tag.emplace(std::string(row.tag), row);
    EXPECT_GE(got.size(), want.size());
    for (const Want& x : want) {
      auto it = by_tag.find(x.tag);
      ASSERT_NE(it, by_tag.end()) << x.tag << " missing at round " << r;
      EXPECT_EQ(it->second.tweets, x.tweets);
      EXPECT_EQ(it->second.base, b[x.tag]);
      EXPECT_EQ(it->second.authors, static_cast<int64_t>(authors[x.tag].size()));
    }
    if (w.size() <= static_cast<std::size_t>(k)) {
      EXPECT_EQ(got.size(), w.size());  // every window tag, and only those
    }
  }
}

}  // namespace
