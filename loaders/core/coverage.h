// Coverage (SPEC "Completeness and watermarks"): the event time a loader has
// loaded completely, per subject, recorded by pulse.declare_coverage in the
// transaction of the batch that completes it. Pure bookkeeping here: spans,
// the subjects' names, and the --covers flag; each source decides what it
// may claim.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pulse::load {

// Event time [lo_ms, hi_ms) (or [lo_ms, hi_ms] when hi_closed) of `subject`.
struct CoverageSpan {
  std::string subject;
  int64_t lo_ms = 0;
  int64_t hi_ms = 0;
  bool hi_closed = false;
  bool empty() const { return hi_closed ? hi_ms < lo_ms : hi_ms <= lo_ms; }
  bool operator==(const CoverageSpan& o) const {
    return subject == o.subject && lo_ms == o.lo_ms && hi_ms == o.hi_ms && hi_closed == o.hi_closed;
  }
};

// Adds `s` to `spans`, merging it with the spans of its subject it overlaps
// or touches (so a stream that extends [connect, now) batch after batch
// carries one span). Empty spans are dropped.
void merge_coverage(std::vector<CoverageSpan>& spans, CoverageSpan s);

// A candle width as SQL's pulse_internal.period_label spells it: seconds
// divisible by 86400 -> "<n>d", else by 3600 -> "<n>h", by 60 -> "<n>m",
// else "<n>s".
std::string period_label(int64_t seconds);
// "candles/<exchange>/<market>/<period label>".
std::string candle_subject(const std::string& exchange, const std::string& market, int64_t period_ms);
inline constexpr const char* kTweetsSubject = "tweets";

// --covers for file loads: what the file claims to cover.
struct CoversArg {
  enum class Mode { kSpan, kNone, kRange } mode = Mode::kSpan;  // kSpan: [first, last] event time
  int64_t from_ms = 0, until_ms = 0;                           // kRange: [from, until)
};
// Parses "none" or "FROM..UNTIL" (ISO 8601 times as --since takes them,
// FROM before UNTIL). Throws UsageError naming --covers.
CoversArg parse_covers(const std::string& value);

// The creation time a tweet's snowflake id encodes, truncated to the second
// as pulse.tweets.created_at keeps it; nullopt for ids from before
// snowflakes (below 362387865600000) or text that is not a decimal id.
std::optional<int64_t> snowflake_time_ms(std::string_view id);

// An HTTP Date header (RFC 7231 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT")
// as epoch ms; nullopt when it is not one.
std::optional<int64_t> parse_http_date(std::string_view value);

}  // namespace pulse::load
