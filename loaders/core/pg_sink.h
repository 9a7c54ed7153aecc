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
//
// Two sessions: when the next batch is already queued, PgSink begins it in
// a second session of its own (BEGIN, the COPY of its landing records, and
// for tweets their projection, pulse_internal.stage_ahead) while the current
// batch applies in the first, so the server parses and projects one batch
// while it merges the other. Its apply_batch is sent
// only after the current batch committed, and it commits after that, so
// batches still apply and commit one at a time, in order, each exactly
// once. That transaction names the lease holder's pid in
// pulse.stream_lease_holder, which pulse_internal.claim_stream admits (and
// apply_batch then refuses a batch that does not follow the checkpoint); its
// application_name is the first session's with " (2)".
// The two sessions then swap roles. On any failure the batch begun ahead is
// rolled back (its session dropped) and the failed batch is redone in the
// first session as before.
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
  ApplyCounts write(const Batch& b, const Batch* next) override;

 private:
  // Where server messages of a session go: the log, and whether apply_batch
  // said "already applied" in it.
  struct NoticeTarget {
    PgSink* sink = nullptr;
    bool already_applied = false;
  };
  // A batch begun ahead: its transaction is open in session `lane` (0: the
  // lease holder's, 1: the second), its records COPYed (and projected, by
  // stage_ahead); its apply_batch is sent when the batch before it has
  // committed.
  struct Ahead {
    int64_t batch_id = 0;
    int lane = 0;
    size_t records = 0;
    std::string checkpoint;
    int64_t loader_rejects = 0;
  };
  PGconn* lane_conn(int lane) const { return lane == 0 ? conn_.get() : helper_.get(); }
  // Begins batch `id` in session `lane`: BEGIN and its COPY, then, when
  // apply_now, apply_batch sent without waiting for it, else
  // pulse_internal.stage_ahead (its projection, before its turn).
  bool begin_ahead(int lane, const Batch& b, int64_t id, bool apply_now, int64_t& loader_rejects, std::string& err,
                   std::string& sqlstate);
  // Waits for the begun batch's apply_batch, records its coverage, COMMITs.
  // *broken: the session was lost on the way (its COMMIT may have made it).
  bool finish_ahead(const Ahead& a, const Batch& b, ApplyCounts& out, bool* broken, std::string& err,
                    std::string& sqlstate);
  // Rolls back what `lane` has open: the second session is dropped (its
  // server process ends, and with it the transaction, even one waiting for a
  // lock; with make_sure_gone, waited for); the first gets a cancel and a
  // ROLLBACK.
  void abandon(int lane, bool make_sure_gone = false);
  bool ensure_helper();
  bool record_coverage(PGconn* c, const Batch& b, std::string& err, std::string& sqlstate);
  ApplyCounts write_from(const Batch& b, bool uncertain);
  // A batch that failed in a pipelined session: drops that session's
  // transaction and writes the batch the careful way (write_from);
  // broken: the session was lost, so its COMMIT may have made it.
  ApplyCounts redo(const Batch& b, int lane, bool broken, const std::string& err);
  // The error of a batch apply_batch found already applied (`at`: where the
  // checkpoint was).
  DbError not_applied(int64_t batch_id, const std::string& at) const;
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
  NoticeTarget notices_[2];
  PgConnPtr helper_;             // the second session (no lease of its own)
  int helper_pid_ = 0;
  std::optional<Ahead> ahead_;
  bool stage_ahead_ = true;      // the extension has pulse_internal.stage_ahead
  // pulse.declare_coverage exists and we may call it (an extension from
  // before 0.2.0 has none: the loader then records no coverage, and says so).
  bool can_declare_coverage_ = true;
  bool landing_chunks_ = true;
  bool said_no_coverage_ = false;
  bool said_older_extension_ = false;  // the extension is an older one this loader still loads into
};

}  // namespace pulse::load
