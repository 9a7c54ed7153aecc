// Session start tracking (see session.h).
#include "core/session.h"

#include <string>

#include "core/error.h"

namespace pulse {

int64_t SessionTracker::next(int64_t ts, int64_t gap) {
  if (gap <= 0) throw Error(sqlstate::kInvalidParameterValue, "session gap must be positive");
  if (started && ts < prev)
    throw Error(sqlstate::kInvalidParameterValue, "session_start needs rows in ascending order of ts",
                std::string(), "Use OVER (PARTITION BY ... ORDER BY ts).");
  // +-infinity timestamps are the int64 extremes: an overflowing difference
  // is a gap wider than any interval.
  int64_t diff = 0;
  if (!started || __builtin_sub_overflow(ts, prev, &diff) || diff >= gap) start = ts;
  started = true;
  prev = ts;
  return start;
}

int64_t session_gap_micros(int32_t months, int32_t days, int64_t micros) {
  constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000 * 1000;
  if (months != 0)
    throw Error(sqlstate::kInvalidParameterValue, "gap must not contain months or years", std::string(),
                "Use days, hours, minutes or seconds.");
  int64_t gap = 0;
  if (__builtin_mul_overflow(static_cast<int64_t>(days), kMicrosPerDay, &gap) ||
      __builtin_add_overflow(gap, micros, &gap))
    throw Error(sqlstate::kInvalidParameterValue, "gap is out of range");
  if (gap <= 0) throw Error(sqlstate::kInvalidParameterValue, "gap must be positive");
  return gap;
}

}  // namespace pulse
