// timestamptz and interval values for C++ callers.
#pragma once

#include <cstdint>

#include "pg/fmgr_glue.h"

extern "C" {
#include "utils/timestamp.h"  // TimestampTz and PG_RETURN_TIMESTAMPTZ
}

namespace pulse::pg {

// An interval's three fields, as PostgreSQL keeps them.
struct IntervalParts {
  int32_t months;
  int32_t days;
  int64_t micros;
};

IntervalParts interval_parts(Datum d) noexcept;

// A timestamptz from microseconds since 1970-01-01 00:00:00 UTC (PostgreSQL
// counts from 2000-01-01).
TimestampTz timestamptz_from_unix_micros(int64_t micros) noexcept;

}  // namespace pulse::pg
