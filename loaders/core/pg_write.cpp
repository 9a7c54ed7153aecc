// See pg_write.h. Moved here from pg_sink.cpp when pulse-gateway came, so
// that both writers send, apply and retry batches the same way.
#include "core/pg_write.h"

#include "core/byte_scan.h"

#include "core/version.h"

#include <sys/socket.h>

#include <cstdlib>

#include "core/cli.h"

namespace pulse::load {

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

// Sends one COPY FROM STDIN with its rows already formatted.
bool copy_in(PGconn* c, const char* sql, const std::string& data, std::string& err, std::string& sqlstate) {
  PgResultPtr r(PQexec(c, sql));
  if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN) {
    err = result_error(c, r.get(), &sqlstate);
    return false;
  }
  // End the COPY even when sending its data failed: a connection left in the
  // COPY IN state answers every PQgetResult with another PGRES_COPY_IN, so
  // the loop below would never see the NULL that ends it.
  bool ok = PQputCopyData(c, data.data(), int(data.size())) == 1;
  if (!ok) err = one_line(PQerrorMessage(c));
  if (PQputCopyEnd(c, ok ? nullptr : "pulse: sending the COPY data failed") != 1) {
    if (ok) err = one_line(PQerrorMessage(c));
    ok = false;
  }
  // Read results until NULL, as libpq requires after COPY.
  bool failed = !ok;
  while (PGresult* res = PQgetResult(c)) {
    PgResultPtr rr(res);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && !failed) {
      err = result_error(c, res, &sqlstate);
      failed = true;
    }
    // Still in COPY after PQputCopyEnd failed: the connection cannot leave
    // that state, so drop it (the caller sees a broken connection and
    // reconnects) rather than spin here.
    if (st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
      if (err.empty()) err = "the connection is stuck in COPY";
      if (PQsocket(c) >= 0) shutdown(PQsocket(c), SHUT_RDWR);
      PQconsumeInput(c);  // reads the end of the socket: CONNECTION_BAD
      break;
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

void copy_text_escape(std::string_view s, std::string& out) {
  // Runs between the bytes to escape are appended whole, and a run is found
  // 8 bytes at a time (a byte at a time was a sixth of the loader's CPU).
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {
      uint64_t w = word_at(s, i);
      if (!word_has_byte(w, '\\') && !word_has_byte(w, '\n') && !word_has_byte(w, '\r') && !word_has_byte(w, '\t')) {
        i += 8;
        continue;
      }
    }
    const char* esc;
    switch (s[i]) {
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      default: ++i; continue;
    }
    out.append(s.data() + run, i - run);
    out.append(esc, 2);
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
}

void copy_bytea_hex(std::string_view bytes, std::string& out) {
  static const char* hexd = "0123456789abcdef";
  out += "\\\\x";  // COPY text unescapes this to \x, bytea's hex format
  for (unsigned char b : bytes) {
    out += hexd[b >> 4];
    out += hexd[b & 15];
  }
}

namespace {

// A failed query during set-up: a lost connection is retried by the
// writer, anything else ends the run.
[[noreturn]] void throw_query_error(PGconn* c, PGresult* r, const std::string& what) {
  std::string st;
  std::string msg = result_error(c, r, &st);
  bool lost = PQstatus(c) != CONNECTION_OK || st.empty() || st.rfind("08", 0) == 0 || st.rfind("57P0", 0) == 0;
  if (lost) throw DbConnectError(what + ": " + msg, st);
  throw DbError(what + ": " + msg, st);
}

}  // namespace

PgResultPtr query(PGconn* c, const char* sql, std::initializer_list<const char*> params, const std::string& what) {
  std::vector<const char*> p(params);
  PgResultPtr r(PQexecParams(c, sql, int(p.size()), nullptr, p.data(), nullptr, nullptr, 0));
  auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) throw_query_error(c, r.get(), what);
  return r;
}

PgConnPtr connect_writer(const std::string& conninfo, const std::string& application_name,
                         PQnoticeReceiver notices, void* notices_arg) {
  // expand_dbname: --db may be a full conninfo or URI.
  const char* keys[] = {"dbname", "fallback_application_name", nullptr};
  const char* vals[] = {conninfo.c_str(), application_name.c_str(), nullptr};
  PgConnPtr c(PQconnectdbParams(keys, vals, 1));
  if (PQstatus(c.get()) != CONNECTION_OK) {
    throw DbConnectError("cannot connect to the database: " + one_line(PQerrorMessage(c.get())));
  }
  if (notices) PQsetNoticeReceiver(c.get(), notices, notices_arg);
  // Found by test_faults_serial_pg_restart: an immediate restart lost
  // acknowledged batches on a synchronous_commit = off server.
  query(c.get(), "SET synchronous_commit = on", {}, "cannot set synchronous_commit");
  return c;
}

WriterInfo check_writer(PGconn* c) {
  PgResultPtr r = query(c,
                        "SELECT current_database(), quote_ident(current_user), "
                        "(SELECT extversion FROM pg_extension WHERE extname = 'pulse')",
                        {}, "cannot inspect the database");
  WriterInfo info;
  info.db = PQgetvalue(r.get(), 0, 0);
  std::string role = PQgetvalue(r.get(), 0, 1);
  const std::string& db = info.db;
  if (PQgetisnull(r.get(), 0, 2)) {
    throw DbError("the pulse extension is not installed in database \"" + db + "\": run CREATE EXTENSION pulse in database " + db, "", kExitUsage);
  }
  // A writer speaks to the extension of its own release, and to the older
  // ones it knows (loading without what came later); with any other version,
  // whose apply_batch and coverage may differ, it says which one to get
  // instead of loading half-right.
  info.installed = PQgetvalue(r.get(), 0, 2);
  info.older = is_older_loadable(info.installed);
  if (info.installed != kPulseVersion && !info.older) {
    std::string fix = compare_versions(info.installed, kPulseVersion) < 0
                          ? "run ALTER EXTENSION pulse UPDATE TO '" + std::string(kPulseVersion) + "' in database " + db +
                                " (as its owner; install pulse " + kPulseVersion + " on the server first)"
                          : "use pulse-load " + info.installed + " (from the release of the installed extension)";
    throw DbError("database \"" + db + "\" has the pulse extension " + info.installed + ", but this pulse-load " +
                      kPulseVersion + " needs " + kPulseVersion + ": " + fix,
                  "", kExitUsage);
  }
  // What a loader does: INSERT into landing (its chunks) and rejects, SELECT its
  // checkpoint, EXECUTE apply_batch (role pulse_writer has exactly that).
  // Looked up by catalog so that a missing USAGE on the schema is a "no",
  // not an error.
  PgResultPtr p = query(c,
                        "SELECT coalesce(bool_and(ok), false) FROM ("
                        " SELECT has_schema_privilege(n.oid, 'USAGE') AS ok FROM pg_namespace n WHERE n.nspname = 'pulse'"
                        " UNION ALL"
                        " SELECT has_any_column_privilege(k.oid, CASE k.relname WHEN 'checkpoints' THEN 'SELECT' ELSE 'INSERT' END)"
                        "   FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace"
                        "  WHERE (n.nspname = 'pulse' AND k.relname IN ('landing', 'rejects', 'checkpoints'))"
                        "     OR (n.nspname = 'pulse_internal' AND k.relname = 'landing_chunks')"
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
  info.can_declare_coverage = std::string(PQgetvalue(cov.get(), 0, 0)) == "t";
  info.landing_chunks = !info.older;
  return info;
}

bool end_previous_session(PGconn* c, int previous_pid) {
  std::string pid = std::to_string(previous_pid);
  PgResultPtr r(PQexecParams(c,
                             "SELECT pg_terminate_backend(l.pid, 5000) FROM pg_locks l "
                             "WHERE l.pid = $1::int AND l.locktype = 'advisory' AND l.granted "
                             "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                             1, nullptr, std::vector<const char*>{pid.c_str()}.data(), nullptr, nullptr, 0));
  return r && PQresultStatus(r.get()) == PGRES_TUPLES_OK && PQntuples(r.get()) > 0;
}

std::string describe_stream_holder(PGconn* c, const std::string& stream, int* pid) {
  *pid = 0;
  PgResultPtr r = query(c,
                        "SELECT l.pid, a.usename, a.application_name, a.client_addr, a.backend_start"
                        "  FROM (SELECT hashtextextended('pulse.stream:' || $1, 0) AS k) key,"
                        "       pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
                        " WHERE l.locktype = 'advisory' AND l.granted"
                        "   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                        "   AND l.classid = ((key.k >> 32) & 4294967295)::oid AND l.objid = (key.k & 4294967295)::oid"
                        "   AND l.objsubid = 1"
                        " LIMIT 1",
                        {stream.c_str()}, "cannot look up the holder of the stream");
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

std::optional<CheckpointRow> read_checkpoint(PGconn* c, const std::string& stream) {
  PgResultPtr r = query(c, "SELECT batch_id, position::text FROM pulse.checkpoints WHERE stream = $1",
                        {stream.c_str()}, "cannot read the checkpoint");
  if (PQntuples(r.get()) == 0) return std::nullopt;
  CheckpointRow row;
  row.batch_id = std::stoll(PQgetvalue(r.get(), 0, 0));
  row.position = PQgetvalue(r.get(), 0, 1);
  return row;
}

bool xact_committed(PGconn* c, const std::string& xid) {
  // An xid at or past the next one to be assigned never committed: after a
  // crash, recovery hands out again the ids whose work never reached the
  // WAL, and pg_xact_status refuses those as "in the future" (found by
  // test_faults_serial_gateway, which asks after an immediate restart).
  PgResultPtr r = query(c,
                        "SELECT CASE WHEN $1::xid8 < pg_snapshot_xmax(pg_current_snapshot())"
                        " THEN pg_xact_status($1::xid8) END",
                        {xid.c_str()}, "cannot ask whether the last batch committed");
  return !PQgetisnull(r.get(), 0, 0) && std::string(PQgetvalue(r.get(), 0, 0)) == "committed";
}

bool send_batch_rows(PGconn* c, const std::string& stream, int64_t batch_id, const std::vector<Record>& records,
                     bool chunks, bool isolate, int64_t* gateway_rejects, std::vector<Refused>* refused, std::string& err,
                     std::string& sqlstate) {
  std::string id = std::to_string(batch_id);
  std::string landing, rejects;
  std::string stream_esc;
  copy_text_escape(stream, stream_esc);
  auto add_reject = [&](const Record& r, const std::string& reason) {
    ++*gateway_rejects;
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
  // The records go into pulse_internal.landing_chunks: one row per run of
  // records with consecutive seq and one format, their payloads as one JSON
  // array (the loader has checked each is one JSON value). A chunk is closed
  // at a reject (a gap in seq), a change of format, or its size limits.
  // Chunks go in COPY's binary format: the server then copies each payload
  // as it is, where the text format made it scan and unescape every byte of
  // it (a 2.4 MB chunk of klines: 22-33 ms against 35-52 ms, issue 17).
  // Text fields still pass the server's encoding check, as in text COPY.
  const std::string* chunk_format = nullptr;
  int chunk_next_seq = 0;
  size_t chunk_n = 0, chunk_bytes = 0;
  size_t chunk_len_at = 0;  // where the open chunk's payloads length goes
  // v as `bytes` big-endian bytes at landing[at] (binary COPY's integers).
  auto store_be = [&](size_t at, uint64_t v, int bytes) {
    for (int k = 0; k < bytes; ++k) landing[at + k] = static_cast<char>((v >> (8 * (bytes - 1 - k))) & 0xff);
  };
  auto put_be = [&](uint64_t v, int bytes) {
    landing.resize(landing.size() + bytes);
    store_be(landing.size() - bytes, v, bytes);
  };
  auto put_field = [&](std::string_view v) {
    put_be(v.size(), 4);
    landing.append(v.data(), v.size());
  };
  auto close_chunk = [&] {
    if (chunk_n == 0) return;
    landing += ']';
    store_be(chunk_len_at, landing.size() - chunk_len_at - 4, 4);
    chunk_n = 0;
  };
  // A chunk row's columns before its payloads, whose length is filled in
  // when the chunk closes.
  auto chunk_prefix = [&](const std::string& format, int at_seq) {
    if (landing.empty()) {
      static const char kSignature[] = "PGCOPY\n\377\r\n";
      landing.append(kSignature, sizeof kSignature);  // with its NUL
      put_be(0, 4);                                    // flags
      put_be(0, 4);                                    // no header extension
    }
    put_be(5, 2);
    put_field(stream);
    put_field(format);
    put_be(8, 4);
    put_be(static_cast<uint64_t>(batch_id), 8);
    put_be(4, 4);
    put_be(static_cast<uint32_t>(at_seq), 4);
    chunk_len_at = landing.size();
    put_be(0, 4);
  };
  // stream, format, batch and seq, each followed by a tab: the columns of a
  // 0.1.0 landing row (text COPY) before its payload.
  auto row_prefix = [&](const std::string& format, int at_seq) {
    landing += stream_esc;
    landing += '\t';
    copy_text_escape(format, landing);
    landing += '\t';
    landing += id;
    landing += '\t';
    landing += std::to_string(at_seq);
    landing += '\t';
  };
  int seq = 0;
  for (const auto& r : records) {
    ++seq;
    if (!r.reject_reason.empty()) {
      add_reject(r, r.reject_reason);
      continue;
    }
    if (!isolate && !chunks) {
      row_prefix(r.format, seq);
      copy_text_escape(r.payload, landing);
      landing += '\n';
      continue;
    }
    if (!isolate) {
      if (chunk_n == 0 || *chunk_format != r.format || seq != chunk_next_seq || chunk_n >= kChunkMaxRecords ||
          chunk_bytes + r.payload.size() > kChunkMaxBytes) {
        close_chunk();
        chunk_prefix(r.format, seq);
        landing += '[';
        chunk_format = &r.format;
        chunk_bytes = 0;
      } else {
        landing += ',';
      }
      landing += r.payload;
      ++chunk_n;
      chunk_bytes += r.payload.size();
      chunk_next_seq = seq + 1;
      continue;
    }
    // Isolating mode (after COPY failed on a value): one row at a time under
    // a savepoint, so the record jsonb refuses becomes a reject and the rest
    // of the batch still lands.
    if (!exec_ok(c, "SAVEPOINT pulse_record", err, sqlstate)) return false;
    std::string seq_s = std::to_string(seq);
    const char* params[5] = {stream.c_str(), r.format.c_str(), id.c_str(), seq_s.c_str(), r.payload.c_str()};
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
        return false;
      }
      // ROLLBACK TO keeps the savepoint open; release it too, so that what
      // follows (apply_batch's checkpoint update, which the applied-check
      // recognises by the top-level transaction id) runs at top level.
      if (!exec_ok(c, "ROLLBACK TO SAVEPOINT pulse_record", err, sqlstate) ||
          !exec_ok(c, "RELEASE SAVEPOINT pulse_record", err, sqlstate))
        return false;
      std::string reason = "PostgreSQL refused the record as jsonb: " + msg;
      if (refused) refused->push_back({size_t(seq - 1), reason});
      add_reject(r, reason);
    } else if (!exec_ok(c, "RELEASE SAVEPOINT pulse_record", err, sqlstate)) {
      return false;
    }
  }
  close_chunk();
  if (chunks && !landing.empty()) put_be(0xffff, 2);  // the binary format's end
  if (!landing.empty() &&
      !copy_in(c,
               chunks ? "COPY pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads) FROM STDIN "
                        "(FORMAT binary)"
                      : "COPY pulse.landing (stream, format, batch_id, seq, payload) FROM STDIN",
               landing, err, sqlstate))
    return false;
  if (!rejects.empty() &&
      !copy_in(c, "COPY pulse.rejects (stream, batch_id, format, raw, reason) FROM STDIN", rejects, err, sqlstate))
    return false;
  return true;
}

namespace {
constexpr const char* kApplyBatchSql =
    "SELECT inserted, updated, unchanged, rejected FROM pulse.apply_batch($1, $2::bigint, $3::jsonb)";

// apply_batch's result `r`, then whether it applied this batch here (see
// apply_batch_checked).
ApplyOutcome check_applied(PGconn* c, PgResultPtr r, const std::string& stream, int64_t batch_id,
                           const bool& already_applied_notice, ApplyCounts& out, std::string* at, std::string* xid,
                           std::string& err, std::string& sqlstate) {
  const char* params[1] = {stream.c_str()};
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
    err = result_error(c, r.get(), &sqlstate);
    return ApplyOutcome::kFailed;
  }
  out.inserted = std::stoll(PQgetvalue(r.get(), 0, 0));
  out.updated = std::stoll(PQgetvalue(r.get(), 0, 1));
  out.unchanged = std::stoll(PQgetvalue(r.get(), 0, 2));
  out.rejected = std::stoll(PQgetvalue(r.get(), 0, 3));
  r.reset();
  // Zero counts alone prove nothing (a batch of rejects only, or a
  // checkpoint-only batch, applies with zeros too): look at the checkpoint.
  PgResultPtr v(PQexecParams(c,
                             "SELECT c.batch_id, c.xmin = pg_current_xact_id()::xid, pg_current_xact_id()::text "
                             "FROM pulse.checkpoints c WHERE c.stream = $1",
                             1, nullptr, params, nullptr, nullptr, 0));
  if (!v || PQresultStatus(v.get()) != PGRES_TUPLES_OK) {
    err = result_error(c, v.get(), &sqlstate);
    return ApplyOutcome::kFailed;
  }
  bool applied = PQntuples(v.get()) == 1 && std::stoll(PQgetvalue(v.get(), 0, 0)) == batch_id &&
                 std::string(PQgetvalue(v.get(), 0, 1)) == "t" && !already_applied_notice;
  if (!applied) {
    if (at) *at = PQntuples(v.get()) == 1 ? PQgetvalue(v.get(), 0, 0) : "none";
    return ApplyOutcome::kNotApplied;
  }
  if (xid) *xid = PQgetvalue(v.get(), 0, 2);
  return ApplyOutcome::kApplied;
}

}  // namespace

ApplyOutcome apply_batch_checked(PGconn* c, const std::string& stream, int64_t batch_id, const std::string& checkpoint,
                                 const bool& already_applied_notice, ApplyCounts& out, std::string* at,
                                 std::string* xid, std::string& err, std::string& sqlstate) {
  std::string id = std::to_string(batch_id);
  const char* params[3] = {stream.c_str(), id.c_str(), checkpoint.c_str()};
  PgResultPtr r(PQexecParams(c, kApplyBatchSql, 3, nullptr, params, nullptr, nullptr, 0));
  return check_applied(c, std::move(r), stream, batch_id, already_applied_notice, out, at, xid, err, sqlstate);
}

bool send_apply_batch(PGconn* c, const std::string& stream, int64_t batch_id, const std::string& checkpoint,
                      std::string& err, std::string& sqlstate) {
  std::string id = std::to_string(batch_id);
  const char* params[3] = {stream.c_str(), id.c_str(), checkpoint.c_str()};
  if (PQsendQueryParams(c, kApplyBatchSql, 3, nullptr, params, nullptr, nullptr, 0) != 1) {
    err = one_line(PQerrorMessage(c));
    sqlstate.clear();
    return false;
  }
  return true;
}

ApplyOutcome apply_batch_result(PGconn* c, const std::string& stream, int64_t batch_id,
                                const bool& already_applied_notice, ApplyCounts& out, std::string* at,
                                std::string* xid, std::string& err, std::string& sqlstate) {
  // The query's result, then the end of it (PQgetResult's NULL); a second
  // result cannot come from one SELECT, but is read so that the connection
  // is idle again.
  PgResultPtr r(PQgetResult(c));
  while (PGresult* more = PQgetResult(c)) PQclear(more);
  return check_applied(c, std::move(r), stream, batch_id, already_applied_notice, out, at, xid, err, sqlstate);
}


TxnFailure classify_failure(PGconn* c, const std::string& sqlstate) {
  TxnFailure f;
  bool ok = c && PQstatus(c) == CONNECTION_OK;
  f.data_error = ok && (sqlstate.rfind("22", 0) == 0 || sqlstate.rfind("54", 0) == 0);
  f.no_partition = ok && sqlstate == "23514";
  // An error without a SQLSTATE came from libpq, not the server: the
  // connection is gone even when PQstatus still says OK (a write that hit
  // a closed socket mid-COPY is only noticed later; found by
  // test_faults_serial_pg_restart_stream).
  f.broken = !ok || sqlstate.empty() || sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" ||
             sqlstate == "57P02" || sqlstate == "57P03";
  f.retryable = f.broken || sqlstate == "40001" || sqlstate == "40P01";
  f.rights = !f.broken && (sqlstate == "42501" || sqlstate == "3F000" || sqlstate == "42883" || sqlstate == "42P01");
  return f;
}

}  // namespace pulse::load
