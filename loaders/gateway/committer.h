// Group commit: the HTTP threads queue parsed requests here, and one
// committer thread takes every request waiting (up to --batch-records and
// --batch-bytes), writes them in one transaction (per stream one batch:
// COPY into pulse.landing and pulse.rejects, pulse.apply_batch with the
// checkpoint, the Idempotency-Keys with their answers), commits, and only
// then answers them all. While that transaction runs the next requests
// queue up, so the commit rate adapts to the load: one client waits one
// commit, many clients share each.
//
// Exactly once: a request's records are all in one transaction, so after
// any crash they are all stored or none. A lost connection during COMMIT is
// resolved by looking for what that transaction wrote (a landing row with
// its xid and pos, or the nonce it put in a checkpoint); the group is redone
// only when it is not there. A stream is written by one gateway
// session at a time: the committer holds its lease (the loaders' advisory
// lock) from its first request on, and a stream leased by someone else
// (a running pulse-load) gets 409.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/pg_write.h"
#include "gateway/metrics.h"
#include "gateway/request.h"
#include "gateway/tokens.h"

namespace pulse::gateway {

struct Pending {
  std::string stream, format;
  std::string key;  // Idempotency-Key, "" when none
  Sha256 fingerprint{};
  std::vector<Item> items;
  std::chrono::steady_clock::time_point queued_at;
  // The answer, set once by the committer before done() runs.
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::function<void()> done;
  // Committer's scratch.
  std::vector<size_t> batch_index;  // per item: its index in the stream's batch
  std::vector<ItemResult> results;
  bool skip = false;  // answered without writing (replay, conflict)
};

struct CommitterOptions {
  std::string conninfo;
  size_t batch_records = 50000;
  size_t batch_bytes = 64u << 20;
  std::chrono::milliseconds batch_wait{0};      // wait this long for more requests
  std::chrono::milliseconds queue_timeout{30000};  // 503 for requests not taken by then
  std::chrono::seconds key_ttl{86400};
  std::chrono::seconds lease_idle{300};  // release a stream's lease after this long unused
};

class Committer {
 public:
  Committer(CommitterOptions opts, Metrics& metrics, pulse::load::Logger& log);
  ~Committer();
  // Connects and checks the database (throws pulse::load::DbError), then
  // starts the committer thread.
  void start();
  // Queues a request; false once draining started (answer 503 instead).
  bool submit(std::shared_ptr<Pending> p);
  // Stops taking requests, commits and answers every queued one, ends the
  // thread. Returns false if that did not finish within `limit`.
  bool drain(std::chrono::milliseconds limit);
  bool database_up() const { return metrics_.database_up.load() != 0; }

 private:
  void run();
  void connect();
  void commit_group(std::vector<std::shared_ptr<Pending>>& group);
  bool attempt(std::vector<std::shared_ptr<Pending>>& live, bool isolate, std::string& xid, std::string& err,
               std::string& sqlstate);
  std::string lease(const std::string& stream);  // "" when ours, else why not
  void take_expired(std::vector<std::shared_ptr<Pending>>& out);  // under mu_
  void answer_expired(std::vector<std::shared_ptr<Pending>>& expired);
  void housekeeping();
  void check_connection();
  void answer(Pending& p, int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {});
  static void on_notice(void* self, const PGresult* res);

  CommitterOptions opts_;
  Metrics& metrics_;
  pulse::load::Logger& log_;
  std::mutex mu_;
  std::condition_variable cv_, cv_drained_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool draining_ = false, finished_ = false;
  std::thread thread_;
  // The committer thread's own.
  pulse::load::PgConnPtr conn_;
  int backend_pid_ = 0;
  bool already_applied_notice_ = false;
  struct Lease {
    int64_t next_batch = 1;
    std::chrono::steady_clock::time_point used;
  };
  std::map<std::string, Lease> leases_;
  std::chrono::steady_clock::time_point last_housekeeping_{}, last_check_{};
  // What tells, after a lost connection, whether the last COMMIT made it:
  // one of its landing rows (stream, batch, pos and writing transaction) or
  // the random nonce it put in that stream's checkpoint. Not the xid alone:
  // after a crash, ids whose work never reached the WAL are handed out again.
  struct Probe {
    bool commit_sent = false;
    std::string stream, batch_id, pos = "0", xid = "0", nonce;
  };
  Probe probe_;
  bool committed_before(const Probe& p);
};

}  // namespace pulse::gateway
