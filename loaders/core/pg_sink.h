// The database side of the loaders: a libpq connection (RAII), and PgSink,
// which writes one batch as one transaction (COPY into pulse.landing and
// pulse.rejects, then pulse.apply_batch with the checkpoint) and survives
// database outages by reconnecting and redoing the batch exactly once.
//
// A stream belongs to one running loader at a time: PgSink holds the
// stream's lease, a session-level advisory lock on
// hashtextextended('pulse.stream:' || stream, 0), from before it reads the
// checkpoint until the process ends, and takes it again after every
// reconnect. A second loader of the stream is refused (exit 2, naming the
// holder) or waits for it (--wait-for-stream).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/log.h"
#include "core/pg_write.h"

namespace pulse::load {

// SIGINT/SIGTERM arrived while waiting for the stream's lease; nothing was
// loaded.
class StoppedWaiting : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SinkOptions {
  std::string conninfo;  // "" means libpq's defaults (PG* variables, service file, .pgpass)
  std::string stream;
  // Shown in pg_stat_activity (unless the user set one), so that the holder
  // of a stream's lease can be named: "pulse-load tweets <stream>".
  std::string application_name = "pulse-load";
  bool wait_for_stream = false;  // wait for the lease instead of exit 2
};

class PgSink : public Sink {
 public:
  // Connects, checks the extension and the role's privileges, takes the
  // stream's lease (or waits for it), then reads the checkpoint. Throws
  // DbError (exit_code 2 or 4) or StoppedWaiting.
  PgSink(SinkOptions opts, Logger& log);

  // The stream's checkpoint, read at start; batch ids continue from it.
  std::optional<CheckpointRow> checkpoint() const { return start_; }

  ApplyCounts write(const Batch& b) override;

 private:
  // first: at start (may wait for the lease); otherwise a reconnect, which
  // must get the lease at once.
  void connect(bool first);
  void take_lease(bool first);
  void wait_for_lease();
  static void on_notice(void* self, const PGresult* res);
  bool try_write(const Batch& b, int64_t batch_id, bool isolate, ApplyCounts& out, std::string& err,
                 std::string& sqlstate);
  PgConnPtr conn_;
  SinkOptions opts_;
  std::string stream_;
  Logger& log_;
  std::optional<CheckpointRow> start_;
  int64_t next_batch_id_ = 1;
  int backend_pid_ = 0;          // of the current connection
  std::string commit_xid_;       // the transaction of the batch last sent to COMMIT
  bool already_applied_notice_ = false;
  // pulse.declare_coverage exists and we may call it (an extension from
  // before 0.2.0 has none: the loader then records no coverage, and says so).
  bool can_declare_coverage_ = true;
  bool landing_chunks_ = true;
  bool said_no_coverage_ = false;
  bool said_older_extension_ = false;  // the extension is an older one this loader still loads into
};

}  // namespace pulse::load
