// Background workers for C++ callers (bgworker.h).
#include <cstring>

#include "core/error.h"
#include "pg/bgworker.h"
#include "pg/guard.h"

// Some of these headers reach s_lock.h, which uses `register` (not C++17).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}
#pragma GCC diagnostic pop

namespace pulse::pg {
namespace {

BackgroundWorker to_worker(const WorkerSpec& spec) {
  if (spec.extra.size() >= BGW_EXTRALEN)
    throw Error(sqlstate::kInvalidParameterValue, "background worker argument is too long");
  BackgroundWorker w;
  std::memset(&w, 0, sizeof w);
  w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  w.bgw_start_time = BgWorkerStart_RecoveryFinished;
  w.bgw_restart_time = spec.restart_seconds < 0 ? BGW_NEVER_RESTART : spec.restart_seconds;
  strlcpy(w.bgw_library_name, spec.library.c_str(), BGW_MAXLEN);
  strlcpy(w.bgw_function_name, spec.function.c_str(), BGW_MAXLEN);
  strlcpy(w.bgw_name, spec.name.c_str(), BGW_MAXLEN);
  strlcpy(w.bgw_type, spec.type.c_str(), BGW_MAXLEN);
  std::memcpy(w.bgw_extra, spec.extra.data(), spec.extra.size());
  return w;
}

}  // namespace

bool preloading_libraries() noexcept { return process_shared_preload_libraries_in_progress; }

void register_worker(const WorkerSpec& spec) {
  BackgroundWorker w = to_worker(spec);
  pg_guard([&] { RegisterBackgroundWorker(&w); });
}

bool run_worker(const WorkerSpec& spec) {
  BackgroundWorker w = to_worker(spec);
  w.bgw_notify_pid = MyProcPid;
  BackgroundWorkerHandle* handle = nullptr;
  if (!pg_guard([&] { return RegisterDynamicBackgroundWorker(&w, &handle); })) return false;
  pg_guard([&] { (void)WaitForBackgroundWorkerShutdown(handle); });
  return true;
}

void worker_start(const char* database, bool reload_on_sighup) {
  pg_guard([&] {
    if (reload_on_sighup) pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(database, nullptr, 0);
  });
}

std::string worker_extra() {
  const char* extra = MyBgworkerEntry->bgw_extra;
  return std::string(extra, strnlen(extra, BGW_EXTRALEN));
}

void wait_for_latch(long timeout_ms) {
  int events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;
  if (timeout_ms >= 0) events |= WL_TIMEOUT;
  pg_guard([&] {
    (void)WaitLatch(MyLatch, events, timeout_ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
  });
}

bool reload_config_if_requested() {
  if (!ConfigReloadPending) return false;
  ConfigReloadPending = false;
  pg_guard([] { ProcessConfigFile(PGC_SIGHUP); });
  return true;
}

int64_t now_micros() noexcept { return GetCurrentTimestamp(); }

std::vector<std::string> connectable_databases() {
  std::vector<std::string> names;
  pg_guard([] {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    (void)GetTransactionSnapshot();
  });
  Relation rel = pg_guard([] { return table_open(DatabaseRelationId, AccessShareLock); });
  TableScanDesc scan = pg_guard([&] { return table_beginscan_catalog(rel, 0, nullptr); });
  for (;;) {
    HeapTuple tup = pg_guard([&] { return heap_getnext(scan, ForwardScanDirection); });
    if (tup == nullptr) break;
    auto* db = reinterpret_cast<Form_pg_database>(GETSTRUCT(tup));
    if (db->datallowconn && !db->datistemplate) names.emplace_back(NameStr(db->datname));
  }
  pg_guard([&] {
    table_endscan(scan);
    table_close(rel, AccessShareLock);
    CommitTransactionCommand();
  });
  return names;
}

}  // namespace pulse::pg
