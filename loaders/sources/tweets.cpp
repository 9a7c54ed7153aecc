// See tweets.h.
#include "sources/tweets.h"

#include "sources/x_common.h"

namespace pulse::load {

int run_tweets(const Options& opts) {
  std::string source = opts.get_or("source", "");
  std::string format = opts.get_or("format", "twitter_v2");
  if (source != "stream" && source != "search" && source != "file")
    throw UsageError("tweets needs --source stream, search or file");
  if (format != "twitter_v2" && format != "twitter_v1")
    throw UsageError("--format must be twitter_v2 or twitter_v1, got \"" + format + "\"");
  if (source != "file" && format != "twitter_v2")
    throw UsageError("--format twitter_v1 is for archived files; the X API v2 sends twitter_v2");
  if (source != "file" && opts.has("file")) throw UsageError("--file is for --source file");
  if (source == "file" && opts.has("token-file")) throw UsageError("--token-file is for --source stream or search");
  if (source == "file" && opts.has("query")) throw UsageError("--query is for --source stream or search");
  if (source == "search" && opts.get_or("query", "").empty()) throw UsageError("--source search needs --query Q");
  if (opts.has("query") && opts.get_or("query", "").empty()) throw UsageError("--query must not be empty");
  if (auto c = opts.get("covers")) {
    if (source != "file") throw UsageError("--covers is for --source file (the stream and search cover what they read)");
    parse_covers(*c);
  }

  // Before connecting anywhere: a missing token is a configuration error.
  if (source != "file") x::bearer_token(opts);

  // A file's default stream carries the file's identity, so two files load
  // at once without sharing a checkpoint; stdin is "tweets_file:stdin" (it
  // never resumes, and the stream's lease keeps two stdin loads apart).
  std::string stream_name = "tweets_" + source;
  if (source == "file") {
    std::string path = opts.get_or("file", "");
    if (path.empty()) throw UsageError("--source file needs --file PATH (or --file - for stdin)");
    stream_name = "tweets_file:" + file_identity(path);
  }
  return run_loader(opts, stream_name, [&](RunContext& ctx) {
    if (source == "file") run_tweet_file(ctx, format);
    else if (source == "search") run_tweet_search(ctx);
    else run_tweet_stream(ctx);
  });
}

}  // namespace pulse::load
