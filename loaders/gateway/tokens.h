// The ingest tokens pulse-gateway accepts: the SHA-256 hashes of the live
// tokens per stream, read from pulse_internal.ingest_tokens (role
// pulse_gateway) into memory and read again on NOTIFY pulse_ingest_tokens
// (sent at commit by pulse.create_ingest_token and revoke_ingest_token) and
// every `refresh`. A presented token is hashed and compared with every hash
// of its stream in constant time (nettle's memeql_sec), so the time taken
// says nothing about how much of a hash matched.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nettle/sha2.h>

#include "core/log.h"

namespace pulse::gateway {

using Sha256 = std::array<uint8_t, 32>;
Sha256 sha256(std::string_view data);

// Incremental SHA-256 (an Idempotency-Key request's fingerprint).
class Sha256Stream {
 public:
  Sha256Stream();
  void update(std::string_view data);
  Sha256 digest();

 private:
  sha256_ctx ctx_;
};

std::string hex(const Sha256& h);

class TokenStore {
 public:
  TokenStore(std::string conninfo, std::chrono::milliseconds refresh, pulse::load::Logger& log);
  ~TokenStore();
  // Loads the tokens once (throws pulse::load::DbError when it cannot), then
  // keeps them fresh from a thread of its own.
  void start();
  void stop();
  // Whether `token` is a live token of `stream`.
  bool check(const std::string& stream, std::string_view token) const;
  int64_t reloads() const { return reloads_.load(); }

 private:
  using Table = std::map<std::string, std::vector<Sha256>>;
  std::shared_ptr<const Table> load(void* conn);
  void run();
  std::string conninfo_;
  std::chrono::milliseconds refresh_;
  pulse::load::Logger& log_;
  mutable std::mutex mu_;
  std::shared_ptr<const Table> table_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> reloads_{0};
  std::thread thread_;
};

}  // namespace pulse::gateway
