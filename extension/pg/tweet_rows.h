// The tweet projections' rows: one pass over a landing record (its jsonb, or
// the text of a landing chunk) giving the rows the batch's staging table
// pg_temp.pulse_tweet_stage takes, exactly as the SQL projections
// (pulse_internal.stage_twitter_v2 / _v1) computed them before.
#pragma once

#include <cstdint>
#include <string_view>

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

// Appends the rows of every record of a landing chunk (the text of a JSON
// array; records numbered from first_seq), as tweet_stage_rows gives them
// with RawFor::kNoted. A record is read from its text where that gives the
// same rows, else parsed into jsonb (and refused with jsonb's error).
void tweet_chunk_rows(TweetFormat format, std::string_view chunk, int64_t received_at, int32_t first_seq,
                      MaterializedRows& out);

}  // namespace pulse::pg
