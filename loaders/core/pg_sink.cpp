// See pg_sink.h. Exactly-once: the checkpoint (with the batch id) is written
// by apply_batch in the batch's own transaction. When the connection breaks
// while a batch is in flight, we cannot know whether COMMIT made it; after
// reconnecting we read the checkpoint back: batch id reached means it
// committed (do not redo), otherwise it rolled back (redo it whole).
#include "core/pg_sink.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <initializer_list>

#include "core/backoff.h"
#include "core/cli.h"
#include "core/version.h"

namespace pulse::load {

PgSink::PgSink(SinkOptions opts, Logger& log) : opts_(std::move(opts)), stream_(opts_.stream), log_(log) {
  notices_[0].sink = this;
  notices_[1].sink = this;
  // A connection that breaks while the loader starts (set-up, lease,
  // checkpoint) is made again, as during batches; one that cannot be made at
  // all (wrong --db, server down) is an error at once, as before.
  Backoff backoff(Millis(200), Millis(5000));
  for (bool first = true;; first = false) {
    try {
      connect(first);
      start_ = read_checkpoint(conn_.get(), stream_);
      break;
    } catch (const DbConnectError& e) {
      if (backend_pid_ == 0 || backoff.attempts() >= 8) throw;
      log_.warn(std::string("lost the database connection while starting (") + e.what() + "); reconnecting");
      if (!sleep_unless(backoff.next(), stop_requested())) throw;
    }
  }
  if (start_) next_batch_id_ = start_->batch_id + 1;
}

// Server messages below ERROR (NOTICE, WARNING, ...) go through the logger,
// so --log-format json stays one JSON object a line; libpq's default would
// print "NOTICE:  ..." on stderr.
void PgSink::on_notice(void* self, const PGresult* res) {
  auto* target = static_cast<NoticeTarget*>(self);
  PgSink* sink = target->sink;
  const char* sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (!sev) sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
  const char* code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  std::string msg = primary ? primary : PQresultErrorMessage(res);
  if (msg.find("already applied") != std::string::npos) target->already_applied = true;
  if (detail) msg += std::string(" (") + detail + ")";
  std::string severity = sev ? sev : "NOTICE";
  const char* level = severity == "WARNING" ? "warn" : "info";
  sink->log_.log(level, "server " + severity + ": " + one_line(msg),
                 {{"stream", sink->stream_}, {"sqlstate", code ? code : ""}});
}

void PgSink::connect(bool first) {
  PgConnPtr c = connect_writer(opts_.conninfo, opts_.application_name, &PgSink::on_notice, &notices_[0]);
  int previous_pid = backend_pid_;
  conn_ = std::move(c);
  backend_pid_ = PQbackendPID(conn_.get());
  try {
    WriterInfo w = check_writer(conn_.get());
    can_declare_coverage_ = w.can_declare_coverage;
    landing_chunks_ = w.landing_chunks;
    if (w.older && !said_older_extension_) {  // once, not at every reconnect
      said_older_extension_ = true;
      said_no_coverage_ = !can_declare_coverage_;
      log_.warn("database \"" + w.db + "\" has the pulse extension " + w.installed + ", older than this pulse-load's " +
                kPulseVersion + ": it loads, but " + (can_declare_coverage_ ? "" : "this load records no coverage and ") +
                "the extension lacks what came since; run ALTER EXTENSION pulse UPDATE TO '" + kPulseVersion +
                "' in database " + w.db);
    }
    if (!first && previous_pid != 0) {
      // Our previous session may outlive the broken connection (a network
      // cut rather than a server restart) and still hold the lease; it is
      // ours to end.
      if (end_previous_session(conn_.get(), previous_pid))
        log_.warn("ended this loader's previous session (pid " + std::to_string(previous_pid) +
                  "), which still held the stream's lease");
    }
    take_lease(first);
    // The landing partitions of this moment, before the first COPY needs
    // them: CREATE EXTENSION makes none (so that a dump restores cleanly) and
    // maintenance may not have run yet. Best effort: where this fails, the
    // COPY that finds no partition makes them and retries.
    PgResultPtr made(PQexec(conn_.get(), kEnsureLandingSql));
    if (!made || PQresultStatus(made.get()) != PGRES_TUPLES_OK)
      log_.info("could not create the current landing partitions yet: " + result_error(conn_.get(), made.get(), nullptr));
  } catch (const DbConnectError&) {
    conn_.reset();
    throw;
  }
}

void PgSink::take_lease(bool first) {
  // At start, a holder may be the session of a loader of this stream that
  // was just killed (kill -9, then a restart): its backend ends once it
  // notices, within its current statement. Give it a moment before refusing.
  auto grace_until = std::chrono::steady_clock::now() + scaled(Millis(first ? 3000 : 0));
  for (int attempt = 1;; ++attempt) {
    PgResultPtr r = query(conn_.get(), kLeaseTrySql, {stream_.c_str()}, "cannot take the stream's lease");
    if (std::string(PQgetvalue(r.get(), 0, 0)) == "t") return;
    if (first && !opts_.wait_for_stream && std::chrono::steady_clock::now() < grace_until &&
        sleep_unless(Millis(100), stop_requested()))
      continue;
    int holder_pid = 0;
    std::string holder = describe_stream_holder(conn_.get(), stream_, &holder_pid);
    if (holder_pid == 0 && attempt < 5) continue;  // released between the two queries
    if (first && opts_.wait_for_stream) {
      log_.log("info", "waiting for stream \"" + stream_ + "\": it is being loaded by " + holder,
               {{"stream", stream_}});
      wait_for_lease();
      return;
    }
    if (first) {
      throw DbError("stream \"" + stream_ + "\" is being loaded by " + holder +
                        "; a stream belongs to one loader at a time (--wait-for-stream waits for it, or "
                        "choose another --stream)",
                    "", kExitUsage);
    }
    throw DbError("after reconnecting, stream \"" + stream_ + "\" is being loaded by " + holder +
                      "; stopping (nothing uncommitted is lost: a later run resumes from the stream's checkpoint)",
                  "", kExitUsage);
  }
}

// pg_advisory_lock under a lock_timeout, so that a log line every interval
// names who we wait for; sent asynchronously, so SIGINT/SIGTERM cancel it.
void PgSink::wait_for_lease() {
  PGconn* c = conn_.get();
  long long every = std::max<long long>(100, scaled(Millis(10000)).count());
  std::string timeout = std::to_string(every) + "ms";
  query(c, "SELECT set_config('lock_timeout', $1, false)", {timeout.c_str()}, "cannot set lock_timeout");
  auto started = std::chrono::steady_clock::now();
  for (;;) {
    const char* params[1] = {stream_.c_str()};
    if (PQsendQueryParams(c, kLeaseWaitSql, 1, nullptr, params, nullptr, nullptr, 0) != 1)
      throw DbConnectError("cannot wait for the stream's lease: " + one_line(PQerrorMessage(c)));
    bool cancelled = false;
    while (PQisBusy(c)) {
      if (stop_requested().load() && !cancelled) {
        cancelled = true;
        char buf[256];
        if (PGcancel* cn = PQgetCancel(c)) {
          PQcancel(cn, buf, sizeof buf);
          PQfreeCancel(cn);
        }
      }
      pollfd pfd{PQsocket(c), POLLIN, 0};
      poll(&pfd, 1, 100);
      if (PQconsumeInput(c) != 1) break;
    }
    std::string st;
    std::string err;
    bool got = false;
    while (PGresult* res = PQgetResult(c)) {
      PgResultPtr rr(res);
      if (PQresultStatus(res) == PGRES_TUPLES_OK) got = true;
      else if (err.empty()) err = result_error(c, res, &st);
    }
    if (got && err.empty()) break;
    if (st == "57014" || (stop_requested().load() && st.empty() == false)) {
      // Cancelled by our own SIGINT/SIGTERM; the lock was not granted.
      throw StoppedWaiting("stopped while waiting for stream \"" + stream_ + "\"; nothing was loaded");
    }
    if (st != "55P03") {
      if (PQstatus(c) != CONNECTION_OK || st.empty())
        throw DbConnectError("lost the connection while waiting for the stream's lease: " + err, st);
      throw DbError("cannot wait for the stream's lease: " + err, st);
    }
    int holder_pid = 0;
    std::string holder = describe_stream_holder(conn_.get(), stream_, &holder_pid);
    long long waited = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    log_.log("info", "still waiting for stream \"" + stream_ + "\": it is being loaded by " + holder,
             {{"stream", stream_}, {"waited_s", std::to_string(waited)}});
  }
  query(c, "RESET lock_timeout", {}, "cannot reset lock_timeout");
  log_.log("info", "got stream \"" + stream_ + "\" after waiting", {{"stream", stream_}});
}

bool PgSink::try_write(const Batch& b, int64_t batch_id, bool isolate, ApplyCounts& out, std::string& err,
                       std::string& sqlstate) {
  PGconn* c = conn_.get();
  int64_t loader_rejects = 0;
  commit_xid_.clear();
  notices_[0].already_applied = false;
  if (!exec_ok(c, "BEGIN", err, sqlstate)) return false;
  auto fail = [&] {
    PgResultPtr rb(PQexec(c, "ROLLBACK"));
    return false;
  };
  if (!send_batch_rows(c, stream_, batch_id, b.records, landing_chunks_, isolate, &loader_rejects, nullptr, err, sqlstate))
    return fail();
  std::string at;
  ApplyOutcome applied =
      apply_batch_checked(c, stream_, batch_id, b.checkpoint, notices_[0].already_applied, out, &at, &commit_xid_, err,
                          sqlstate);
  if (applied == ApplyOutcome::kFailed) return fail();
  out.rejected += loader_rejects;
  // When the checkpoint was already at or past this id apply_batch does
  // nothing and returns zeros (and says "already applied" in a NOTICE):
  // another writer loaded the stream under our feet.
  if (applied == ApplyOutcome::kNotApplied) {
    fail();
    throw not_applied(batch_id, at);
  }
  // The event time this batch completes, in its own transaction: coverage
  // is never recorded without the rows it vouches for. Bounds are whole
  // milliseconds added to the epoch (no double on the way).
  if (!record_coverage(c, b, err, sqlstate)) return fail();
  if (!exec_ok(c, "COMMIT", err, sqlstate)) return fail();
  return true;
}

DbError PgSink::not_applied(int64_t batch_id, const std::string& at) const {
  return DbError("batch " + std::to_string(batch_id) + " of stream \"" + stream_ +
                 "\" was not applied: pulse.apply_batch found the stream's checkpoint already at batch " + at +
                 ", so another writer loaded this stream meanwhile; nothing of this batch was committed "
                 "(no landing rows kept, none deleted); stopping");
}

bool PgSink::record_coverage(PGconn* c, const Batch& b, std::string& err, std::string& sqlstate) {
  if (!b.coverage.empty() && !can_declare_coverage_ && !said_no_coverage_) {
    said_no_coverage_ = true;
    log_.warn("pulse.declare_coverage is missing or not allowed in this database (the pulse extension before 0.2.0?): "
              "this load records no coverage; ALTER EXTENSION pulse UPDATE, and GRANT pulse_writer to the loader's role");
  }
  for (const CoverageSpan& span : can_declare_coverage_ ? b.coverage : std::vector<CoverageSpan>{}) {
    std::string lo = std::to_string(span.lo_ms), hi = std::to_string(span.hi_ms);
    const char* cp[5] = {stream_.c_str(), span.subject.c_str(), lo.c_str(), hi.c_str(), span.hi_closed ? "[]" : "[)"};
    PgResultPtr d(PQexecParams(c,
                               "SELECT pulse.declare_coverage($1, $2, tstzrange("
                               "timestamptz 'epoch' + $3::bigint * interval '1 millisecond', "
                               "timestamptz 'epoch' + $4::bigint * interval '1 millisecond', $5))",
                               5, nullptr, cp, nullptr, nullptr, 0));
    if (!d || PQresultStatus(d.get()) != PGRES_TUPLES_OK) {
      err = "recording coverage " + span.subject + ": " + result_error(c, d.get(), &sqlstate);
      return false;
    }
  }
  return true;
}

bool PgSink::ensure_helper() {
  if (helper_ && PQstatus(helper_.get()) == CONNECTION_OK) return true;
  helper_.reset();
  helper_pid_ = 0;
  try {
    // The first session's name and " (2)", within the 63 bytes the server
    // keeps (cut at a character boundary).
    std::string name = opts_.application_name;
    const std::string suffix = " (2)";
    if (name.size() + suffix.size() > 63) {
      size_t cut = 63 - suffix.size();
      while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
      name.resize(cut);
    }
    helper_ = connect_writer(opts_.conninfo, name + suffix, &PgSink::on_notice, &notices_[1]);
  } catch (const DbConnectError& e) {
    // Loading goes on in one session; the next batches try again.
    log_.warn(std::string("cannot open the second session (loading in one): ") + e.what());
    return false;
  }
  helper_pid_ = PQbackendPID(helper_.get());
  return true;
}

void PgSink::abandon(int lane, bool make_sure_gone) {
  if (lane == 1) {
    // Closing the connection ends its server process, which rolls back
    // whatever it had open, even while it waits for a lock. When its COMMIT
    // may have been sent, make sure it is gone before the caller asks
    // whether it committed and redoes the batch, so a late COMMIT cannot race
    // the redo. That asks through the first session, which must be idle
    // then (a query of ours in flight there would be swallowed).
    int pid = helper_pid_;
    helper_.reset();
    helper_pid_ = 0;
    if (make_sure_gone && pid != 0 && conn_ && PQstatus(conn_.get()) == CONNECTION_OK &&
        PQtransactionStatus(conn_.get()) != PQTRANS_ACTIVE) {
      std::string p = std::to_string(pid);
      const char* params[1] = {p.c_str()};
      PgResultPtr r(PQexecParams(conn_.get(),
                                 "SELECT pg_terminate_backend(a.pid, 5000) FROM pg_stat_activity a "
                                 "WHERE a.pid = $1::int AND a.usename = session_user",
                                 1, nullptr, params, nullptr, nullptr, 0));
    }
    return;
  }
  PGconn* c = conn_.get();
  if (!c || PQstatus(c) != CONNECTION_OK) return;
  if (PQisBusy(c)) {
    char buf[256];
    if (PGcancel* cn = PQgetCancel(c)) {
      PQcancel(cn, buf, sizeof buf);
      PQfreeCancel(cn);
    }
  }
  while (PGresult* r = PQgetResult(c)) PQclear(r);
  PgResultPtr rb(PQexec(c, "ROLLBACK"));
}

bool PgSink::begin_ahead(int lane, const Batch& b, int64_t id, bool apply_now, int64_t& loader_rejects,
                         std::string& err, std::string& sqlstate) {
  PGconn* c = lane_conn(lane);
  loader_rejects = 0;
  notices_[lane].already_applied = false;
  if (!exec_ok(c, "BEGIN", err, sqlstate)) return false;
  // A batch begun while the one before it applies gets only its COPY now:
  // its apply_batch is sent once that one committed. (Sent at once, it raced
  // the one before it for the checkpoint row, which a transaction that
  // starts after an UPDATE committed can take before one that waited for
  // it.) The COPY must not wait for that batch (which waits for us), so a
  // lock it cannot get within 5 s makes it fail, and the batch is redone in
  // turn.
  if (!apply_now && !exec_ok(c, "SET LOCAL lock_timeout = '5s'", err, sqlstate)) return false;
  if (lane == 1) {
    std::string holder = std::to_string(backend_pid_);
    const char* params[1] = {holder.c_str()};
    PgResultPtr r(PQexecParams(c, "SELECT set_config('pulse.stream_lease_holder', $1, true)", 1, nullptr, params,
                               nullptr, nullptr, 0));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      err = result_error(c, r.get(), &sqlstate);
      return false;
    }
  }
  if (!send_batch_rows(c, stream_, id, b.records, landing_chunks_, false, &loader_rejects, nullptr, err, sqlstate))
    return false;
  if (apply_now) return send_apply_batch(c, stream_, id, b.checkpoint, err, sqlstate);
  // Project it too while the batch before it applies (tweets: apply_batch
  // then merges what was staged); an extension without stage_ahead keeps
  // the projection in apply_batch.
  if (stage_ahead_) {
    std::string sid = std::to_string(id);
    const char* params[2] = {stream_.c_str(), sid.c_str()};
    PgResultPtr r(PQexecParams(c, "SELECT pulse_internal.stage_ahead($1, $2::bigint)", 2, nullptr, params, nullptr,
                               nullptr, 0));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      err = result_error(c, r.get(), &sqlstate);
      if (sqlstate == "42883" || sqlstate == "42501") {
        stage_ahead_ = false;
        log_.info("pulse_internal.stage_ahead is missing or not allowed; batches are projected when applied");
      }
      return false;
    }
  }
  return true;
}

bool PgSink::finish_ahead(const Ahead& a, const Batch& b, ApplyCounts& out, bool* broken, std::string& err,
                          std::string& sqlstate) {
  PGconn* c = lane_conn(a.lane);
  *broken = false;
  commit_xid_.clear();
  std::string at;
  ApplyOutcome applied = apply_batch_result(c, stream_, a.batch_id, notices_[a.lane].already_applied, out, &at,
                                            &commit_xid_, err, sqlstate);
  bool ok = applied == ApplyOutcome::kApplied && record_coverage(c, b, err, sqlstate) &&
            exec_ok(c, "COMMIT", err, sqlstate);
  if (ok) {
    out.rejected += a.loader_rejects;
    return true;
  }
  *broken = classify_failure(c, sqlstate).broken;
  if (applied == ApplyOutcome::kNotApplied) {
    abandon(a.lane);
    throw not_applied(a.batch_id, at);
  }
  return false;
}

ApplyCounts PgSink::write(const Batch& b, const Batch* next) {
  const int64_t id = next_batch_id_;
  std::optional<Ahead> mine;
  if (ahead_ && ahead_->batch_id == id && ahead_->records == b.records.size() && ahead_->checkpoint == b.checkpoint)
    mine = ahead_;
  else if (ahead_)
    abandon(ahead_->lane);
  ahead_.reset();
  std::string err, sqlstate;
  // 0.2.0 (the extension that keeps chunks) admits the second session.
  const bool can = landing_chunks_ && conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
  if (!mine) {
    // Nothing begun for b: begin it in the first session when a batch
    // follows it (that one then overlaps it), else write it as ever.
    if (!next || !can) return write_from(b, false);
    Ahead a{id, 0, b.records.size(), b.checkpoint, 0};
    if (!begin_ahead(0, b, id, true, a.loader_rejects, err, sqlstate)) {
      abandon(0);
      return write_from(b, false);
    }
    mine = a;
  } else {
    // b's records were COPYed while the batch before it applied, which has
    // committed since: apply b now.
    PGconn* c = lane_conn(mine->lane);
    if (!exec_ok(c, "SET LOCAL lock_timeout TO DEFAULT", err, sqlstate) ||
        !send_apply_batch(c, stream_, id, b.checkpoint, err, sqlstate))
      return redo(b, mine->lane, classify_failure(c, sqlstate).broken, err);
  }
  // Begin the next batch in the other session: its COPY overlaps this
  // one's apply.
  if (next && can && (mine->lane == 0 ? ensure_helper() : true)) {
    int other = 1 - mine->lane;
    Ahead n{id + 1, other, next->records.size(), next->checkpoint, 0};
    std::string e2, s2;
    if (begin_ahead(other, *next, id + 1, false, n.loader_rejects, e2, s2)) {
      ahead_ = n;
    } else {
      log_.info("batch " + std::to_string(id + 1) + " could not be begun ahead (" + e2 + "); it waits its turn");
      abandon(other);
    }
  }
  ApplyCounts counts;
  bool broken = false;
  if (finish_ahead(*mine, b, counts, &broken, err, sqlstate)) {
    next_batch_id_ = id + 1;
    return counts;
  }
  // b failed: what was begun after it goes too, and b is redone in the
  // first session the careful way (record by record after a bad value,
  // partitions made, reconnecting; after a lost session, asking whether
  // its COMMIT made it first).
  if (ahead_) abandon(ahead_->lane);
  ahead_.reset();
  return redo(b, mine->lane, broken, err);
}

ApplyCounts PgSink::redo(const Batch& b, int lane, bool broken, const std::string& err) {
  log_.info("batch " + std::to_string(next_batch_id_) + " failed in a pipelined session (" + err + "); redoing it");
  abandon(lane, broken);
  if (broken && lane == 0) conn_.reset();
  return write_from(b, broken);
}

ApplyCounts PgSink::write(const Batch& b) {
  if (ahead_) abandon(ahead_->lane);
  ahead_.reset();
  return write_from(b, false);
}

// uncertain: a previous attempt may have committed.
ApplyCounts PgSink::write_from(const Batch& b, bool uncertain) {
  int64_t batch_id = next_batch_id_;
  Backoff backoff(Millis(200), Millis(30000));
  bool made_landing = false;
  bool isolate = false;
  for (;;) {
    if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) {
      if (uncertain) {
        // We hold the lease again, so our previous session is gone and its
        // last transaction has ended one way or the other.
        std::optional<CheckpointRow> cp;
        bool ours = false;
        try {
          cp = read_checkpoint(conn_.get(), stream_);
          int64_t at = cp ? cp->batch_id : 0;
          ours = at == batch_id && !commit_xid_.empty() && xact_committed(conn_.get(), commit_xid_);
        } catch (const DbConnectError& e) {  // lost again: back off, reconnect
          log_.warn(std::string(e.what()) + " (retrying)");
          conn_.reset();
          continue;
        }
        int64_t at = cp ? cp->batch_id : 0;
        if (at >= batch_id) {
          if (!ours) {
            throw DbError("stream \"" + stream_ + "\": while this loader reconnected, its checkpoint moved to batch " +
                          std::to_string(at) + " by another writer; batch " + std::to_string(batch_id) +
                          " was not committed by this loader; stopping (a later run resumes from the checkpoint)");
          }
          log_.warn("batch " + std::to_string(batch_id) + " had committed before the connection broke");
          next_batch_id_ = cp->batch_id + 1;
          return {};
        }
      }
      ApplyCounts counts;
      std::string err, sqlstate;
      if (try_write(b, batch_id, isolate, counts, err, sqlstate)) {
        next_batch_id_ = batch_id + 1;
        return counts;
      }
      TxnFailure f = classify_failure(conn_.get(), sqlstate);
      // A value the scanner let through but PostgreSQL refuses (a number
      // beyond numeric's range, say): redo the batch record by record.
      if (f.data_error && !isolate) {
        log_.warn("batch " + std::to_string(batch_id) + ": " + err + "; retrying record by record");
        isolate = true;
        continue;
      }
      // No partition of pulse.landing for this moment: maintenance has not
      // premade it (no preloaded worker and no pg_cron, or a server clock far
      // ahead). Create the current ones (pulse_writer may) and retry once.
      if (f.no_partition && !made_landing) {
        made_landing = true;
        PgResultPtr made(PQexec(conn_.get(), kEnsureLandingSql));
        if (made && PQresultStatus(made.get()) == PGRES_TUPLES_OK) {
          log_.warn("batch " + std::to_string(batch_id) + ": " + err + "; created the current landing partitions");
          continue;
        }
        log_.warn("could not create landing partitions: " + result_error(conn_.get(), made.get(), nullptr));
      }
      bool broken = f.broken;
      bool retryable = f.retryable;
      // Missing rights or a missing extension: say what to do (exit 2)
      // rather than the raw error, when that is the cause.
      if (f.rights) check_writer(conn_.get());
      if (!retryable) throw DbError("batch " + std::to_string(batch_id) + " failed: " + err, sqlstate);
      uncertain = uncertain || broken;
      log_.warn("database error, will retry batch " + std::to_string(batch_id) + ": " + err);
      if (broken) conn_.reset();
    }
    Millis d = backoff.next();
    if (!sleep_unless(d, stop_requested()) && backoff.attempts() > 3) {
      throw DbError("database unavailable; stopping with batch " + std::to_string(batch_id) + " (" +
                    std::to_string(b.records.size()) + " records) not written");
    }
    // A connection that broke during connect's last, best-effort step (the
    // landing partitions: a failure there is only logged) is not CONNECTION_OK
    // and was never written on: drop it, or the loop would sleep here forever
    // without connecting again (found by test_candles_resume, whose killed
    // sessions include the reconnecting one).
    if (conn_ && PQstatus(conn_.get()) != CONNECTION_OK) {
      log_.warn("the connection broke while it was set up (retrying)");
      conn_.reset();
    }
    if (!conn_) {
      try {
        connect(false);
        uncertain = true;
      } catch (const DbConnectError& e) {
        log_.warn(std::string(e.what()) + " (retrying)");
      }
    }
  }
}

}  // namespace pulse::load

