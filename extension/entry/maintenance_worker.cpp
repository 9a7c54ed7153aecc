// Background maintenance (see maintenance_worker.h): the two worker entry
// points the postmaster calls by name, and their settings. Each main runs in
// the boundary's catch-all; an error that escapes it ends the worker (the
// launcher is restarted by the postmaster). One table's failure is logged and
// rolled back, and the other tables still run.
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/maintenance_schedule.h"
#include "entry/boundary.h"
#include "entry/maintenance_worker.h"
#include "pg/bgworker.h"
#include "pg/guc.h"
#include "pg/interrupts.h"
#include "pg/report.h"
#include "pg/spi.h"

namespace {

int g_interval_s = 600;
char* g_databases = nullptr;

constexpr const char* kLibrary = "pulse";

// GUC check of pulse.maintenance_databases.
bool check_databases(const char* value, char* err, std::size_t errcap) noexcept {
  try {
    pulse::parse_database_selection(value);
    return true;
  } catch (const std::exception& e) {
    pulse::pg::copy_text(err, errcap, e.what());
  } catch (...) {
    pulse::pg::copy_text(err, errcap, "unexpected error");
  }
  return false;
}

// One round: a worker per selected database, one after the other (maintenance
// is light and this keeps at most one extra worker busy).
void run_round() {
  pulse::DatabaseSelection sel;
  try {
    sel = pulse::parse_database_selection(g_databases != nullptr ? g_databases : "");
  } catch (const pulse::Error& e) {
    pulse::pg::log(pulse::pg::LogLevel::kWarning, (std::string("pulse maintenance: ") + e.what()).c_str());
    return;
  }
  std::vector<std::string> databases = sel.all ? pulse::pg::connectable_databases() : sel.names;
  for (const std::string& db : databases) {
    pulse::pg::WorkerSpec spec{kLibrary, "pulse_maintenance_database_main", "pulse maintenance of " + db,
                               "pulse maintenance", db, -1};
    if (!pulse::pg::run_worker(spec))
      pulse::pg::log(pulse::pg::LogLevel::kWarning,
                     ("pulse maintenance: no free background worker slot for database \"" + db + "\"").c_str(),
                     "Raise max_worker_processes.");
  }
}

void launcher() {
  // No database: it only reads the shared pg_database catalog.
  pulse::pg::worker_start(nullptr, true);
  int64_t last = pulse::pg::now_micros();
  for (;;) {
    int64_t due = last + int64_t{g_interval_s} * 1000 * 1000;
    long timeout_ms = -1;
    if (g_interval_s > 0) {
      int64_t left = due - pulse::pg::now_micros();
      timeout_ms = left <= 0 ? 0 : static_cast<long>((left + 999) / 1000);
    }
    if (timeout_ms != 0) pulse::pg::wait_for_latch(timeout_ms);
    pulse::pg::check_for_interrupts();
    if (pulse::pg::reload_config_if_requested()) continue;  // recompute the deadline
    if (g_interval_s <= 0 || pulse::pg::now_micros() < due) continue;
    last = pulse::pg::now_micros();
    run_round();
  }
}

// A session of pg_restore (by its application_name) is connected to this
// database: a restore may be under way. In plain mode CREATE EXTENSION commits
// before the dump's partitions come, and partitions premade in between would
// collide with them ("already exists"). Read after pg_extension, so a
// restore whose CREATE EXTENSION is visible is still connected here.
bool restore_connected() {
  return !pulse::pg::query(
              "SELECT 1 FROM pg_catalog.pg_stat_activity WHERE datname = pg_catalog.current_database()"
              " AND application_name = 'pg_restore' AND pid <> pg_catalog.pg_backend_pid()",
              {}, true, 1)
              .empty();
}

// The tables registered with pulse.partition_by_time, if the extension is
// installed in this database at all and no pg_restore is connected to it.
std::vector<Oid> managed_tables(const std::string& dbname) {
  std::vector<Oid> tables;
  pulse::pg::begin_transaction();
  if (!pulse::pg::query("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pulse'", {}, true, 1).empty()) {
    if (restore_connected()) {
      pulse::pg::commit_transaction();
      pulse::pg::log(pulse::pg::LogLevel::kLog,
                     ("pulse maintenance of database \"" + dbname +
                      "\": skipped this round, pg_restore is connected to it")
                         .c_str());
      return tables;
    }
    for (const pulse::pg::TextRow& row :
         pulse::pg::query("SELECT m.parent::oid FROM pulse_internal.managed_tables m ORDER BY 1", {}, true, 0))
      if (row.at(0)) tables.push_back(static_cast<Oid>(std::stoul(*row[0])));
  }
  pulse::pg::commit_transaction();
  return tables;
}

// Runs pulse.run_maintenance() for one table in its own transaction and logs
// what it did.
void maintain_table(Oid table) {
  pulse::pg::begin_transaction();
  pulse::pg::report_activity("SELECT * FROM pulse.run_maintenance($1)");
  std::vector<pulse::pg::TextRow> rows = pulse::pg::query(
      "SELECT parent::text, created, dropped, clustered, note FROM pulse.run_maintenance($1::regclass)", {table},
      false, 0);
  for (const pulse::pg::TextRow& r : rows) {
    auto col = [&](std::size_t i) { return r.at(i).value_or(""); };
    bool idle = col(1) == "0" && col(2) == "0" && col(3) == "0" && col(4) == "ok";
    std::string line = "pulse maintenance of " + col(0) + ": " + col(1) + " partitions created, " + col(2) +
                       " dropped, " + col(3) + " clustered (" + col(4) + ")";
    pulse::pg::log(idle ? pulse::pg::LogLevel::kDebug1 : pulse::pg::LogLevel::kLog, line.c_str());
  }
  pulse::pg::commit_transaction();
  pulse::pg::report_activity(nullptr);
}

void database_worker() {
  std::string dbname = pulse::pg::worker_extra();
  pulse::pg::worker_start(dbname.c_str(), false);
  std::vector<Oid> tables = managed_tables(dbname);
  int failed = 0;
  for (Oid table : tables) {
    pulse::pg::check_for_interrupts();
    pulse::pg::ErrorReport report;
    if (pulse::entry::run([table] { maintain_table(table); }, &report)) continue;
    // Out of the catch block: roll back, then log the error and go on.
    pulse::pg::abort_transaction();
    pulse::pg::report_activity(nullptr);
    std::string prefix = "pulse maintenance of table " + std::to_string(table) + " (OID) failed";
    pulse::pg::log_report(prefix.c_str(), report);
    ++failed;
  }
  if (failed > 0) {
    std::string line = "pulse maintenance of database \"" + dbname + "\": " + std::to_string(failed) + " of " +
                       std::to_string(tables.size()) + " tables failed, will retry next round";
    pulse::pg::log(pulse::pg::LogLevel::kLog, line.c_str());
  }
}

// A worker's main: an error that escapes is raised from this frame, which
// holds no C++ object; in a background worker that ends the process.
void run_worker_main(void (*body)()) {
  pulse::pg::ErrorReport report;
  if (!pulse::entry::run(body, &report)) pulse::pg::raise(report);
}

}  // namespace

PULSE_EXPORT void pulse_maintenance_launcher_main(Datum arg);
PULSE_EXPORT void pulse_maintenance_database_main(Datum arg);

void pulse_maintenance_launcher_main(Datum) { run_worker_main(launcher); }
void pulse_maintenance_database_main(Datum) { run_worker_main(database_worker); }

void pulse::entry::init_maintenance_worker() {
  pg::define_int_guc("pulse.maintenance_interval",
                     "Seconds between two background maintenance rounds (0 turns them off).",
                     "Each round runs pulse.run_maintenance() in every selected database.", &g_interval_s, 600, 0,
                     7 * 24 * 3600, pg::GucScope::kReload, true);
  pg::define_string_guc<check_databases>(
      "pulse.maintenance_databases",
      "Databases the maintenance worker visits: \"*\" for all, or a comma-separated list.",
      "Databases without the pulse extension are skipped.", &g_databases, "*", pg::GucScope::kReload);
  if (!pg::preloading_libraries()) return;
  pg::register_worker({kLibrary, "pulse_maintenance_launcher_main", "pulse maintenance launcher",
                       "pulse maintenance launcher", "", 10});  // restarted 10 s after it ever dies
}
