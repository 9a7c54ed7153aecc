// Micro-batching between a source and the database, like Firehose's buffer
// hints: a batch is cut at --batch-rows records, --batch-bytes bytes or
// --flush-interval ms, whichever comes first. A bounded queue between the
// fetching thread and the writing thread lets both work at once; when it is
// full the source blocks (backpressure), so a database outage stops reading.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/coverage.h"
#include "core/log.h"

namespace pulse::load {

// One record as the loader received it.
struct Record {
  std::string format;         // landing format: upbit, binance, twitter_v2, ...
  std::string payload;        // valid JSON text for pulse.landing.payload; when
                              // reject_reason is set: the raw bytes as received
  std::string reject_reason;  // non-empty: goes to pulse.rejects, not landing
};

struct Batch {
  std::vector<Record> records;
  size_t bytes = 0;
  std::string checkpoint = "{}";  // JSON: the source position after this batch
  // Event time this batch completes (pulse.declare_coverage in its
  // transaction). Added after the records it covers, so it is never
  // committed before them; a batch may carry coverage and no records.
  std::vector<CoverageSpan> coverage;
};

struct BatchLimits {
  size_t rows = 5000;
  size_t bytes = 8u << 20;
  std::chrono::milliseconds interval{1000};
  size_t queue_batches = 2;  // full batches waiting for the writer
};

// The cutting rules alone (no threads), for unit tests and the pipeline.
class Batcher {
 public:
  explicit Batcher(BatchLimits l) : limits_(l) {}
  void add(Record r, std::chrono::steady_clock::time_point now);
  void set_checkpoint(std::string cp) { checkpoint_ = std::move(cp); dirty_ = true; }
  void add_coverage(CoverageSpan s) {
    if (s.empty()) return;
    merge_coverage(cur_.coverage, std::move(s));
    dirty_ = true;
  }
  bool full() const { return cur_.records.size() >= limits_.rows || cur_.bytes >= limits_.bytes; }
  // Time to flush: something pending and the oldest pending thing is older
  // than the interval.
  bool due(std::chrono::steady_clock::time_point now) const {
    return pending() && now - first_at_ >= limits_.interval;
  }
  bool pending() const { return !cur_.records.empty() || dirty_; }
  std::chrono::steady_clock::time_point first_at() const { return first_at_; }
  // Moves the pending records out with the latest checkpoint.
  Batch take();
  const BatchLimits& limits() const { return limits_; }

 private:
  BatchLimits limits_;
  Batch cur_;
  std::string checkpoint_ = "{}";
  bool dirty_ = false;
  std::chrono::steady_clock::time_point first_at_{};
};

struct ApplyCounts {
  int64_t inserted = 0, updated = 0, unchanged = 0, rejected = 0;
};

// Where batches go (PgSink in production). write() must either apply the batch
// exactly once or throw; it is called from the writer thread only.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual ApplyCounts write(const Batch& b) = 0;
  // The same, told the batch that comes next when it is already queued: a
  // sink may start on it while b applies (it is then the next write's b,
  // unchanged). Nothing of `next` may be committed by this call.
  virtual ApplyCounts write(const Batch& b, const Batch* next) {
    (void)next;
    return write(b);
  }
};

class Pipeline {
 public:
  Pipeline(Sink& sink, BatchLimits limits, Logger& log);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Source side. add() blocks while the queue is full; it throws the writer's
  // exception if the writer failed.
  void add(Record r);
  // add() and set_checkpoint() under one lock: the batch that carries this
  // record carries this checkpoint too (a record-exact resume position), even
  // when the writer cuts the batch by time between the two.
  void add(Record r, std::string checkpoint_after);
  void set_checkpoint(std::string checkpoint_json);
  // Coverage completed by what was added so far (and by this checkpoint,
  // when given): it goes with the batch holding the last of those records,
  // or a later one, never an earlier one.
  void add_coverage(CoverageSpan span);
  void set_checkpoint(std::string checkpoint_json, CoverageSpan span);
  // Cuts the pending batch now (end of a page in follow mode, say).
  void flush();
  // Flushes, waits for the writer to drain, stops it; rethrows its failure.
  Counts finish();

  Counts counts() const;

 private:
  void writer_loop();
  void enqueue_locked(std::unique_lock<std::mutex>& lock);
  void rethrow_locked();

  Sink& sink_;
  Logger& log_;
  Batcher batcher_;
  std::deque<Batch> queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_writer_, cv_source_;
  bool closing_ = false;
  bool writing_ = false;
  std::exception_ptr failure_;
  Counts counts_;
  std::thread writer_;
};

}  // namespace pulse::load
