// The database side of the loaders: a libpq connection (RAII), and PgSink,
// which writes one batch as one transaction (COPY into pulse.landing and
// pulse.rejects, then pulse.apply_batch with the checkpoint) and survives
// database outages by reconnecting and redoing the batch exactly once.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/log.h"

namespace pulse::load {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// A database failure that ends the run (exit code 4).
class DbError : public std::runtime_error {
 public:
  DbError(const std::string& msg, std::string sqlstate = "") : std::runtime_error(msg), sqlstate(std::move(sqlstate)) {}
  std::string sqlstate;
};

// Appends `s` to `out` escaped for COPY's text format (backslash, newline,
// carriage return, tab).
void copy_text_escape(std::string_view s, std::string& out);
// Appends `bytes` as a COPY text field of a bytea column (\\x hex).
void copy_bytea_hex(std::string_view bytes, std::string& out);

struct CheckpointRow {
  int64_t batch_id = 0;
  std::string position = "{}";  // jsonb as text
};

class PgSink : public Sink {
 public:
  // conninfo "" means libpq's defaults (PG* variables, service file, .pgpass).
  // Throws DbError when the first connection fails.
  PgSink(std::string conninfo, std::string stream, Logger& log);

  // The stream's checkpoint, read at start; batch ids continue from it.
  std::optional<CheckpointRow> checkpoint() const { return start_; }

  ApplyCounts write(const Batch& b) override;

 private:
  void connect();
  bool try_write(const Batch& b, int64_t batch_id, bool isolate, ApplyCounts& out, std::string& err,
                 std::string& sqlstate);
  std::optional<CheckpointRow> read_checkpoint();
  PgConnPtr conn_;
  std::string conninfo_, stream_;
  Logger& log_;
  std::optional<CheckpointRow> start_;
  int64_t next_batch_id_ = 1;
};

}  // namespace pulse::load
