// pulse-gateway's counters and histograms, written as Prometheus text
// (exposition format 0.0.4) for GET /metrics. A dozen series with fixed
// labels, so written here: Debian's prometheus-cpp-dev would serve them too,
// but brings its pull server (civetweb) and push client along for what is a
// hundred lines of counters and text.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace pulse::gateway {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  void write(std::string& out, const std::string& name) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative), +Inf last
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void request(int code);
  std::atomic<uint64_t> records_accepted{0}, records_rejected{0}, commits{0}, commit_failures{0}, body_bytes{0};
  std::atomic<int64_t> queue_bytes{0}, queue_requests{0}, connections{0};
  std::atomic<int> database_up{0};
  Histogram commit_seconds, batch_records, batch_requests, ack_seconds;
  std::string text() const;

 private:
  mutable std::mutex mu_;
  std::map<int, uint64_t> by_code_;
};

}  // namespace pulse::gateway
