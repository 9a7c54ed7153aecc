// See metrics.h.
#include "gateway/metrics.h"

#include <cstdio>

namespace pulse::gateway {
namespace {

std::string num(double v, int digits = 6) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::write(std::string& out, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t cum = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cum += counts_[i];
    out += name + "_bucket{le=\"" + num(bounds_[i]) + "\"} " + std::to_string(cum) + "\n";
  }
  cum += counts_.back();
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(cum) + "\n";
  out += name + "_sum " + num(sum_, 12) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : commit_seconds({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
      batch_records({1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000}),
      batch_requests({1, 2, 4, 8, 16, 32, 64, 128, 256}),
      ack_seconds({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}) {}

void Metrics::request(int code) {
  std::lock_guard<std::mutex> lock(mu_);
  ++by_code_[code];
}

std::string Metrics::text() const {
  std::string out;
  out += "# HELP pulse_gateway_requests_total HTTP requests answered, by status code.\n";
  out += "# TYPE pulse_gateway_requests_total counter\n";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [code, n] : by_code_)
      out += "pulse_gateway_requests_total{code=\"" + std::to_string(code) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP pulse_gateway_records_total Records of answered requests: accepted (stored in pulse.landing) or rejected (in pulse.rejects).\n";
  out += "# TYPE pulse_gateway_records_total counter\n";
  out += "pulse_gateway_records_total{result=\"accepted\"} " + std::to_string(records_accepted.load()) + "\n";
  out += "pulse_gateway_records_total{result=\"rejected\"} " + std::to_string(records_rejected.load()) + "\n";
  out += "# HELP pulse_gateway_body_bytes_total Bytes of request bodies received.\n";
  out += "# TYPE pulse_gateway_body_bytes_total counter\n";
  out += "pulse_gateway_body_bytes_total " + std::to_string(body_bytes.load()) + "\n";
  out += "# HELP pulse_gateway_commits_total Group-commit transactions committed.\n";
  out += "# TYPE pulse_gateway_commits_total counter\n";
  out += "pulse_gateway_commits_total " + std::to_string(commits.load()) + "\n";
  out += "# HELP pulse_gateway_commit_failures_total Transactions that failed and were retried or answered with an error.\n";
  out += "# TYPE pulse_gateway_commit_failures_total counter\n";
  out += "pulse_gateway_commit_failures_total " + std::to_string(commit_failures.load()) + "\n";
  out += "# HELP pulse_gateway_commit_seconds Time of one group-commit transaction, BEGIN to COMMIT.\n";
  out += "# TYPE pulse_gateway_commit_seconds histogram\n";
  commit_seconds.write(out, "pulse_gateway_commit_seconds");
  out += "# HELP pulse_gateway_batch_records Records per group-commit transaction.\n";
  out += "# TYPE pulse_gateway_batch_records histogram\n";
  batch_records.write(out, "pulse_gateway_batch_records");
  out += "# HELP pulse_gateway_batch_requests Requests per group-commit transaction.\n";
  out += "# TYPE pulse_gateway_batch_requests histogram\n";
  batch_requests.write(out, "pulse_gateway_batch_requests");
  out += "# HELP pulse_gateway_ack_seconds From a request's whole body to its answer being ready.\n";
  out += "# TYPE pulse_gateway_ack_seconds histogram\n";
  ack_seconds.write(out, "pulse_gateway_ack_seconds");
  out += "# HELP pulse_gateway_queue_bytes Bytes of request bodies held, waiting for or in a commit.\n";
  out += "# TYPE pulse_gateway_queue_bytes gauge\n";
  out += "pulse_gateway_queue_bytes " + std::to_string(queue_bytes.load()) + "\n";
  out += "# HELP pulse_gateway_queue_requests Requests waiting for or in a commit.\n";
  out += "# TYPE pulse_gateway_queue_requests gauge\n";
  out += "pulse_gateway_queue_requests " + std::to_string(queue_requests.load()) + "\n";
  out += "# HELP pulse_gateway_connections Open client connections.\n";
  out += "# TYPE pulse_gateway_connections gauge\n";
  out += "pulse_gateway_connections " + std::to_string(connections.load()) + "\n";
  out += "# HELP pulse_gateway_database_up 1 while the committer's database connection works.\n";
  out += "# TYPE pulse_gateway_database_up gauge\n";
  out += "pulse_gateway_database_up " + std::to_string(database_up.load()) + "\n";
  return out;
}

}  // namespace pulse::gateway
