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

namespace pulse::load {
namespace {

// libpq messages span lines ("...failed: ...\n\tIs the server running...");
// a log line is one line.
std::string one_line(std::string msg) {
  std::string out;
  bool space = false;
  for (char c : msg) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string result_error(PGconn* c, PGresult* r, std::string* sqlstate) {
  const char* st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (sqlstate) *sqlstate = st ? st : "";
  std::string msg = r ? PQresultErrorMessage(r) : "";
  if (msg.empty()) msg = PQerrorMessage(c);
  return one_line(msg);
}

// Sends one COPY FROM STDIN with already formatted text rows.
bool copy_in(PGconn* c, const char* sql, const std::string& data, std::string& err, std::string& sqlstate) {
  PgResultPtr r(PQexec(c, sql));
  if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN) {
    err = result_error(c, r.get(), &sqlstate);
    return false;
  }
  bool ok = PQputCopyData(c, data.data(), int(data.size())) == 1 && PQputCopyEnd(c, nullptr) == 1;
  // Read results until NULL, as libpq requires after COPY.
  bool failed = !ok;
  if (!ok) err = PQerrorMessage(c);
  while (PGresult* res = PQgetResult(c)) {
    PgResultPtr rr(res);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && !failed) {
      err = result_error(c, res, &sqlstate);
      failed = true;
    }
  }
  return !failed;
}

bool exec_ok(PGconn* c, const char* sql, std::string& err, std::string& sqlstate) {
  PgResultPtr r(PQexec(c, sql));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    err = result_error(c, r.get(), &sqlstate);
    return false;
  }
  return true;
}

}  // namespace

void copy_text_escape(std::string_view s, std::string& out) {
  for (char ch : s) {
    switch (ch) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += ch;
    }
  }
}

void copy_bytea_hex(std::string_view bytes, std::string& out) {
  static const char* hexd = "0123456789abcdef";
  out += "\\\\x";  // COPY text unescapes this to \x, bytea's hex format
  for (unsigned char b : bytes) {
    out += hexd[b >> 4];
    out += hexd[b & 15];
  }
}

PgSink::PgSink(SinkOptions opts, Logger& log) : opts_(std::move(opts)), stream_(opts_.stream), log_(log) {
  // A connection that breaks while the loader starts (set-up, lease,
  // checkpoint) is made again, as during batches; one that cannot be made at
  // all (wrong --db, server down) is an error at once, as before.
  Backoff backoff(Millis(200), Millis(5000));
  for (bool first = true;; first = false) {
    try {
      connect(first);
      start_ = read_checkpoint();
      break;
    } catch (const DbConnectError& e) {
      if (backend_pid_ == 0 || backoff.attempts() >= 8) throw;
      log_.warn(std::string("lost the database connection while starting (") + e.what() + "); reconnecting");
      if (!sleep_unless(backoff.next(), stop_requested())) throw;
    }
  }
  if (start_) next_batch_id_ = start_->batch_id + 1;
}

namespace {

// A failed query during set-up: a lost connection is retried by write(),
// anything else ends the run.
[[noreturn]] void throw_query_error(PGconn* c, PGresult* r, const std::string& what) {
  std::string st;
  std::string msg = result_error(c, r, &st);
  bool lost = PQstatus(c) != CONNECTION_OK || st.empty() || st.rfind("08", 0) == 0 || st.rfind("57P0", 0) == 0;
  if (lost) throw DbConnectError(what + ": " + msg, st);
  throw DbError(what + ": " + msg, st);
}

PgResultPtr query(PGconn* c, const char* sql, std::initializer_list<const char*> params, const std::string& what) {
  std::vector<const char*> p(params);
  PgResultPtr r(PQexecParams(c, sql, int(p.size()), nullptr, p.data(), nullptr, nullptr, 0));
  auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) throw_query_error(c, r.get(), what);
  return r;
}

}  // namespace

// Server messages below ERROR (NOTICE, WARNING, ...) go through the logger,
// so --log-format json stays one JSON object a line; libpq's default would
// print "NOTICE:  ..." on stderr.
void PgSink::on_notice(void* self, const PGresult* res) {
  auto* sink = static_cast<PgSink*>(self);
  const char* sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (!sev) sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
  const char* code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  std::string msg = primary ? primary : PQresultErrorMessage(res);
  if (msg.find("already applied") != std::string::npos) sink->already_applied_notice_ = true;
  if (detail) msg += std::string(" (") + detail + ")";
  std::string severity = sev ? sev : "NOTICE";
  const char* level = severity == "WARNING" ? "warn" : "info";
  sink->log_.log(level, "server " + severity + ": " + one_line(msg),
                 {{"stream", sink->stream_}, {"sqlstate", code ? code : ""}});
}

// The current landing partitions (pulse_writer may create them).
static const char* const kEnsureLandingSql =
    "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 day')";

void PgSink::connect(bool first) {
  // expand_dbname: --db may be a full conninfo or URI; empty means libpq's
  // defaults (PG* variables, service file, .pgpass).
  const char* keys[] = {"dbname", "fallback_application_name", nullptr};
  const char* vals[] = {opts_.conninfo.c_str(), opts_.application_name.c_str(), nullptr};
  PgConnPtr c(PQconnectdbParams(keys, vals, 1));
  if (PQstatus(c.get()) != CONNECTION_OK) {
    throw DbConnectError("cannot connect to the database: " + one_line(PQerrorMessage(c.get())));
  }
  PQsetNoticeReceiver(c.get(), &PgSink::on_notice, this);
  int previous_pid = backend_pid_;
  conn_ = std::move(c);
  backend_pid_ = PQbackendPID(conn_.get());
  try {
    // A batch is dropped from memory once COMMIT returns, so that commit must
    // survive a server crash even where the server runs with
    // synchronous_commit = off (found by test_faults_serial_pg_restart: an
    // immediate restart lost acknowledged batches).
    query(conn_.get(), "SET synchronous_commit = on", {}, "cannot set synchronous_commit");
    check_database();
    if (!first && previous_pid != 0) {
      // Our previous session may outlive the broken connection (a network
      // cut rather than a server restart) and still hold the lease; it is
      // ours to end.
      std::string pid = std::to_string(previous_pid);
      PgResultPtr r(PQexecParams(conn_.get(),
                                 "SELECT pg_terminate_backend(l.pid, 5000) FROM pg_locks l "
                                 "WHERE l.pid = $1::int AND l.locktype = 'advisory' AND l.granted "
                                 "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                                 1, nullptr, std::vector<const char*>{pid.c_str()}.data(), nullptr, nullptr, 0));
      if (r && PQresultStatus(r.get()) == PGRES_TUPLES_OK && PQntuples(r.get()) > 0)
        log_.warn("ended this loader's previous session (pid " + pid + "), which still held the stream's lease");
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

void PgSink::check_database() {
  PGconn* c = conn_.get();
  PgResultPtr r = query(c,
                        "SELECT current_database(), quote_ident(current_user), "
                        "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pulse')",
                        {}, "cannot inspect the database");
  std::string db = PQgetvalue(r.get(), 0, 0);
  std::string role = PQgetvalue(r.get(), 0, 1);
  if (std::string(PQgetvalue(r.get(), 0, 2)) != "t") {
    throw DbError("the pulse extension is not installed in database \"" + db + "\": run CREATE EXTENSION pulse in database " + db, "", kExitUsage);
  }
  // What a loader does: INSERT into landing and rejects, SELECT its
  // checkpoint, EXECUTE apply_batch (role pulse_writer has exactly that).
  // Looked up by catalog so that a missing USAGE on the schema is a "no",
  // not an error.
  PgResultPtr p = query(c,
                        "SELECT coalesce(bool_and(ok), false) FROM ("
                        " SELECT has_schema_privilege(n.oid, 'USAGE') AS ok FROM pg_namespace n WHERE n.nspname = 'pulse'"
                        " UNION ALL"
                        " SELECT has_any_column_privilege(k.oid, CASE k.relname WHEN 'checkpoints' THEN 'SELECT' ELSE 'INSERT' END)"
                        "   FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace"
                        "  WHERE n.nspname = 'pulse' AND k.relname IN ('landing', 'rejects', 'checkpoints')"
                        " UNION ALL"
                        " SELECT has_function_privilege(f.oid, 'EXECUTE')"
                        "   FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace"
                        "  WHERE n.nspname = 'pulse' AND f.proname = 'apply_batch'"
                        " UNION ALL SELECT false WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pulse')"
                        ") privileges",
                        {}, "cannot check the role's privileges");
  if (std::string(PQgetvalue(p.get(), 0, 0)) != "t") {
    throw DbError("role " + role + " may not load into pulse in database " + db + ": role " + role +
                      " needs pulse_writer: GRANT pulse_writer TO " + role,
                  "42501", kExitUsage);
  }
  PgResultPtr cov = query(c,
                          "SELECT coalesce(bool_or(has_function_privilege(f.oid, 'EXECUTE')), false)"
                          "  FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace"
                          " WHERE n.nspname = 'pulse' AND f.proname = 'declare_coverage'",
                          {}, "cannot check for pulse.declare_coverage");
  can_declare_coverage_ = std::string(PQgetvalue(cov.get(), 0, 0)) == "t";
}

std::string PgSink::describe_holder(int* pid) {
  *pid = 0;
  PgResultPtr r = query(conn_.get(),
                        "SELECT l.pid, a.usename, a.application_name, a.client_addr, a.backend_start"
                        "  FROM (SELECT hashtextextended('pulse.stream:' || $1, 0) AS k) key,"
                        "       pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
                        " WHERE l.locktype = 'advisory' AND l.granted"
                        "   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                        "   AND l.classid = ((key.k >> 32) & 4294967295)::oid AND l.objid = (key.k & 4294967295)::oid"
                        "   AND l.objsubid = 1"
                        " LIMIT 1",
                        {stream_.c_str()}, "cannot look up the holder of the stream");
  if (PQntuples(r.get()) == 0) return "a session that has just ended";
  *pid = std::atoi(PQgetvalue(r.get(), 0, 0));
  std::string out = "pid " + std::string(PQgetvalue(r.get(), 0, 0));
  std::vector<std::string> parts;
  if (!PQgetisnull(r.get(), 0, 1)) parts.push_back("user " + std::string(PQgetvalue(r.get(), 0, 1)));
  if (!PQgetisnull(r.get(), 0, 2) && *PQgetvalue(r.get(), 0, 2))
    parts.push_back("application \"" + std::string(PQgetvalue(r.get(), 0, 2)) + "\"");
  if (!PQgetisnull(r.get(), 0, 3)) parts.push_back("client " + std::string(PQgetvalue(r.get(), 0, 3)));
  else if (!PQgetisnull(r.get(), 0, 4)) parts.push_back("client local socket");
  if (!PQgetisnull(r.get(), 0, 4)) parts.push_back("connected since " + std::string(PQgetvalue(r.get(), 0, 4)));
  for (size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? " (" : ", ") + parts[i];
  if (!parts.empty()) out += ")";
  return out;
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
    std::string holder = describe_holder(&holder_pid);
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
    std::string holder = describe_holder(&holder_pid);
    long long waited = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    log_.log("info", "still waiting for stream \"" + stream_ + "\": it is being loaded by " + holder,
             {{"stream", stream_}, {"waited_s", std::to_string(waited)}});
  }
  query(c, "RESET lock_timeout", {}, "cannot reset lock_timeout");
  log_.log("info", "got stream \"" + stream_ + "\" after waiting", {{"stream", stream_}});
}

bool PgSink::committed(const std::string& xid) {
  PgResultPtr r = query(conn_.get(), "SELECT pg_xact_status($1::xid8)", {xid.c_str()},
                        "cannot ask whether the last batch committed");
  return !PQgetisnull(r.get(), 0, 0) && std::string(PQgetvalue(r.get(), 0, 0)) == "committed";
}

std::optional<CheckpointRow> PgSink::read_checkpoint() {
  PgResultPtr r = query(conn_.get(), "SELECT batch_id, position::text FROM pulse.checkpoints WHERE stream = $1",
                        {stream_.c_str()}, "cannot read the checkpoint");
  if (PQntuples(r.get()) == 0) return std::nullopt;
  CheckpointRow row;
  row.batch_id = std::stoll(PQgetvalue(r.get(), 0, 0));
  row.position = PQgetvalue(r.get(), 0, 1);
  return row;
}

bool PgSink::try_write(const Batch& b, int64_t batch_id, bool isolate, ApplyCounts& out, std::string& err,
                       std::string& sqlstate) {
  PGconn* c = conn_.get();
  std::string id = std::to_string(batch_id);
  std::string landing, rejects;
  int64_t loader_rejects = 0;
  std::string stream_esc;
  copy_text_escape(stream_, stream_esc);
  auto add_reject = [&](const Record& r, const std::string& reason) {
    ++loader_rejects;
    rejects += stream_esc;
    rejects += '\t';
    rejects += id;
    rejects += '\t';
    if (r.format.empty()) rejects += "\\N";
    else copy_text_escape(r.format, rejects);
    rejects += '\t';
    copy_bytea_hex(r.payload, rejects);
    rejects += '\t';
    copy_text_escape(reason, rejects);
    rejects += '\n';
  };
  commit_xid_.clear();
  already_applied_notice_ = false;
  if (!exec_ok(c, "BEGIN", err, sqlstate)) return false;
  auto fail = [&] {
    PgResultPtr rb(PQexec(c, "ROLLBACK"));
    return false;
  };
  int seq = 0;
  for (const auto& r : b.records) {
    ++seq;
    if (!r.reject_reason.empty()) {
      add_reject(r, r.reject_reason);
      continue;
    }
    if (!isolate) {
      landing += stream_esc;
      landing += '\t';
      copy_text_escape(r.format, landing);
      landing += '\t';
      landing += id;
      landing += '\t';
      landing += std::to_string(seq);
      landing += '\t';
      copy_text_escape(r.payload, landing);
      landing += '\n';
      continue;
    }
    // Isolating mode (after COPY failed on a value): one row at a time under
    // a savepoint, so the record jsonb refuses becomes a reject and the rest
    // of the batch still lands.
    if (!exec_ok(c, "SAVEPOINT pulse_record", err, sqlstate)) return fail();
    std::string seq_s = std::to_string(seq);
    const char* params[5] = {stream_.c_str(), r.format.c_str(), id.c_str(), seq_s.c_str(), r.payload.c_str()};
    PgResultPtr ins(PQexecParams(c,
                                 "INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) "
                                 "VALUES ($1, $2, $3::bigint, $4::integer, $5::jsonb)",
                                 5, nullptr, params, nullptr, nullptr, 0));
    if (!ins || PQresultStatus(ins.get()) != PGRES_COMMAND_OK) {
      std::string st;
      std::string msg = result_error(c, ins.get(), &st);
      if (st.rfind("22", 0) != 0 && st.rfind("54", 0) != 0) {
        err = msg;
        sqlstate = st;
        return fail();
      }
      // ROLLBACK TO keeps the savepoint open; release it too, so that what
      // follows (apply_batch's checkpoint update, which the applied-check
      // below recognises by the top-level transaction id) runs at top level.
      if (!exec_ok(c, "ROLLBACK TO SAVEPOINT pulse_record", err, sqlstate) ||
          !exec_ok(c, "RELEASE SAVEPOINT pulse_record", err, sqlstate))
        return fail();
      add_reject(r, "PostgreSQL refused the record as jsonb: " + msg);
    } else if (!exec_ok(c, "RELEASE SAVEPOINT pulse_record", err, sqlstate)) {
      return fail();
    }
  }
  if (!landing.empty() &&
      !copy_in(c, "COPY pulse.landing (stream, format, batch_id, seq, payload) FROM STDIN", landing, err, sqlstate))
    return fail();
  if (!rejects.empty() &&
      !copy_in(c, "COPY pulse.rejects (stream, batch_id, format, raw, reason) FROM STDIN", rejects, err, sqlstate))
    return fail();
  const char* params[3] = {stream_.c_str(), id.c_str(), b.checkpoint.c_str()};
  PgResultPtr r(PQexecParams(
      c, "SELECT inserted, updated, unchanged, rejected FROM pulse.apply_batch($1, $2::bigint, $3::jsonb)", 3,
      nullptr, params, nullptr, nullptr, 0));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
    err = result_error(c, r.get(), &sqlstate);
    return fail();
  }
  out.inserted = std::stoll(PQgetvalue(r.get(), 0, 0));
  out.updated = std::stoll(PQgetvalue(r.get(), 0, 1));
  out.unchanged = std::stoll(PQgetvalue(r.get(), 0, 2));
  out.rejected = std::stoll(PQgetvalue(r.get(), 0, 3)) + loader_rejects;
  r.reset();
  // Did apply_batch apply this batch? It did iff it moved the stream's
  // checkpoint to this batch id in this very transaction (the row version we
  // see is ours). When the checkpoint was already at or past this id it does
  // nothing and returns zeros (and says "already applied" in a NOTICE):
  // another writer loaded the stream under our feet. Zero counts alone prove
  // nothing (a batch of rejects only, or a checkpoint-only batch, applies
  // with zeros too).
  PgResultPtr v(PQexecParams(c,
                             "SELECT c.batch_id, c.xmin = pg_current_xact_id()::xid, pg_current_xact_id()::text "
                             "FROM pulse.checkpoints c WHERE c.stream = $1",
                             1, nullptr, params, nullptr, nullptr, 0));
  if (!v || PQresultStatus(v.get()) != PGRES_TUPLES_OK) {
    err = result_error(c, v.get(), &sqlstate);
    return fail();
  }
  bool applied = PQntuples(v.get()) == 1 && std::stoll(PQgetvalue(v.get(), 0, 0)) == batch_id &&
                 std::string(PQgetvalue(v.get(), 0, 1)) == "t" && !already_applied_notice_;
  if (!applied) {
    std::string at = PQntuples(v.get()) == 1 ? PQgetvalue(v.get(), 0, 0) : "none";
    fail();
    throw DbError("batch " + id + " of stream \"" + stream_ +
                  "\" was not applied: pulse.apply_batch found the stream's checkpoint already at batch " + at +
                  ", so another writer loaded this stream meanwhile; nothing of this batch was committed "
                  "(no landing rows kept, none deleted); stopping");
  }
  commit_xid_ = PQgetvalue(v.get(), 0, 2);
  v.reset();
  // The event time this batch completes, in its own transaction: coverage
  // is never recorded without the rows it vouches for. Bounds are whole
  // milliseconds added to the epoch (no double on the way).
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
      return fail();
    }
  }
  if (!exec_ok(c, "COMMIT", err, sqlstate)) return fail();
  return true;
}

ApplyCounts PgSink::write(const Batch& b) {
  int64_t batch_id = next_batch_id_;
  Backoff backoff(Millis(200), Millis(30000));
  bool uncertain = false;  // a previous attempt may have committed
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
          cp = read_checkpoint();
          int64_t at = cp ? cp->batch_id : 0;
          ours = at == batch_id && !commit_xid_.empty() && committed(commit_xid_);
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
      // A value the scanner let through but PostgreSQL refuses (a number
      // beyond numeric's range, say): redo the batch record by record.
      bool data_error = sqlstate.rfind("22", 0) == 0 || sqlstate.rfind("54", 0) == 0;
      if (data_error && !isolate && PQstatus(conn_.get()) == CONNECTION_OK) {
        log_.warn("batch " + std::to_string(batch_id) + ": " + err + "; retrying record by record");
        isolate = true;
        continue;
      }
      // No partition of pulse.landing for this moment: maintenance has not
      // premade it (no preloaded worker and no pg_cron, or a server clock far
      // ahead). Create the current ones (pulse_writer may) and retry once.
      if (sqlstate == "23514" && !made_landing && PQstatus(conn_.get()) == CONNECTION_OK) {
        made_landing = true;
        PgResultPtr made(PQexec(conn_.get(), kEnsureLandingSql));
        if (made && PQresultStatus(made.get()) == PGRES_TUPLES_OK) {
          log_.warn("batch " + std::to_string(batch_id) + ": " + err + "; created the current landing partitions");
          continue;
        }
        log_.warn("could not create landing partitions: " + result_error(conn_.get(), made.get(), nullptr));
      }
      // An error without a SQLSTATE came from libpq, not the server: the
      // connection is gone even when PQstatus still says OK (a write that hit
      // a closed socket mid-COPY is only noticed later; found by
      // test_faults_serial_pg_restart_stream).
      bool broken = PQstatus(conn_.get()) != CONNECTION_OK || sqlstate.empty() || sqlstate.rfind("08", 0) == 0 ||
                    sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
      bool retryable = broken || sqlstate == "40001" || sqlstate == "40P01";
      // Missing rights or a missing extension: say what to do (exit 2)
      // rather than the raw error, when that is the cause.
      if (!broken && (sqlstate == "42501" || sqlstate == "3F000" || sqlstate == "42883" || sqlstate == "42P01"))
        check_database();
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

