// See export.h.
#include "export/export.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <optional>
#include <string>
#include <vector>

#include "core/backoff.h"
#include "core/log.h"
#include "core/pg_sink.h"
#include "core/pg_write.h"
#include "core/source.h"
#include "export/layout.h"

namespace pulse::load {
namespace {

using Clock = std::chrono::steady_clock;

struct ReadRecord {
  int64_t seq = 0;
  std::string hour;  // YYYY/MM/DD/HH (UTC) of received_at
  std::string payload;
};

// The lease of a consumer: pulse.read and pulse.commit refuse other
// sessions while this one holds it (the extension's SQL uses the same key).
constexpr const char* kConsumerLeaseSql =
    "SELECT pg_try_advisory_lock(hashtextextended('pulse.consumer:' || $1, 0))";

// The consumer's side of the database: one connection, the consumer's
// lease, pulse.read and pulse.commit. A lost connection is a DbConnectError
// (the caller reconnects and reads again from the committed position);
// anything else a DbError with its exit code.
class ConsumerDb {
 public:
  ConsumerDb(std::string conninfo, std::string consumer, Logger& log)
      : conninfo_(std::move(conninfo)), consumer_(std::move(consumer)), log_(log) {}

  void connect(bool first) {
    std::string app = "pulse-load export " + consumer_;
    if (app.size() > 63) app = app.substr(0, 63);
    const char* keys[] = {"dbname", "fallback_application_name", nullptr};
    const char* vals[] = {conninfo_.c_str(), app.c_str(), nullptr};
    PgConnPtr c(PQconnectdbParams(keys, vals, 1));
    if (PQstatus(c.get()) != CONNECTION_OK)
      throw DbConnectError("cannot connect to the database: " + one_line(PQerrorMessage(c.get())));
    PQsetNoticeReceiver(c.get(), &ConsumerDb::on_notice, this);
    int previous = pid_;
    conn_ = std::move(c);
    pid_ = PQbackendPID(conn_.get());
    try {
      check();
      if (!first && previous != 0) {
        // our previous session may outlive a network cut, holding the lease
        std::string p = std::to_string(previous);
        query("SELECT pg_terminate_backend(l.pid, 5000) FROM pg_locks l WHERE l.pid = $1::int"
              " AND l.locktype = 'advisory' AND l.granted",
              {p}, "cannot end the previous session");
      }
      take_lease(first);
      PgResultPtr r = query("SELECT stream FROM pulse.consumers WHERE consumer = $1", {consumer_}, "cannot look up the consumer");
      if (PQntuples(r.get()) == 0)
        throw DbError("no consumer \"" + consumer_ + "\" of this role in this database: make one with SELECT pulse.create_consumer('" +
                          consumer_ + "', 'STREAM', 'trim_horizon')",
                      "42704", kExitUsage);
      stream_ = PQgetvalue(r.get(), 0, 0);
    } catch (const DbConnectError&) {
      conn_.reset();
      throw;
    }
  }

  bool connected() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }
  void drop() { conn_.reset(); }
  const std::string& stream() const { return stream_; }

  std::vector<ReadRecord> read(int n) {
    PgResultPtr r = query(
        "SELECT r.seq, to_char(r.received_at AT TIME ZONE 'UTC', 'YYYY/MM/DD/HH24'), r.payload::text"
        "  FROM pulse.read($1, $2::int) WITH ORDINALITY r ORDER BY r.ordinality",
        {consumer_, std::to_string(n)}, "pulse.read");
    std::vector<ReadRecord> out(size_t(PQntuples(r.get())));
    for (size_t i = 0; i < out.size(); ++i) {
      out[i].seq = std::stoll(PQgetvalue(r.get(), int(i), 0));
      out[i].hour = PQgetvalue(r.get(), int(i), 1);
      out[i].payload.assign(PQgetvalue(r.get(), int(i), 2), size_t(PQgetlength(r.get(), int(i), 2)));
    }
    return out;
  }

  void commit(int64_t seq) { query("SELECT pulse.commit($1, $2::bigint)", {consumer_, std::to_string(seq)}, "pulse.commit"); }

 private:
  static void on_notice(void* self, const PGresult* res) {
    auto* db = static_cast<ConsumerDb*>(self);
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char* sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    std::string severity = sev ? sev : "NOTICE";
    db->log_.log(severity == "WARNING" ? "warn" : "info",
                 "server " + severity + ": " + one_line(primary ? primary : PQresultErrorMessage(res)),
                 {{"consumer", db->consumer_}});
  }

  PgResultPtr query(const char* sql, const std::vector<std::string>& params, const std::string& what) {
    std::vector<const char*> p;
    for (const auto& s : params) p.push_back(s.c_str());
    PgResultPtr r(PQexecParams(conn_.get(), sql, int(p.size()), nullptr, p.data(), nullptr, nullptr, 0));
    auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
    const char* code = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = code ? code : "";
    std::string msg = what + ": " + one_line(r && *PQresultErrorMessage(r.get()) ? PQresultErrorMessage(r.get())
                                                                              : PQerrorMessage(conn_.get()));
    bool lost = PQstatus(conn_.get()) != CONNECTION_OK || sqlstate.empty() || sqlstate.rfind("08", 0) == 0 ||
                sqlstate.rfind("57P0", 0) == 0;
    if (lost) throw DbConnectError(msg, sqlstate);
    bool config = sqlstate == "42704" || sqlstate == "42501" || sqlstate == "55P03" || sqlstate == "42883";
    throw DbError(msg, sqlstate, config ? kExitUsage : kExitDatabase);
  }

  void check() {
    // By catalog, so that a role without USAGE on schema pulse gets a "no",
    // not an error.
    PgResultPtr r = query(
        "SELECT current_database(), quote_ident(current_user),"
        " EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pulse'),"
        " EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        "          WHERE n.nspname = 'pulse' AND p.proname = 'read')",
        {}, "cannot inspect the database");
    std::string db = PQgetvalue(r.get(), 0, 0), role = PQgetvalue(r.get(), 0, 1);
    if (std::string(PQgetvalue(r.get(), 0, 2)) != "t")
      throw DbError("the pulse extension is not installed in database \"" + db + "\": run CREATE EXTENSION pulse", "",
                    kExitUsage);
    if (std::string(PQgetvalue(r.get(), 0, 3)) != "t")
      throw DbError("the pulse extension in database \"" + db + "\" has no stream consumers: ALTER EXTENSION pulse UPDATE", "",
                    kExitUsage);
    PgResultPtr p = query(
        "SELECT coalesce(bool_and(has_schema_privilege(n.oid, 'USAGE') AND has_function_privilege(p.oid, 'EXECUTE')), false)"
        "  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'pulse' AND p.proname IN ('read', 'commit')",
        {}, "cannot check the role's privileges");
    if (std::string(PQgetvalue(p.get(), 0, 0)) != "t")
      throw DbError("role " + role + " may not read stream consumers: GRANT pulse_consumer TO " + role, "42501", kExitUsage);
  }

  void take_lease(bool first) {
    // Right after a kill -9 the killed run's session may still hold the
    // lease: it ends once the server notices the closed socket.
    auto until = Clock::now() + scaled(Millis(first ? 10000 : 0));
    for (;;) {
      PgResultPtr r = query(kConsumerLeaseSql, {consumer_}, "cannot take the consumer's lease");
      if (std::string(PQgetvalue(r.get(), 0, 0)) == "t") return;
      if (Clock::now() < until && sleep_unless(Millis(100), stop_requested())) continue;
      PgResultPtr h = query(
          "SELECT coalesce((SELECT format('pid %s (%s, since %s)', a.pid, coalesce(nullif(a.application_name, ''), 'no application name'),"
          " a.backend_start) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid,"
          " (SELECT hashtextextended('pulse.consumer:' || $1, 0) AS k) key"
          " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ((key.k >> 32) & 4294967295)::oid"
          " AND l.objid = (key.k & 4294967295)::oid AND l.objsubid = 1 LIMIT 1), 'another session')",
          {consumer_}, "cannot look up the consumer's holder");
      throw DbError("consumer \"" + consumer_ + "\" is being read by " + std::string(PQgetvalue(h.get(), 0, 0)) +
                        "; a consumer is exported by one pulse-load at a time",
                    "55P03", kExitUsage);
    }
  }

  std::string conninfo_, consumer_;
  Logger& log_;
  PgConnPtr conn_;
  int pid_ = 0;
  std::string stream_;
};

// Writes DIR atomically with `content` (a temporary file, fsync, rename).
void write_small_file(const std::string& dir, const std::string& name, const std::string& content) {
  std::string tmp = dir + "/." + name + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, content.data(), content.size()) != ssize_t(content.size()) || fsync(fd) != 0) {
    if (fd >= 0) close(fd);
    throw ExportIoError("cannot write " + tmp);
  }
  close(fd);
  if (rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0) throw ExportIoError("cannot rename " + tmp);
  fsync_dir(dir);
}

std::string read_small_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  close(fd);
  return n > 0 ? std::string(buf, size_t(n)) : "";
}

class Exporter {
 public:
  Exporter(const Options& opts, Logger& log)
      : log_(log),
        consumer_(opts.get_or("consumer", "")),
        to_(opts.get_or("to", "")),
        follow_(opts.has("follow")),
        buffer_bytes_(opts.get_int("buffer-bytes", 5LL << 20, 1, 1LL << 30)),
        interval_(std::chrono::seconds(opts.get_int("buffer-interval", 300, 1, 86400))),
        poll_(Millis(opts.get_int("poll-interval", 1000, 10, 3600000))),
        read_batch_(int(opts.get_int("read-batch", 1000, 1, 100000))),
        db_(opts.get_or("db", ""), consumer_, log) {
    if (const char* k = std::getenv("PULSE_EXPORT_TEST_KILL_AFTER_RENAME")) kill_after_rename_ = std::atoi(k);
  }

  int run() {
    try {
      db_.connect(true);
      prepare_directory();
    } catch (const DbError& e) {
      log_.error(e.what());
      return e.exit_code;
    } catch (const ExportIoError& e) {
      log_.error(e.what());
      return kExitUpstream;
    }
    auto started = Clock::now();
    int code = kExitOk;
    try {
      code = loop();
    } catch (const DbError& e) {
      log_.error(e.what());
      code = e.exit_code;
    } catch (const ExportIoError& e) {
      log_.error(e.what());
      code = kExitUpstream;
    }
    double secs = std::chrono::duration<double>(Clock::now() - started).count();
    log_.log("info", "exported " + std::to_string(records_) + " records in " + std::to_string(files_) + " files",
             {{"consumer", consumer_}, {"seconds", std::to_string(secs)}});
    return code;
  }

 private:
  struct OpenFile {
    std::optional<GzipFile> gz;
    std::string dir;
    int64_t first = 0, last = 0, records = 0;
    Clock::time_point opened;
  };
  // A file a previous run wrote and did not commit: the records it holds
  // are read again and passed over, then its last one is committed.
  struct Skip {
    std::string path;
    int64_t last = 0, lines = 0, seen = 0;
  };

  void prepare_directory() {
    stream_dir_ = escape_component(db_.stream());
    if (stream_dir_.size() > 200) throw ExportIoError("stream name too long for a directory: " + db_.stream());
    base_ = to_ + "/" + stream_dir_;
    tmp_dir_ = base_ + "/.pulse-tmp";
    make_dirs_durable(tmp_dir_);
    // One consumer per stream directory: two would write the same records
    // into files of their own.
    std::string owner = read_small_file(base_ + "/.pulse-export");
    if (owner.empty()) {
      write_small_file(base_, ".pulse-export", consumer_ + "\n");
    } else if (owner != consumer_ + "\n") {
      throw DbError(base_ + " is exported by consumer \"" + owner.substr(0, owner.size() - 1) + "\", not \"" + consumer_ +
                        "\": export each stream to a directory of its own consumer",
                    "", kExitUsage);
    }
    tmp_prefix_ = escape_component(consumer_) + ".";
    for (const auto& name : list_files(tmp_dir_))
      if (name.rfind(tmp_prefix_, 0) == 0) unlink((tmp_dir_ + "/" + name).c_str());
    log_.log("info", "exporting consumer \"" + consumer_ + "\" of stream \"" + db_.stream() + "\" into " + base_,
             {{"consumer", consumer_}});
  }

  int loop() {
    Backoff backoff(Millis(200), Millis(30000));
    for (;;) {
      try {
        if (!db_.connected()) {
          db_.connect(false);
          backoff.reset();
        }
        if (!step()) return kExitOk;
      } catch (const DbConnectError& e) {
        // What was read and not written is read again after reconnecting.
        file_.reset();
        skip_.reset();
        db_.drop();
        log_.warn(std::string(e.what()) + "; reconnecting");
        if (!sleep_unless(backoff.next(), stop_requested())) {
          log_.error("stopped while the database was unreachable; nothing uncommitted is lost (it is read again next time)");
          return kExitDatabase;
        }
      }
    }
  }

  // One read and what follows it; false when done.
  bool step() {
    if (stop_requested()) {
      close_file();
      return false;
    }
    std::vector<ReadRecord> rows = db_.read(read_batch_);
    for (auto& r : rows) take(r);
    if (file_ && Clock::now() - file_->opened >= interval_) close_file();
    if (int(rows.size()) == read_batch_) return true;
    // caught up
    if (skip_) mismatch("the consumer has no more records to read");
    if (!follow_) {
      close_file();
      return false;
    }
    Millis wait = poll_;
    if (file_) {
      auto left = std::chrono::duration_cast<Millis>(file_->opened + interval_ - Clock::now());
      wait = std::max(Millis(1), std::min(wait, left));
    }
    if (!sleep_unless(wait, stop_requested())) {
      close_file();
      return false;
    }
    return true;
  }

  void take(ReadRecord& r) {
    if (skip_) {
      ++skip_->seen;
      if (r.seq == skip_->last) {
        if (skip_->seen != skip_->lines) mismatch("its last record comes as record " + std::to_string(skip_->seen));
        db_.commit(r.seq);
        log_.log("info", "found " + skip_->path + " written by a run that stopped before committing it; committed its last record",
                 {{"consumer", consumer_}});
        skip_.reset();
      } else if (skip_->seen >= skip_->lines) {
        mismatch("record " + std::to_string(skip_->lines) + " read again is " + std::to_string(r.seq));
      }
      return;
    }
    if (!file_) {
      std::string dir = base_ + "/" + r.hour;
      for (const auto& name : list_files(dir)) {
        auto span = parse_export_file_name(stream_dir_, name);
        if (!span || span->first != r.seq) continue;
        skip_ = Skip{dir + "/" + name, span->second, count_gzip_lines(dir + "/" + name), 0};
        take(r);
        return;
      }
      file_.emplace();
      file_->gz.emplace(tmp_dir_ + "/" + tmp_prefix_ + std::to_string(r.seq) + ".tmp");
      file_->dir = dir;
      file_->first = r.seq;
      file_->opened = Clock::now();
    }
    file_->gz->write_line(r.payload);
    file_->last = r.seq;
    ++file_->records;
    if (file_->gz->raw_bytes() >= buffer_bytes_) close_file();
  }

  // The file goes whole into place, then the consumer's position moves.
  void close_file() {
    if (!file_) return;
    std::string name = export_file_name(stream_dir_, file_->first, file_->last);
    int64_t bytes = file_->gz->raw_bytes(), n = file_->records, last = file_->last;
    file_->gz->publish(file_->dir, name);
    std::string path = file_->dir + "/" + name;
    file_.reset();
    if (kill_after_rename_ > 0 && ++renamed_ == kill_after_rename_) raise(SIGKILL);  // tests: the window before commit
    db_.commit(last);
    records_ += n;
    ++files_;
    log_.log("info", "wrote " + path, {{"records", std::to_string(n)}, {"bytes", std::to_string(bytes)}});
  }

  [[noreturn]] void mismatch(const std::string& why) {
    throw DbError(skip_->path + " was written by an earlier run but does not hold what the consumer reads again (" + why +
                      "): move it away, then run again",
                  "", kExitUsage);
  }

  Logger& log_;
  std::string consumer_, to_;
  bool follow_;
  int64_t buffer_bytes_;
  std::chrono::seconds interval_;
  Millis poll_;
  int read_batch_;
  ConsumerDb db_;
  std::string stream_dir_, base_, tmp_dir_, tmp_prefix_;
  std::optional<OpenFile> file_;
  std::optional<Skip> skip_;
  int64_t records_ = 0, files_ = 0;
  int kill_after_rename_ = 0, renamed_ = 0;
};

}  // namespace

int run_export(const Options& opts) {
  for (const char* f : {"stream", "batch-rows", "batch-bytes", "flush-interval", "api-url", "file", "insecure", "wait-for-stream"})
    if (opts.has(f)) throw UsageError(std::string("--") + f + " does not apply to export");
  if (opts.get_or("consumer", "").empty()) throw UsageError("export needs --consumer NAME");
  if (opts.get_or("to", "").empty()) throw UsageError("export needs --to DIR");
  Logger log(log_format_from(opts), opts.has("quiet"));
  Exporter ex(opts, log);  // checks the numeric flags (UsageError)
  install_stop_handlers();
  return ex.run();
}

}  // namespace pulse::load
