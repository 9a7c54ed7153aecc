// Parsing of the two timestamp spellings X uses for created_at: API v2's ISO
// 8601 ("2021-05-18T19:24:56.000Z") and v1.1's ("Fri Jul 12 23:40:37 +0000
// 2019"). Returns nothing instead of throwing, so one bad record can be
// rejected without failing the batch around it (PostgreSQL 15's timestamptz
// input can only raise an error).
#pragma once

#include "core/no_postgres.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace pulse {

// Microseconds since 1970-01-01 00:00:00 UTC, or nullopt when `s` is not a
// complete, valid timestamp in either spelling (fields out of range, a 30th
// of February, trailing garbage, a year outside 1..9999).
std::optional<int64_t> parse_tweet_time(std::string_view s);

// Days from 1970-01-01 to the given proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

// The proleptic Gregorian date of a day count from 1970-01-01 (the inverse
// of days_from_civil).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d);

// a / b rounded toward negative infinity.
int64_t floor_div(int64_t a, int64_t b);

}  // namespace pulse
