// Background maintenance (see maintenance_worker.h). The worker entry points
// are C callbacks run by the postmaster: they use only PostgreSQL's C API
// (PG_TRY around each table's transaction, so one failing table is logged
// and the rest still run) and call C++ only through noexcept wrappers.
// Some of these headers reach s_lock.h, which uses `register` (not C++17).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
extern "C" {
#include "postgres.h"

#include "access/heapam.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}
#pragma GCC diagnostic pop

#include <cstring>
#include <exception>
#include <string>

#include "core/error.h"
#include "core/maintenance_schedule.h"
#include "entry/boundary.h"
#include "pg/maintenance_worker.h"

namespace {

int g_interval_s = 600;
char* g_databases = nullptr;

constexpr int kMaxDatabases = 256;
constexpr int kMaxTables = 4096;

struct DatabaseList {
  int count;
  NameData names[kMaxDatabases];
};

// Parses the setting into plain memory. Returns false (with a message) on a
// bad value; never throws.
bool parse_selection(const char* text, bool* all, DatabaseList* out, char* err, size_t errcap) noexcept {
  try {
    pulse::DatabaseSelection sel = pulse::parse_database_selection(text ? text : "");
    *all = sel.all;
    out->count = 0;
    for (const std::string& name : sel.names) {
      if (out->count == kMaxDatabases) break;
      std::memset(&out->names[out->count], 0, sizeof(NameData));
      std::memcpy(out->names[out->count].data, name.data(), name.size());
      ++out->count;
    }
    return true;
  } catch (const std::exception& e) {
    std::snprintf(err, errcap, "%s", e.what());
  } catch (...) {
    std::snprintf(err, errcap, "unexpected error");
  }
  return false;
}

bool check_databases(char** newval, void** extra, GucSource source) {
  static DatabaseList scratch;
  bool all = false;
  char err[256];
  if (parse_selection(*newval, &all, &scratch, err, sizeof err)) return true;
  GUC_check_errdetail("%s", err);
  return false;
}

// Every database that accepts connections, read from the shared catalog.
void list_all_databases(DatabaseList* out) {
  out->count = 0;
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  (void)GetTransactionSnapshot();
  Relation rel = table_open(DatabaseRelationId, AccessShareLock);
  TableScanDesc scan = table_beginscan_catalog(rel, 0, nullptr);
  HeapTuple tup;
  while ((tup = heap_getnext(scan, ForwardScanDirection)) != nullptr && out->count < kMaxDatabases) {
    Form_pg_database db = (Form_pg_database)GETSTRUCT(tup);
    if (!db->datallowconn || db->datistemplate) continue;
    out->names[out->count++] = db->datname;
  }
  table_endscan(scan);
  table_close(rel, AccessShareLock);
  CommitTransactionCommand();
}

void run_round() {
  static DatabaseList dbs;
  bool all = false;
  char err[256];
  if (!parse_selection(g_databases, &all, &dbs, err, sizeof err)) {
    ereport(WARNING, (errmsg("pulse maintenance: %s", err)));
    return;
  }
  if (all) list_all_databases(&dbs);
  for (int i = 0; i < dbs.count; ++i) {
    BackgroundWorker worker;
    std::memset(&worker, 0, sizeof worker);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    std::snprintf(worker.bgw_library_name, BGW_MAXLEN, "pulse");
    std::snprintf(worker.bgw_function_name, BGW_MAXLEN, "pulse_maintenance_database_main");
    std::snprintf(worker.bgw_name, BGW_MAXLEN, "pulse maintenance of %s", NameStr(dbs.names[i]));
    std::snprintf(worker.bgw_type, BGW_MAXLEN, "pulse maintenance");
    std::memcpy(worker.bgw_extra, NameStr(dbs.names[i]), NAMEDATALEN);
    worker.bgw_notify_pid = MyProcPid;
    BackgroundWorkerHandle* handle = nullptr;
    if (!RegisterDynamicBackgroundWorker(&worker, &handle)) {
      ereport(WARNING, (errmsg("pulse maintenance: no free background worker slot for database \"%s\"",
                               NameStr(dbs.names[i])),
                        errhint("Raise max_worker_processes.")));
      continue;
    }
    // One database at a time: maintenance is light and this keeps at most one
    // extra worker busy.
    (void)WaitForBackgroundWorkerShutdown(handle);
  }
}

// Runs pulse.run_maintenance() for one table in its own transaction. Returns
// false if the table's maintenance raised an error (logged, rolled back).
bool maintain_table(Oid table) {
  MemoryContext outer = CurrentMemoryContext;
  volatile bool ok = true;
  PG_TRY();
  {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, "SELECT * FROM pulse.run_maintenance($1)");
    Oid argtypes[1] = {OIDOID};
    Datum args[1] = {ObjectIdGetDatum(table)};
    int rc = SPI_execute_with_args(
        "SELECT parent::text, created, dropped, clustered, note"
        "  FROM pulse.run_maintenance($1::regclass)",
        1, argtypes, args, nullptr, false, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "pulse maintenance: run_maintenance failed (SPI %d)", rc);
    for (uint64 r = 0; r < SPI_processed; ++r) {
      HeapTuple tup = SPI_tuptable->vals[r];
      TupleDesc desc = SPI_tuptable->tupdesc;
      char* name = SPI_getvalue(tup, desc, 1);
      char* created = SPI_getvalue(tup, desc, 2);
      char* dropped = SPI_getvalue(tup, desc, 3);
      char* clustered = SPI_getvalue(tup, desc, 4);
      char* note = SPI_getvalue(tup, desc, 5);
      bool idle = strcmp(created, "0") == 0 && strcmp(dropped, "0") == 0 &&
                  strcmp(clustered, "0") == 0 && strcmp(note, "ok") == 0;
      ereport(idle ? DEBUG1 : LOG,
              (errmsg("pulse maintenance of %s: %s partitions created, %s dropped, %s clustered (%s)",
                      name, created, dropped, clustered, note)));
    }
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    pgstat_report_activity(STATE_IDLE, nullptr);
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(outer);
    EmitErrorReport();
    FlushErrorState();
    AbortCurrentTransaction();
    pgstat_report_activity(STATE_IDLE, nullptr);
    ok = false;
  }
  PG_END_TRY();
  return ok;
}

}  // namespace

extern "C" {
PULSE_EXPORT void pulse_maintenance_launcher_main(Datum arg);
PULSE_EXPORT void pulse_maintenance_database_main(Datum arg);
}

void pulse_maintenance_launcher_main(Datum) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  // No database: it only reads the shared pg_database catalog.
  BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);

  TimestampTz last = GetCurrentTimestamp();
  for (;;) {
    long timeout_ms = -1;
    int events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;
    if (g_interval_s > 0) {
      TimestampTz due = TimestampTzPlusMilliseconds(last, (int64)g_interval_s * 1000);
      long secs;
      int usecs;
      TimestampDifference(GetCurrentTimestamp(), due, &secs, &usecs);
      timeout_ms = secs * 1000 + usecs / 1000;
      if (due <= GetCurrentTimestamp()) timeout_ms = 0;
      events |= WL_TIMEOUT;
    }
    if (timeout_ms != 0) {
      (void)WaitLatch(MyLatch, events, timeout_ms, PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
    }
    CHECK_FOR_INTERRUPTS();
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
      continue;  // recompute the deadline with the new interval
    }
    if (g_interval_s <= 0) continue;
    if (GetCurrentTimestamp() < TimestampTzPlusMilliseconds(last, (int64)g_interval_s * 1000)) continue;
    last = GetCurrentTimestamp();
    run_round();
  }
}

void pulse_maintenance_database_main(Datum) {
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  char dbname[NAMEDATALEN];
  std::memcpy(dbname, MyBgworkerEntry->bgw_extra, NAMEDATALEN);
  dbname[NAMEDATALEN - 1] = '\0';
  BackgroundWorkerInitializeConnection(dbname, nullptr, 0);

  // Which tables, if the extension is installed here at all.
  static Oid tables[kMaxTables];
  int ntables = 0;
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  SPI_connect();
  PushActiveSnapshot(GetTransactionSnapshot());
  int rc = SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pulse'", true, 1);
  if (rc == SPI_OK_SELECT && SPI_processed == 1) {
    rc = SPI_execute("SELECT m.parent::oid FROM pulse_internal.managed_tables m ORDER BY 1", true, kMaxTables);
    for (uint64 r = 0; rc == SPI_OK_SELECT && r < SPI_processed; ++r) {
      bool isnull = false;
      Datum d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
      if (!isnull) tables[ntables++] = DatumGetObjectId(d);
    }
  }
  SPI_finish();
  PopActiveSnapshot();
  CommitTransactionCommand();

  int failed = 0;
  for (int i = 0; i < ntables; ++i) {
    CHECK_FOR_INTERRUPTS();
    if (!maintain_table(tables[i])) ++failed;
  }
  if (failed > 0)
    ereport(LOG, (errmsg("pulse maintenance of database \"%s\": %d of %d tables failed, will retry next round",
                         dbname, failed, ntables)));
  proc_exit(0);
}

namespace pulse::maintenance {

void init() noexcept {
  DefineCustomIntVariable("pulse.maintenance_interval",
                          "Seconds between two background maintenance rounds (0 turns them off).",
                          "Each round runs pulse.run_maintenance() in every selected database.",
                          &g_interval_s, 600, 0, 7 * 24 * 3600, PGC_SIGHUP, GUC_UNIT_S,
                          nullptr, nullptr, nullptr);
  DefineCustomStringVariable("pulse.maintenance_databases",
                             "Databases the maintenance worker visits: \"*\" for all, or a comma-separated list.",
                             "Databases without the pulse extension are skipped.",
                             &g_databases, "*", PGC_SIGHUP, 0, check_databases, nullptr, nullptr);
  if (!process_shared_preload_libraries_in_progress) return;
  BackgroundWorker worker;
  std::memset(&worker, 0, sizeof worker);
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = 10;  // if it ever dies, the postmaster starts it again
  std::snprintf(worker.bgw_library_name, BGW_MAXLEN, "pulse");
  std::snprintf(worker.bgw_function_name, BGW_MAXLEN, "pulse_maintenance_launcher_main");
  std::snprintf(worker.bgw_name, BGW_MAXLEN, "pulse maintenance launcher");
  std::snprintf(worker.bgw_type, BGW_MAXLEN, "pulse maintenance launcher");
  RegisterBackgroundWorker(&worker);
}

}  // namespace pulse::maintenance
