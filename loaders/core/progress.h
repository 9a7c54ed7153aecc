// Progress of a run: what the source reports (pages fetched, the position it
// reached, and the extent of the work when it is known: a backfill's range,
// a file's size) and the pipeline's counts, turned into a status line with
// rate, position, share done and ETA. On a terminal one line is redrawn; in
// a log (a file, a pipe, journald) a line is written every
// --progress-interval seconds, so a long run is never silent between its
// first and last line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/log.h"

namespace pulse::load {

class Progress {
 public:
  enum class Unit { kEventTime, kBytes };  // event time: epoch ms
  struct Snapshot {
    int64_t pages = 0;
    Unit unit = Unit::kEventTime;
    std::optional<int64_t> position;          // where the source is
    std::optional<int64_t> start, end;        // the extent; start > end when it runs backwards
  };

  // One more page (an API response, or a saved response of a --file).
  void add_page();
  // The work runs from `start` to `end` (end < start: backwards, as Upbit
  // pages newest first); the position starts at `start`.
  void set_extent(Unit unit, int64_t start, int64_t end);
  // Where the source is: in the extent's unit, or without an extent (an
  // endless --follow) the newest event time seen.
  void set_position(Unit unit, int64_t at);
  // Leaves the extent (a backfill done, --follow from here on).
  void clear_extent();
  Snapshot snapshot() const;

 private:
  mutable std::mutex mu_;
  Snapshot s_;
};

// Share of the extent done (0..1), nullopt without an extent and position.
std::optional<double> done_fraction(const Progress::Snapshot& s);

// One progress report's figures.
struct ProgressFigures {
  Counts counts;
  Progress::Snapshot where;
  double elapsed_s = 0;
  double records_per_s = 0;          // over the recent window
  std::optional<double> eta_s;       // when the extent and a rate through it are known
};

// "records 1200 (240/s), rejected 0, pages 6, at 2024-05-01T09:00:00Z, 45%,
// ETA 0:01:05; rows inserted 1100, updated 0, unchanged 100; batches 3"
std::string progress_text(const ProgressFigures& f);
// The same as JSON object members (after "msg":"progress").
std::string progress_json_members(const ProgressFigures& f);
std::string format_duration(double seconds);  // 0:01:05, 26:03:00

// Rates over a sliding window of samples (records and extent done).
class RateMeter {
 public:
  explicit RateMeter(double window_s) : window_s_(window_s) {}
  // Adds a sample and returns {records/s, extent units/s} over the window
  // (from the oldest sample in it; the start of the run when it is young).
  std::pair<double, double> sample(double t_s, int64_t records, double done_units);

 private:
  struct Point {
    double t, done;
    int64_t records;
  };
  double window_s_;
  std::deque<Point> points_;
};

// Reports progress from a thread of its own while the run goes on: redraws
// the terminal's line twice a second, or writes a log line every
// `interval_s` (0: never). Stops (and joins) on destruction.
class ProgressReporter {
 public:
  ProgressReporter(Logger& log, const Progress& progress, std::function<Counts()> counts, int interval_s);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

 private:
  void loop(std::chrono::milliseconds tick, bool redraw);
  Logger& log_;
  const Progress& progress_;
  std::function<Counts()> counts_;
  std::chrono::steady_clock::time_point started_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace pulse::load
