// What entry/ needs of PostgreSQL to be an SQL function: Datum, the fmgr call
// convention and its PG_GETARG_* / PG_RETURN_* macros. Nothing else: every
// other PostgreSQL call goes through a named wrapper in pg/.
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

// Exported from pulse.so despite -fvisibility=hidden (PostgreSQL 15's
// PGDLLEXPORT is empty on Linux).
#define PULSE_EXPORT extern "C" __attribute__((visibility("default")))
