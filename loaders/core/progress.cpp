// See progress.h.
#include "core/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/timefmt.h"

namespace pulse::load {

void Progress::add_page() {
  std::lock_guard<std::mutex> lock(mu_);
  ++s_.pages;
}

void Progress::set_extent(Unit unit, int64_t start, int64_t end) {
  std::lock_guard<std::mutex> lock(mu_);
  s_.unit = unit;
  s_.start = start;
  s_.end = end;
  s_.position = start;
}

void Progress::set_position(Unit unit, int64_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  if (s_.start && s_.unit != unit) return;  // another unit than the extent's
  s_.unit = unit;
  s_.position = at;
}

void Progress::clear_extent() {
  std::lock_guard<std::mutex> lock(mu_);
  s_.start.reset();
  s_.end.reset();
}

Progress::Snapshot Progress::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return s_;
}

std::optional<double> done_fraction(const Progress::Snapshot& s) {
  if (!s.start || !s.end || !s.position || *s.start == *s.end) return std::nullopt;
  double total = std::fabs(double(*s.end) - double(*s.start));
  double done = std::fabs(double(*s.position) - double(*s.start));
  return std::clamp(done / total, 0.0, 1.0);
}

std::string format_duration(double seconds) {
  long long s = seconds < 0 ? 0 : (long long)std::llround(seconds);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

namespace {

std::string bytes_text(int64_t b) {
  char buf[32];
  if (b < 10 * 1024) std::snprintf(buf, sizeof buf, "%lld B", (long long)b);
  else if (b < 10LL * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  else if (b < 10LL * 1024 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", b / 1048576.0);
  else std::snprintf(buf, sizeof buf, "%.1f GiB", b / 1073741824.0);
  return buf;
}

std::string position_text(const Progress::Snapshot& s) {
  if (!s.position) return "";
  if (s.unit == Progress::Unit::kBytes) {
    std::string t = bytes_text(*s.position);
    if (s.end) t += " of " + bytes_text(std::max(*s.start, *s.end));
    return t;
  }
  return format_utc(*s.position);
}

}  // namespace

std::string progress_text(const ProgressFigures& f) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "records %lld (%.0f/s), rejected %lld, pages %lld", (long long)f.counts.read,
                f.records_per_s, (long long)f.counts.rejected, (long long)f.where.pages);
  std::string t = buf;
  std::string pos = position_text(f.where);
  if (!pos.empty()) t += ", at " + pos;
  if (auto frac = done_fraction(f.where)) {
    std::snprintf(buf, sizeof buf, ", %.0f%%", *frac * 100);
    t += buf;
    t += f.eta_s ? ", ETA " + format_duration(*f.eta_s) : ", ETA ?";
  }
  std::snprintf(buf, sizeof buf, "; rows inserted %lld, updated %lld, unchanged %lld; batches %lld",
                (long long)f.counts.inserted, (long long)f.counts.updated, (long long)f.counts.unchanged,
                (long long)f.counts.batches);
  return t + buf;
}

std::string progress_json_members(const ProgressFigures& f) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "\"pages\":%lld,\"read\":%lld,\"rejected\":%lld,\"inserted\":%lld,\"updated\":%lld,\"unchanged\":%lld,"
                "\"batches\":%lld,\"seconds\":%.3f,\"records_per_s\":%.1f",
                (long long)f.where.pages, (long long)f.counts.read, (long long)f.counts.rejected,
                (long long)f.counts.inserted, (long long)f.counts.updated, (long long)f.counts.unchanged,
                (long long)f.counts.batches, f.elapsed_s, f.records_per_s);
  std::string j = buf;
  std::string pos = position_text(f.where);
  if (!pos.empty()) j += ",\"position\":\"" + pos + "\"";  // digits, letters, '.', ':', '-', ' '
  if (auto frac = done_fraction(f.where)) {
    std::snprintf(buf, sizeof buf, ",\"done\":%.4f", *frac);
    j += buf;
    if (f.eta_s) {
      std::snprintf(buf, sizeof buf, ",\"eta_s\":%.0f", *f.eta_s);
      j += buf;
    }
  }
  return j;
}

std::pair<double, double> RateMeter::sample(double t, int64_t records, double done) {
  points_.push_back({t, done, records});
  // Keep one point at or before the window's start to measure from.
  while (points_.size() > 2 && points_[1].t <= t - window_s_) points_.pop_front();
  const Point& from = points_.front();
  double dt = t - from.t;
  if (dt <= 0) return {0, 0};
  return {double(records - from.records) / dt, (done - from.done) / dt};
}

ProgressReporter::ProgressReporter(Logger& log, const Progress& progress, std::function<Counts()> counts,
                                   int interval_s)
    : log_(log), progress_(progress), counts_(std::move(counts)), started_(std::chrono::steady_clock::now()) {
  if (log.quiet()) return;
  if (log.redraws()) {
    thread_ = std::thread([this] { loop(std::chrono::milliseconds(500), true); });
  } else if (interval_s > 0) {
    thread_ = std::thread([this, interval_s] { loop(std::chrono::seconds(interval_s), false); });
  }
}

ProgressReporter::~ProgressReporter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProgressReporter::loop(std::chrono::milliseconds tick, bool redraw) {
  // Rates over the last 10 s on a terminal, over the last interval in a log.
  RateMeter meter(redraw ? 10.0 : std::chrono::duration<double>(tick).count());
  meter.sample(0, 0, 0);
  std::unique_lock<std::mutex> lock(mu_);
  auto next = started_ + tick;
  while (!cv_.wait_until(lock, next, [this] { return stop_; })) {
    // The next report a tick after this one, not a burst to catch up after
    // a stall.
    next = std::max(next + tick, std::chrono::steady_clock::now() + tick / 2);
    lock.unlock();
    ProgressFigures f;
    f.counts = counts_();
    f.where = progress_.snapshot();
    f.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    auto frac = done_fraction(f.where);
    auto [rps, done_per_s] = meter.sample(f.elapsed_s, f.counts.read, frac.value_or(0));
    f.records_per_s = rps;
    if (frac && done_per_s > 0) f.eta_s = (1.0 - *frac) / done_per_s;
    if (redraw) log_.status_line(progress_text(f));
    else log_.progress_line(progress_text(f), progress_json_members(f));
    lock.lock();
  }
}

}  // namespace pulse::load
