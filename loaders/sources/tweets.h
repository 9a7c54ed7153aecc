// `pulse-load tweets`: the X filtered stream, recent search, and archived
// files. run_tweets() validates the flags and runs the chosen source inside
// the loader core (batching, COPY, apply_batch, checkpoints).
#pragma once

#include <optional>
#include <string>

#include "core/cli.h"
#include "core/coverage.h"
#include "core/http.h"
#include "core/source.h"

namespace pulse::load {

// Returns the process exit code.
int run_tweets(const Options& opts);

// The sources (one file each).
void run_tweet_file(RunContext& ctx, const std::string& format);
void run_tweet_search(RunContext& ctx);
void run_tweet_stream(RunContext& ctx);

namespace x {
class ServerClock;
}

// One round of recent search from since_id (all pages), landing each page.
// Returns the newest id seen (or since_id when nothing new), nullopt when
// stopped before the round ended. With `covered`, a round that ended sets
// it to the event time it covered, read on `clock`: X's window for the
// round ([now - 7 days, now - 30 s) at the first page, on the server's
// time), from since_id's time on when there is one. The caller records it
// with the round's checkpoint.
std::optional<std::string> search_recent(RunContext& ctx, HttpClient& http, const std::string& token,
                                         const std::string& query, const std::optional<std::string>& since_id,
                                         x::ServerClock* clock = nullptr, CoverageSpan* covered = nullptr);

}  // namespace pulse::load
