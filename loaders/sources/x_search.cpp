// `pulse-load tweets --source search`: X API v2 recent search
// (GET /2/tweets/search/recent). Pages come newest first and are followed
// with next_token; the checkpoint's since_id advances only after the last page
// of a round, so a kill in the middle of paging re-reads rather than skips.
// --follow polls again every 15 s (scaled in tests). The stream source uses
// search_recent() to fill the gap after each reconnect.
#include <algorithm>
#include <cstdlib>

#include "core/json_scan.h"
#include "sources/tweets.h"
#include "sources/x_common.h"

namespace pulse::load {
namespace {

constexpr Millis kPollInterval{15000};

// When the last good response said the rate-limit window is used up, the
// wait owed before the next request (not after the last one: a run without
// --follow can end at once).
Millis g_owed{0};

FetchPolicy search_policy() {
  FetchPolicy p;
  p.base = Millis(5000);
  p.cap = Millis(320000);
  p.default_429 = Millis(60000);
  p.pace = [](const HttpResponse& r) {
    Millis w = x::rate_limit_wait(r);
    if (r.status >= 200 && r.status < 300) {
      g_owed = w;
      return Millis(0);
    }
    return w;  // a 429: wait for the reset before retrying
  };
  p.on_client_error = [](const HttpResponse& r) {
    if (r.status == 401 || r.status == 403) x::throw_auth_error(r, "recent search");
  };
  return p;
}

}  // namespace

std::optional<std::string> search_recent(RunContext& ctx, HttpClient& http, const std::string& token,
                                         const std::string& query, const std::optional<std::string>& since_id,
                                         x::ServerClock* clock, CoverageSpan* covered) {
  if (covered) *covered = CoverageSpan{kTweetsSubject, 0, 0, false};
  std::optional<int64_t> window_end;  // of the round, on the server's time
  auto headers = x::auth_headers(token);
  FetchPolicy policy = search_policy();
  std::optional<std::string> newest;
  std::optional<std::string> next_token;
  int pages = 0;
  long long tweets = 0;
  do {
    std::string path = "/2/tweets/search/recent?query=" + url_encode(query) + "&max_results=100&" +
                       x::tweet_fields_query();
    if (since_id) path += "&since_id=" + *since_id;
    if (next_token) path += "&next_token=" + url_encode(*next_token);
    std::string url = x::api_url(ctx.opts, path);
    if (g_owed.count() > 0) {
      ctx.log.log("info", "rate limit used up, waiting for its reset", {{"wait_ms", std::to_string(scaled(g_owed).count())}});
      if (!sleep_unless(g_owed, ctx.stop)) return std::nullopt;
      g_owed = Millis(0);
    }
    int64_t asked_at = clock ? clock->now() : 0;
    auto resp = fetch(http, url, headers, policy, ctx.log, ctx.stop);
    if (!resp) return std::nullopt;  // stopping: the round is incomplete
    if (clock) {
      clock->observe(*resp);
      // A live server's window ends 30 s before we asked; a replay's before
      // the time its Date says.
      if (!window_end) window_end = (clock->replay() ? clock->now() : asked_at) - x::kSearchLagMs;
    }
    ++pages;
    ctx.progress.add_page();
    next_token.reset();
    std::string body = std::move(resp->body);
    try {
      if (auto meta = find_json_member(body, "meta")) {
        std::string_view m = meta->of(body);
        next_token = x::string_member(m, "next_token");
        if (auto n = x::string_member(m, "newest_id")) newest = newest ? x::max_id(*newest, *n) : *n;
        if (auto c = x::string_member(m, "result_count")) tweets += std::atoll(c->c_str());
      }
    } catch (const std::exception&) {
      // Not an object: the record is landed anyway and the projection rejects it.
    }
    Frame f;
    f.size = body.size();
    f.bytes = std::move(body);
    x::add_frame(ctx.out, "twitter_v2", std::move(f));
  } while (next_token && !ctx.stop.load());
  if (ctx.stop.load() && next_token) return std::nullopt;
  ctx.log.log("info", "recent search done", {{"pages", std::to_string(pages)}, {"tweets", std::to_string(tweets)},
                                             {"since_id", since_id.value_or("")}});
  if (covered && window_end) {
    // Recent search reaches 7 days back (a minute kept as margin); after
    // since_id it returns every newer tweet, so the round covers from
    // since_id's second on (the tweets of that second before it were
    // loaded with it).
    int64_t lo = *window_end + x::kSearchLagMs - x::kSearchWindowMs + 60000;
    if (since_id) {
      if (auto t = snowflake_time_ms(*since_id)) lo = std::max(lo, *t);
    }
    covered->lo_ms = lo;
    covered->hi_ms = *window_end;
  }
  if (newest && since_id) return x::max_id(*newest, *since_id);
  return newest ? newest : since_id;
}

void run_tweet_search(RunContext& ctx) {
  std::string token = x::bearer_token(ctx.opts);
  std::string query = ctx.opts.get_or("query", "");
  HttpClient http(HttpOptions{ctx.opts.has("insecure")});
  std::optional<std::string> since = x::checkpoint_since_id(ctx.checkpoint);
  bool follow = ctx.opts.has("follow");
  x::ServerClock clock;
  while (!ctx.stop.load()) {
    CoverageSpan covered;
    auto newest = search_recent(ctx, http, token, query, since, &clock, &covered);
    if (newest && (!since || *newest != *since)) {
      since = newest;
      ctx.out.set_checkpoint(x::since_id_checkpoint(*since), covered);
    } else {
      ctx.out.add_coverage(covered);  // nothing new (empty when the round was cut short)
    }
    if (!follow) break;
    ctx.out.flush();
    if (!sleep_unless(kPollInterval, ctx.stop)) break;
  }
}

}  // namespace pulse::load
