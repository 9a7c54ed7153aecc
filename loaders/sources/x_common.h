// What the tweet sources share: the bearer token (from the environment or a
// private file, never argv),
// the API base and the fields we request, turning framed bytes into landing
// records or rejects, and X's rate-limit headers.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/coverage.h"
#include "core/framing.h"
#include "core/http.h"
#include "core/source.h"

namespace pulse::load::x {

inline constexpr const char* kDefaultApi = "https://api.twitter.com";

// Query parameters asking for everything pulse.tweets holds, and the
// expansions that carry a retweet's full original.
std::string tweet_fields_query();

// The file --token-file names (checked: private to this user), else
// PULSE_TWITTER_BEARER_TOKEN, else TWITTER_BEARER_TOKEN. Throws ConfigError
// naming the variables (never a value) when none is set, UsageError for a
// token file that is not private.
std::string bearer_token(const Options& opts);
std::vector<std::string> auth_headers(const std::string& token);

// --api-url applied to an https://api.twitter.com/... URL.
std::string api_url(const Options& opts, const std::string& path_and_query);

// Adds one framed record to the pipeline: a landing record when it is JSON
// that jsonb stores; otherwise a reject with the bytes as received. A record
// cleaned for jsonb (\u0000, lone surrogates) is landed cleaned AND noted in
// pulse.rejects with its original bytes.
// With `checkpoint_after`, the frame's last record carries that checkpoint,
// so the batch that commits the frame commits the position after it.
void add_frame(Pipeline& out, const std::string& format, Frame&& f, const std::string* checkpoint_after = nullptr);

// 401/403 end the run (exit 3) with a message that says what to check.
[[noreturn]] void throw_auth_error(const HttpResponse& r, const std::string& what);

// How long X's rate-limit headers ask us to wait before the next request:
// nothing while x-rate-limit-remaining > 0, else until a second after
// x-rate-limit-reset (epoch seconds). Unscaled.
Millis rate_limit_wait(const HttpResponse& r, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Larger of two decimal tweet ids (ids are compared as numbers, by length
// then digits, since they may exceed what a double holds exactly).
std::string max_id(const std::string& a, const std::string& b);

// The since_id stored in a checkpoint ({"since_id":"..."}), if any.
std::optional<std::string> checkpoint_since_id(const std::optional<std::string>& checkpoint);
std::string since_id_checkpoint(const std::string& since_id, const std::string& extra_json_members = "");

// The value of a top-level string member of a JSON object text, without
// decoding numbers ("id" of a tweet, "next_token" of meta, ...).
std::optional<std::string> string_member(std::string_view json, std::string_view key);

// The event times (epoch ms, to the second, as pulse.tweets.created_at) of
// the tweets one record holds: a v2 stream line or page ("data", object or
// array; not "includes"), a bare v2 tweet, or a v1.1 status. The snowflake
// id's time, else (ids from before 2010) the created_at the record claims.
// Nothing for what is not JSON or holds no tweet.
std::vector<int64_t> tweet_event_times(std::string_view record);

// The clock an X connection runs on, for coverage. A live server's HTTP Date
// agrees with ours (within kReplaySkew), and its time is our clock. A server
// whose Date is further behind replays a recording: its time is its Date,
// moved on only by what it says (later Dates, the event times it delivers,
// as nothing is delivered before it happens), and never past our clock.
class ServerClock {
 public:
  static constexpr int64_t kReplaySkewMs = 5 * 60 * 1000;
  void observe(const HttpResponse& r);
  void observe_date(std::optional<int64_t> date_ms);
  void observe_event(int64_t ms);
  int64_t now() const;
  bool replay() const { return server_ms_.has_value(); }

 private:
  std::optional<int64_t> server_ms_;
};

// X recent search asks for the last 7 days up to 30 s before the request
// (its default start_time and end_time).
inline constexpr int64_t kSearchWindowMs = 7LL * 24 * 3600 * 1000;
inline constexpr int64_t kSearchLagMs = 30 * 1000;

int64_t wall_now_ms();

}  // namespace pulse::load::x
