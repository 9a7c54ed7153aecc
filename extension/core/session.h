// Session windows (pulse.session_start): rows ordered by time belong to the
// same session while each follows the previous one by less than `gap`; a row
// at or after prev + gap opens a new session (as Beam's session windows: each
// element's window [t, t + gap) merged with the ones it overlaps).
#pragma once

#include "core/no_postgres.h"

#include <cstdint>

namespace pulse {

struct SessionTracker {
  bool started = false;
  int64_t prev = 0;   // last non-NULL timestamp seen (microseconds)
  int64_t start = 0;  // start of the current session

  // Feeds the next timestamp in order and returns its session's start.
  // Throws pulse::Error when ts goes backwards (the frame is not ordered by ts).
  int64_t next(int64_t ts, int64_t gap);
};

// The session gap in microseconds, from an interval's fields. Throws
// pulse::Error (22023) for months or years (not a fixed length), a gap out of
// range, or one that is not positive.
int64_t session_gap_micros(int32_t months, int32_t days, int64_t micros);

}  // namespace pulse
