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

}  // namespace pulse
