// The tweet projections' rows: one pass over a landing record's jsonb (already
// parsed by the server, so this only reads it) giving the rows the batch's
// staging table pg_temp.pulse_tweet_stage takes, exactly as the SQL
// projections (pulse_internal.stage_twitter_v2 / _v1) computed them before.
#pragma once

#include <cstdint>

#include "pg/fmgr_glue.h"
#include "pg/srf.h"

namespace pulse::pg {

enum class TweetFormat { kV2, kV1 };

// Which rows carry their item's JSON in the raw column (NULL in the others):
// those with a problem or a note, or every row.
enum class RawFor { kNoted, kEvery };

// Appends the rows of one landing record (its payload, received_at as a
// timestamptz, and seq) to out, whose columns are pulse_tweet_stage's.
void tweet_stage_rows(TweetFormat format, Datum payload, int64_t received_at, int32_t seq, RawFor raw_for,
                      MaterializedRows& out);

}  // namespace pulse::pg
