// Background workers for C++ callers: registering and starting them, and the
// calls a worker's main loop makes (signals, connection, latch, reload).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

struct WorkerSpec {
  std::string library;   // shared library holding the entry point ("pulse")
  std::string function;  // its exported name
  std::string name;      // bgw_name: shown in the log
  std::string type;      // bgw_type: pg_stat_activity.backend_type
  std::string extra;     // up to 127 bytes handed to the worker (worker_extra())
  int restart_seconds;   // restart after a crash; -1: never
};

// True while shared_preload_libraries are being loaded (the only time a static
// worker can be registered).
bool preloading_libraries() noexcept;

// A worker the postmaster starts (and restarts) by itself; only while preloading.
void register_worker(const WorkerSpec& spec);

// Starts a worker now and waits until it has exited. False when no worker
// slot was free (max_worker_processes).
bool run_worker(const WorkerSpec& spec);

// The first calls of a worker's main: SIGTERM ends it (die), SIGHUP marks the
// configuration for reload (reload_on_sighup), then it connects to `database`
// (nullptr: none, shared catalogs only).
void worker_start(const char* database, bool reload_on_sighup);

// The WorkerSpec::extra this worker was started with.
std::string worker_extra();

// Sleeps until the latch is set, timeout_ms pass (-1: no timeout) or the
// postmaster dies (then exits), and resets the latch.
void wait_for_latch(long timeout_ms);

// Rereads the configuration if SIGHUP asked for it; true if it did.
bool reload_config_if_requested();

// The current time in microseconds (PostgreSQL's epoch; for differences).
int64_t now_micros() noexcept;

// Every database that allows connections and is not a template, read from the
// shared catalog in a transaction of its own.
std::vector<std::string> connectable_databases();

}  // namespace pulse::pg
