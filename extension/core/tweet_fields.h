// Pure helpers of the tweet projections that run per field of every tweet,
// kept in C++ because the SQL forms (regular expressions, a sorted subquery
// per entity list) dominated the projection's cost in bench/tweets_bench.sh.
#pragma once

#include "core/no_postgres.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pulse {

// A plain non-negative decimal integer no larger than `max` (no sign, no
// spaces, no exponent, at most 19 digits), else nullopt.
std::optional<int64_t> parse_decimal(std::string_view s, int64_t max);

// `s` without the leading characters (UTF-8 sequences) that occur in `sigils`.
std::string_view strip_sigils(std::string_view s, std::string_view sigils);

// Keeps the first occurrence of each non-empty string, in order.
std::vector<std::string> dedupe_in_order(std::vector<std::string> items);

}  // namespace pulse
