// See pg_sink.h. Exactly-once: the checkpoint (with the batch id) is written
// by apply_batch in the batch's own transaction. When the connection breaks
// while a batch is in flight, we cannot know whether COMMIT made it; after
// reconnecting we read the checkpoint back: batch id reached means it
// committed (do not redo), otherwise it rolled back (redo it whole).
#include "core/pg_sink.h"

#include <chrono>

#include "core/backoff.h"

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

PgSink::PgSink(std::string conninfo, std::string stream, Logger& log)
    : conninfo_(std::move(conninfo)), stream_(std::move(stream)), log_(log) {
  connect();
  if (!conn_) throw DbError("cannot connect to the database");
  start_ = read_checkpoint();
  if (start_) next_batch_id_ = start_->batch_id + 1;
}

void PgSink::connect() {
  // expand_dbname: --db may be a full conninfo or URI; empty means libpq's
  // defaults (PG* variables, service file, .pgpass).
  const char* keys[] = {"dbname", "fallback_application_name", nullptr};
  const char* vals[] = {conninfo_.c_str(), "pulse-load", nullptr};
  conn_.reset(PQconnectdbParams(keys, vals, 1));
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string msg = one_line(PQerrorMessage(conn_.get()));
    conn_.reset();
    throw DbError("cannot connect to the database: " + msg);
  }
  // A batch is dropped from memory once COMMIT returns, so that commit must
  // survive a server crash even where the server runs with
  // synchronous_commit = off (found by test_faults_serial_pg_restart: an
  // immediate restart lost acknowledged batches).
  PgResultPtr r(PQexec(conn_.get(), "SET synchronous_commit = on"));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    std::string msg = one_line(PQerrorMessage(conn_.get()));
    conn_.reset();
    throw DbError("cannot set synchronous_commit: " + msg);
  }
}

std::optional<CheckpointRow> PgSink::read_checkpoint() {
  const char* params[1] = {stream_.c_str()};
  PgResultPtr r(PQexecParams(conn_.get(), "SELECT batch_id, position::text FROM pulse.checkpoints WHERE stream = $1",
                             1, nullptr, params, nullptr, nullptr, 0));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    std::string st;
    std::string msg = result_error(conn_.get(), r.get(), &st);
    throw DbError("cannot read the checkpoint: " + msg, st);
  }
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
      if (!exec_ok(c, "ROLLBACK TO SAVEPOINT pulse_record", err, sqlstate)) return fail();
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
        auto cp = read_checkpoint();
        if (cp && cp->batch_id >= batch_id) {
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
        PgResultPtr made(PQexec(conn_.get(),
                                "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', "
                                "now() + interval '1 day')"));
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
        connect();
        uncertain = true;
      } catch (const DbError& e) {
        log_.warn(std::string(e.what()) + " (retrying)");
      }
    }
  }
}

}  // namespace pulse::load

