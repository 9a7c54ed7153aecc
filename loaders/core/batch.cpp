// See batch.h.
#include "core/batch.h"

namespace pulse::load {

void Batcher::add(Record r, std::chrono::steady_clock::time_point now) {
  if (!pending()) first_at_ = now;
  cur_.bytes += r.payload.size();
  cur_.records.push_back(std::move(r));
}

Batch Batcher::take() {
  Batch b = std::move(cur_);
  b.checkpoint = checkpoint_;
  cur_ = Batch{};
  dirty_ = false;
  return b;
}

Pipeline::Pipeline(Sink& sink, BatchLimits limits, Logger& log)
    : sink_(sink), log_(log), batcher_(limits), writer_([this] { writer_loop(); }) {}

Pipeline::~Pipeline() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_writer_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void Pipeline::rethrow_locked() {
  if (failure_) std::rethrow_exception(failure_);
}

void Pipeline::enqueue_locked(std::unique_lock<std::mutex>& lock) {
  // Backpressure: wait for room in the queue (the writer may be retrying a
  // database outage; the source then stops reading).
  cv_source_.wait(lock, [&] { return queue_.size() < batcher_.limits().queue_batches || failure_; });
  rethrow_locked();
  queue_.push_back(batcher_.take());
  cv_writer_.notify_all();
}

void Pipeline::add(Record r) {
  std::unique_lock<std::mutex> lock(mu_);
  rethrow_locked();
  ++counts_.read;
  batcher_.add(std::move(r), std::chrono::steady_clock::now());
  if (batcher_.full()) enqueue_locked(lock);
  else cv_writer_.notify_all();  // the writer starts its interval timer
}

void Pipeline::add(Record r, std::string checkpoint_after) {
  std::unique_lock<std::mutex> lock(mu_);
  rethrow_locked();
  ++counts_.read;
  batcher_.add(std::move(r), std::chrono::steady_clock::now());
  batcher_.set_checkpoint(std::move(checkpoint_after));
  if (batcher_.full()) enqueue_locked(lock);
  else cv_writer_.notify_all();
}

void Pipeline::set_checkpoint(std::string cp) {
  std::lock_guard<std::mutex> lock(mu_);
  bool was_pending = batcher_.pending();
  batcher_.set_checkpoint(std::move(cp));
  if (!was_pending) cv_writer_.notify_all();
}

void Pipeline::add_coverage(CoverageSpan span) {
  std::lock_guard<std::mutex> lock(mu_);
  bool was_pending = batcher_.pending();
  batcher_.add_coverage(std::move(span));
  if (!was_pending && batcher_.pending()) cv_writer_.notify_all();
}

void Pipeline::set_checkpoint(std::string cp, CoverageSpan span) {
  std::lock_guard<std::mutex> lock(mu_);
  bool was_pending = batcher_.pending();
  batcher_.set_checkpoint(std::move(cp));
  batcher_.add_coverage(std::move(span));
  if (!was_pending) cv_writer_.notify_all();
}

void Pipeline::flush() {
  std::unique_lock<std::mutex> lock(mu_);
  rethrow_locked();
  if (batcher_.pending()) enqueue_locked(lock);
}

Counts Pipeline::finish() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!failure_ && batcher_.pending()) enqueue_locked(lock);
    closing_ = true;
  }
  cv_writer_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::lock_guard<std::mutex> lock(mu_);
  rethrow_locked();
  return counts_;
}

Counts Pipeline::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void Pipeline::writer_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (queue_.empty()) {
      auto now = std::chrono::steady_clock::now();
      if (batcher_.due(now)) {
        queue_.push_back(batcher_.take());
      } else if (closing_) {
        return;
      } else if (batcher_.pending()) {
        cv_writer_.wait_until(lock, batcher_.first_at() + batcher_.limits().interval);
        continue;
      } else {
        cv_writer_.wait(lock);
        continue;
      }
    }
    Batch b = std::move(queue_.front());
    queue_.pop_front();
    // The batch after it, when already queued: only this thread removes
    // queued batches, and adding to a deque leaves its elements in place.
    const Batch* next = queue_.empty() ? nullptr : &queue_.front();
    cv_source_.notify_all();
    writing_ = true;
    lock.unlock();
    ApplyCounts c;
    std::exception_ptr err;
    try {
      c = sink_.write(b, next);
    } catch (...) {
      err = std::current_exception();
    }
    lock.lock();
    writing_ = false;
    if (err) {
      failure_ = err;
      queue_.clear();
      cv_source_.notify_all();
      return;
    }
    counts_.inserted += c.inserted;
    counts_.updated += c.updated;
    counts_.unchanged += c.unchanged;
    counts_.rejected += c.rejected;
    ++counts_.batches;
  }
}

}  // namespace pulse::load
