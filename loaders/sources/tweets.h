// `pulse-load tweets`: the X filtered stream, recent search, and archived
// files. run_tweets() validates the flags and runs the chosen source inside
// the loader core (batching, COPY, apply_batch, checkpoints).
#pragma once

#include <optional>
#include <string>

#include "core/cli.h"
#include "core/http.h"
#include "core/source.h"

namespace pulse::load {

// Returns the process exit code.
int run_tweets(const Options& opts);

// The sources (one file each).
void run_tweet_file(RunContext& ctx, const std::string& format);
void run_tweet_search(RunContext& ctx);
void run_tweet_stream(RunContext& ctx);

// One round of recent search from since_id (all pages), landing each page.
// Returns the newest id seen (or since_id when nothing new), nullopt when
// stopped before the round ended.
std::optional<std::string> search_recent(RunContext& ctx, HttpClient& http, const std::string& token,
                                         const std::string& query, const std::optional<std::string>& since_id);

}  // namespace pulse::load
