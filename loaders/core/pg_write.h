// What every writer of pulse.landing does on its libpq connection, shared by
// pulse-load (PgSink: one stream, one batch a transaction) and pulse-gateway
// (many requests of many streams in one transaction): connecting with
// synchronous commits, checking the extension and the role's rights, the
// stream leases, COPYing a batch's records into pulse.landing and its
// rejects into pulse.rejects (or record by record when PostgreSQL refuses a
// value), pulse.apply_batch with the check that it applied this very batch,
// and how a failed transaction is retried.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"

namespace pulse::load {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// A database failure that ends the run: exit code 4, or 2 for a
// configuration problem (no extension, missing privileges, the stream's
// lease held by another loader).
class DbError : public std::runtime_error {
 public:
  DbError(const std::string& msg, std::string sqlstate = "", int exit_code = 4)
      : std::runtime_error(msg), sqlstate(std::move(sqlstate)), exit_code(exit_code) {}
  std::string sqlstate;
  int exit_code;
};

// No connection could be made, or it broke during set-up: writers reconnect
// and retry after these; every other DbError ends the run.
class DbConnectError : public DbError {
 public:
  using DbError::DbError;
};

// The SQL of the stream lease. The extension's SQL uses the same key, so
// these strings must not change.
inline constexpr const char* kLeaseTrySql = "SELECT pg_try_advisory_lock(hashtextextended('pulse.stream:' || $1, 0))";
inline constexpr const char* kLeaseWaitSql = "SELECT pg_advisory_lock(hashtextextended('pulse.stream:' || $1, 0))";
// The current landing partitions (pulse_writer may create them; 0.2.0 makes
// those of the chunks pulse.landing is kept in).
inline constexpr const char* kEnsureLandingSql =
    "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 day')";

// Appends `s` to `out` escaped for COPY's text format (backslash, newline,
// carriage return, tab).
void copy_text_escape(std::string_view s, std::string& out);
// Appends `bytes` as a COPY text field of a bytea column (\\x hex).
void copy_bytea_hex(std::string_view bytes, std::string& out);

// libpq messages span lines; a log line is one line.
std::string one_line(std::string msg);
// The error of a failed result (or of the connection), one line; its
// SQLSTATE in *sqlstate ("" when libpq, not the server, failed).
std::string result_error(PGconn* c, PGresult* r, std::string* sqlstate);
bool exec_ok(PGconn* c, const char* sql, std::string& err, std::string& sqlstate);
// Limits of one landing chunk (pulse_internal.landing_chunks): records
// (the table allows 2^20) and payload bytes (a chunk is one jsonb value,
// detoasted whole when read, and jsonb caps a value at 256 MB).
constexpr size_t kChunkMaxRecords = 100000;
constexpr size_t kChunkMaxBytes = size_t(16) << 20;

// One COPY FROM STDIN with its rows already formatted (text or binary, as the
// statement says); reads every result.
bool copy_in(PGconn* c, const char* sql, const std::string& data, std::string& err, std::string& sqlstate);
// A query that must succeed: a lost connection throws DbConnectError,
// anything else DbError.
PgResultPtr query(PGconn* c, const char* sql, std::initializer_list<const char*> params, const std::string& what);

// Connects (conninfo "" means libpq's defaults: PG* variables, service file,
// .pgpass) with synchronous commits: a writer forgets what it wrote once
// COMMIT returns, so that commit must survive a server crash even where the
// server runs with synchronous_commit = off. Server messages go to
// `notices` from the start (when given). Throws DbConnectError.
PgConnPtr connect_writer(const std::string& conninfo, const std::string& application_name,
                         PQnoticeReceiver notices = nullptr, void* notices_arg = nullptr);

// What check_writer found: the database, the extension's version (this
// release's or an older one it still loads into) and whether the role may
// call pulse.declare_coverage (an extension before 0.2.0 has none).
struct WriterInfo {
  std::string db;
  std::string installed;
  bool older = false;
  bool can_declare_coverage = false;
  // 0.2.0 keeps landing records in chunks (pulse_internal.landing_chunks);
  // into 0.1.0's pulse.landing table they go one row each.
  bool landing_chunks = false;
};

// Exit-2 DbErrors for a database without the extension, with an extension
// version this release does not speak to, and for a role without
// pulse_writer's rights (what a loader does: INSERT into landing and
// rejects, SELECT checkpoints, EXECUTE apply_batch).
WriterInfo check_writer(PGconn* c);

// Ends our own previous session (`pid`) when it still holds advisory locks
// (a network cut rather than a server restart leaves it alive, holding the
// stream leases that are ours). True when there was one to end.
bool end_previous_session(PGconn* c, int pid);

// The session holding a stream's lease, in words; its pid in *pid (0 when
// none holds it any more).
std::string describe_stream_holder(PGconn* c, const std::string& stream, int* pid);

struct CheckpointRow {
  int64_t batch_id = 0;
  std::string position = "{}";  // jsonb as text
};
std::optional<CheckpointRow> read_checkpoint(PGconn* c, const std::string& stream);

// Whether transaction `xid` (xid8 text) committed.
bool xact_committed(PGconn* c, const std::string& xid);

// Writes one stream's records as batch `batch_id` into the open transaction:
// records with a reject_reason go to pulse.rejects, the others to
// pulse.landing with seq = their index + 1 (rejects count in the numbering),
// as chunks when `chunks` (WriterInfo::landing_chunks), else a row each.
// isolate: one INSERT a record under a savepoint, so a record jsonb refuses
// becomes a reject and the rest still lands (after a COPY failed on a value).
// *gateway_rejects counts what went to pulse.rejects here; *refused, when
// given, gets the indexes and reasons of the records jsonb refused.
struct Refused {
  size_t index;
  std::string reason;
};
bool send_batch_rows(PGconn* c, const std::string& stream, int64_t batch_id, const std::vector<Record>& records,
                     bool chunks, bool isolate, int64_t* gateway_rejects, std::vector<Refused>* refused, std::string& err,
                     std::string& sqlstate);

// pulse.apply_batch, then whether it applied this batch in this transaction:
// it did iff it moved the stream's checkpoint to `batch_id` in this very
// transaction (the row version we see is ours) and said no "already
// applied" (`already_applied_notice`, which the caller's notice receiver
// sets). kNotApplied: the checkpoint was at or past the batch (`*at` says
// where): another writer loaded the stream under our feet. The
// transaction's id goes to *xid (for asking after a lost connection whether
// its COMMIT made it).
enum class ApplyOutcome { kApplied, kNotApplied, kFailed };
ApplyOutcome apply_batch_checked(PGconn* c, const std::string& stream, int64_t batch_id, const std::string& checkpoint,
                                 const bool& already_applied_notice, ApplyCounts& out, std::string* at,
                                 std::string* xid, std::string& err, std::string& sqlstate);

// The same in two halves, for a batch whose apply runs while the caller does
// something else (pulse-load's second session): send_apply_batch sends the
// call and returns at once; apply_batch_result waits for it and checks as
// above.
bool send_apply_batch(PGconn* c, const std::string& stream, int64_t batch_id, const std::string& checkpoint,
                      std::string& err, std::string& sqlstate);
ApplyOutcome apply_batch_result(PGconn* c, const std::string& stream, int64_t batch_id,
                                const bool& already_applied_notice, ApplyCounts& out, std::string* at,
                                std::string* xid, std::string& err, std::string& sqlstate);

// How a failed batch transaction goes on.
struct TxnFailure {
  bool data_error = false;    // a value PostgreSQL refuses: redo record by record
  bool no_partition = false;  // no landing partition for now: make them, redo
  bool broken = false;        // the connection is gone: reconnect, ask, redo
  bool retryable = false;     // broken, or a serialization failure / deadlock
  bool rights = false;        // missing rights or extension: say how to fix it
};
TxnFailure classify_failure(PGconn* c, const std::string& sqlstate);

}  // namespace pulse::load
