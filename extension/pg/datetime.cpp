// timestamptz and interval values for C++ callers (datetime.h).
#include "pg/datetime.h"

namespace pulse::pg {

IntervalParts interval_parts(Datum d) noexcept {
  const Interval* iv = DatumGetIntervalP(d);
  return IntervalParts{iv->month, iv->day, iv->time};
}

TimestampTz timestamptz_from_unix_micros(int64_t micros) noexcept {
  constexpr int64 kUnixToPostgresMicros =
      static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC;
  return static_cast<TimestampTz>(micros - kUnixToPostgresMicros);
}

}  // namespace pulse::pg
