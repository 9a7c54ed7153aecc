// Progress reports: share done through an extent (forwards and backwards),
// rates over a sliding window, ETA, and the text and JSON of a report.
#include <gtest/gtest.h>
#include <jansson.h>

#include <string>

#include "core/progress.h"

using pulse::load::done_fraction;
using pulse::load::format_duration;
using pulse::load::Progress;
using pulse::load::ProgressFigures;
using pulse::load::RateMeter;

TEST(Progress, DoneFractionForwardsAndBackwards) {
  Progress p;
  EXPECT_FALSE(done_fraction(p.snapshot()).has_value());
  p.set_extent(Progress::Unit::kEventTime, 1000, 5000);  // forwards (Binance)
  EXPECT_DOUBLE_EQ(*done_fraction(p.snapshot()), 0.0);
  p.set_position(Progress::Unit::kEventTime, 2000);
  EXPECT_DOUBLE_EQ(*done_fraction(p.snapshot()), 0.25);
  p.set_extent(Progress::Unit::kEventTime, 5000, 1000);  // newest first (Upbit)
  p.set_position(Progress::Unit::kEventTime, 2000);
  EXPECT_DOUBLE_EQ(*done_fraction(p.snapshot()), 0.75);
  p.set_position(Progress::Unit::kEventTime, 0);  // past the end: clamped
  EXPECT_DOUBLE_EQ(*done_fraction(p.snapshot()), 1.0);
  // A position in another unit than the extent's is ignored.
  p.set_position(Progress::Unit::kBytes, 3000);
  EXPECT_EQ(*p.snapshot().position, 0);
  p.clear_extent();
  EXPECT_FALSE(done_fraction(p.snapshot()).has_value());
  p.add_page();
  p.add_page();
  EXPECT_EQ(p.snapshot().pages, 2);
}

TEST(Progress, RateMeterUsesTheRecentWindow) {
  RateMeter m(10);
  m.sample(0, 0, 0);
  auto r = m.sample(5, 500, 0.1);
  EXPECT_DOUBLE_EQ(r.first, 100);
  EXPECT_DOUBLE_EQ(r.second, 0.02);
  m.sample(10, 1000, 0.2);
  m.sample(15, 1000, 0.2);  // stalled for 5 s
  r = m.sample(20, 1000, 0.2);
  EXPECT_DOUBLE_EQ(r.first, 0);  // the last 10 s: nothing (from the sample at t = 10)
  r = m.sample(25, 1500, 0.3);
  EXPECT_DOUBLE_EQ(r.first, 500.0 / 10);  // from t = 15
}

TEST(Progress, DurationsAndText) {
  EXPECT_EQ(format_duration(0), "0:00:00");
  EXPECT_EQ(format_duration(65.4), "0:01:05");
  EXPECT_EQ(format_duration(26 * 3600 + 180), "26:03:00");
  EXPECT_EQ(format_duration(-3), "0:00:00");

  ProgressFigures f;
  f.counts.read = 1200;
  f.counts.inserted = 1100;
  f.counts.unchanged = 100;
  f.counts.batches = 3;
  f.where.pages = 6;
  f.where.unit = Progress::Unit::kEventTime;
  f.where.start = 1714521600000;     // 2024-05-01T00:00:00Z
  f.where.end = 1714608000000;       // a day later
  f.where.position = 1714554000000;  // 09:00: 37.5%
  f.records_per_s = 240;
  f.eta_s = 65;
  EXPECT_EQ(pulse::load::progress_text(f),
            "records 1200 (240/s), rejected 0, pages 6, at 2024-05-01T09:00:00Z, 38%, ETA 0:01:05; "
            "rows inserted 1100, updated 0, unchanged 100; batches 3");
  f.eta_s.reset();
  EXPECT_NE(pulse::load::progress_text(f).find("38%, ETA ?"), std::string::npos);

  // JSON members make an object with numbers as numbers.
  f.eta_s = 65;
  std::string obj = "{\"msg\":\"progress\"," + pulse::load::progress_json_members(f) + "}";
  json_error_t err;
  json_t* j = json_loads(obj.c_str(), 0, &err);
  ASSERT_NE(j, nullptr) << obj;
  EXPECT_EQ(json_integer_value(json_object_get(j, "read")), 1200);
  EXPECT_EQ(json_integer_value(json_object_get(j, "pages")), 6);
  EXPECT_STREQ(json_string_value(json_object_get(j, "position")), "2024-05-01T09:00:00Z");
  EXPECT_DOUBLE_EQ(json_real_value(json_object_get(j, "done")), 0.375);
  EXPECT_EQ(json_integer_value(json_object_get(j, "eta_s")), 65);
  json_decref(j);

  // A file: bytes of its size, no event time.
  ProgressFigures b;
  b.where.unit = Progress::Unit::kBytes;
  b.where.start = 0;
  b.where.end = 50 * 1048576;
  b.where.position = 20 * 1048576;
  EXPECT_NE(pulse::load::progress_text(b).find("at 20.0 MiB of 50.0 MiB, 40%"), std::string::npos)
      << pulse::load::progress_text(b);
  // No extent (an endless --follow): position only, no share or ETA.
  ProgressFigures e;
  e.where.position = 1714554000000;
  std::string t = pulse::load::progress_text(e);
  EXPECT_NE(t.find("at 2024-05-01T09:00:00Z;"), std::string::npos) << t;
  EXPECT_EQ(t.find("ETA"), std::string::npos) << t;
}
