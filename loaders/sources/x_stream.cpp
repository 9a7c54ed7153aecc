// `pulse-load tweets --source stream`: the X API v2 filtered stream
// (GET /2/tweets/search/stream), one JSON object a line with keep-alive
// newlines. --query makes sure a rule with that value exists first. The
// reconnect rules are X's own: network errors back off linearly (+250 ms, up
// to 16 s), HTTP errors exponentially (5 s doubling to 320 s), 429 from 60 s
// doubling (or until x-rate-limit-reset); 20 s without a byte is a dead
// stream; an in-band operational-disconnect means reconnect. After every
// reconnect (and at a restart from a checkpoint) recent search fills the gap
// since the last id seen.
//
// Coverage ("tweets"): a connection covers from when it opened to the time
// of the latest complete line (keep-alives included, so a quiet stream is
// covered too), on the server's clock (x::ServerClock: ours, unless the
// server replays a recording). What was missed while disconnected is
// covered only by the gap-fill search's own window, once all its pages are
// in: from the last id's time to 30 s before the search. The moments
// between that and the next connection stay uncovered, and so does the
// whole gap when there is nothing to search from or the search fails.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/json_scan.h"
#include "sources/tweets.h"
#include "sources/x_common.h"

namespace pulse::load {
namespace {

using Clock = std::chrono::steady_clock;
constexpr Millis kStall{20000};

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// POST of a JSON body. HttpClient only GETs; the rules endpoint is the one
// place a loader writes upstream, so it gets this small helper.
HttpResponse post_json(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                       bool insecure) {
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) throw NetworkError("curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistDeleter> list;
  curl_slist* raw = nullptr;
  auto add = [&](const std::string& h) {
    curl_slist* next = curl_slist_append(raw, h.c_str());
    if (!next) throw std::bad_alloc();
    raw = next;
    list.release();
    list.reset(raw);
  };
  for (const auto& h : headers) add(h);
  add("Content-Type: application/json");
  HttpResponse r;
  char errbuf[CURL_ERROR_SIZE] = {0};
  auto on_body = +[](char* p, size_t s, size_t n, void* ud) -> size_t {
    static_cast<HttpResponse*>(ud)->body.append(p, s * n);
    return s * n;
  };
  auto on_header = +[](char* p, size_t s, size_t n, void* ud) -> size_t {
    parse_header_line(std::string_view(p, s * n), static_cast<HttpResponse*>(ud)->headers);
    return s * n;
  };
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, raw);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYPEER, insecure ? 0L : 1L);
  curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYHOST, insecure ? 0L : 2L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r);
  CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) throw NetworkError(std::string("POST ") + url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

FetchPolicy rules_policy() {
  FetchPolicy p;
  p.base = Millis(5000);
  p.cap = Millis(320000);
  p.pace = [](const HttpResponse& r) { return x::rate_limit_wait(r); };
  p.on_client_error = [](const HttpResponse& r) {
    if (r.status == 401 || r.status == 403) x::throw_auth_error(r, "stream rules");
  };
  return p;
}

// The values of the stream's current rules.
std::optional<std::vector<std::string>> rule_values(RunContext& ctx, HttpClient& http, const std::string& token) {
  FetchPolicy policy = rules_policy();
  auto resp = fetch(http, x::api_url(ctx.opts, "/2/tweets/search/stream/rules"), x::auth_headers(token), policy,
                    ctx.log, ctx.stop);
  if (!resp) return std::nullopt;
  std::string err;
  JsonPtr doc = json_parse(resp->body, &err);
  if (!doc || !json_is_object(doc.get())) throw UpstreamError("the stream rules response is not a JSON object: " + err);
  std::vector<std::string> values;
  json_t* data = json_object_get(doc.get(), "data");
  size_t i;
  json_t* rule;
  if (json_is_array(data)) {
    json_array_foreach(data, i, rule) {
      const char* v = json_string_value(json_object_get(rule, "value"));
      if (v) values.emplace_back(v);
    }
  }
  return values;
}

void ensure_rule(RunContext& ctx, HttpClient& http, const std::string& token, const std::string& query) {
  auto values = rule_values(ctx, http, token);
  if (!values) return;
  if (std::find(values->begin(), values->end(), query) != values->end()) {
    ctx.log.log("info", "stream rule exists", {{"value", query}});
    return;
  }
  std::string body = "{\"add\":[{\"value\":" + json_quote(query) + ",\"tag\":" + json_quote(query) + "}]}";
  Backoff backoff(Millis(5000), Millis(320000), 2.0, false);
  for (int attempt = 1;; ++attempt) {
    std::string why;
    try {
      HttpResponse r = post_json(x::api_url(ctx.opts, "/2/tweets/search/stream/rules"), x::auth_headers(token), body,
                                 ctx.opts.has("insecure"));
      if (r.status == 401 || r.status == 403) x::throw_auth_error(r, "adding a stream rule");
      if (r.status >= 200 && r.status < 300) {
        std::string err;
        JsonPtr doc = json_parse(r.body, &err);
        json_t* errors = doc ? json_object_get(doc.get(), "errors") : nullptr;
        if (json_is_array(errors) && json_array_size(errors) > 0) {
          const char* title = json_string_value(json_object_get(json_array_get(errors, 0), "title"));
          if (title && std::string(title) == "DuplicateRule") return;
          throw UpstreamError("X refused the stream rule \"" + query + "\": " + r.body.substr(0, 300));
        }
        ctx.log.log("info", "stream rule added", {{"value", query}});
        return;
      }
      if (r.status < 500 && r.status != 429)
        throw UpstreamError("HTTP " + std::to_string(r.status) + " adding the stream rule: " + r.body.substr(0, 300));
      why = "HTTP " + std::to_string(r.status);
    } catch (const NetworkError& e) {
      why = e.what();
    }
    if (attempt >= 8) throw UpstreamError("could not add the stream rule: " + why);
    ctx.log.warn("adding the stream rule failed (" + why + "), retrying");
    if (!sleep_unless(backoff.next(), ctx.stop)) return;
  }
}

// The search query that covers the stream's rules, for gap filling.
std::optional<std::string> gap_query(RunContext& ctx, HttpClient& http, const std::string& token) {
  if (auto q = ctx.opts.get("query")) return *q;
  auto values = rule_values(ctx, http, token);
  if (!values || values->empty()) return std::nullopt;
  if (values->size() == 1) return values->front();
  std::string q;
  for (const auto& v : *values) q += (q.empty() ? "(" : " OR (") + v + ")";
  return q;
}

// Aborts the stream when no byte arrived for kStall (scaled) or on stop.
class Watchdog {
 public:
  Watchdog(HttpClient& http, const std::atomic<bool>& stop) : http_(http), stop_(stop) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> l(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void touch() { last_ns_.store(Clock::now().time_since_epoch().count()); }
  bool stalled() const { return stalled_.load(); }

 private:
  void loop() {
    touch();
    const auto limit = scaled(kStall);
    std::unique_lock<std::mutex> l(mu_);
    while (!done_) {
      cv_.wait_for(l, std::chrono::milliseconds(20));
      if (done_) break;
      auto last = Clock::time_point(Clock::duration(last_ns_.load()));
      if (stop_.load()) {
        http_.abort();
      } else if (Clock::now() - last > limit) {
        stalled_.store(true);
        http_.abort();
      }
    }
  }
  HttpClient& http_;
  const std::atomic<bool>& stop_;
  std::atomic<Clock::rep> last_ns_{0};
  std::atomic<bool> stalled_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

void run_tweet_stream(RunContext& ctx) {
  std::string token = x::bearer_token(ctx.opts);
  bool insecure = ctx.opts.has("insecure");
  HttpClient api(HttpOptions{insecure});
  if (auto q = ctx.opts.get("query")) ensure_rule(ctx, api, token, *q);

  std::optional<std::string> last_id = x::checkpoint_since_id(ctx.checkpoint);
  x::ServerClock clock;
  auto fill_gap = [&](const char* why) {
    if (!last_id || ctx.stop.load()) return;
    auto q = gap_query(ctx, api, token);
    if (!q) {
      ctx.log.warn("no stream rules to search with; the gap since the last tweet is not filled");
      return;
    }
    ctx.log.log("info", "filling the gap with recent search", {{"since_id", *last_id}, {"after", why}});
    CoverageSpan covered;
    if (auto newest = search_recent(ctx, api, token, *q, last_id, &clock, &covered)) {
      last_id = x::max_id(*last_id, *newest);
      ctx.out.set_checkpoint(x::since_id_checkpoint(*last_id), covered);
    }
  };
  fill_gap("restart from a checkpoint");

  HttpOptions sopts{insecure};
  sopts.low_speed_time_s = 0;  // our watchdog applies X's 20 s rule instead
  HttpClient http(sopts);
  Backoff network(Millis(250), Millis(16000), 1.0, false, true);
  Backoff http_errors(Millis(5000), Millis(320000), 2.0, false);
  Backoff rate_limited(Millis(60000), Millis(15 * 60000), 2.0, false);
  std::string url = x::api_url(ctx.opts, "/2/tweets/search/stream?" + x::tweet_fields_query());
  auto headers = x::auth_headers(token);
  bool reconnecting = false;

  while (!ctx.stop.load()) {
    if (reconnecting) fill_gap("a reconnect");
    if (ctx.stop.load()) break;
    http.reset_abort();
    LineFramer framer;
    bool got_data = false, op_disconnect = false;
    long long lines = 0;
    std::optional<int64_t> connected_at;
    auto on_line = [&](Frame&& f) {
      ++lines;
      if (f.problem.empty()) {
        std::string_view text = f.bytes;
        std::optional<Span> data;
        try {
          data = find_json_member(text, "data");
        } catch (const std::exception&) {
        }
        if (data) {
          if (auto id = x::string_member(data->of(text), "id")) {
            last_id = last_id ? x::max_id(*last_id, *id) : *id;
            if (auto t = snowflake_time_ms(*id)) clock.observe_event(*t);
            if (auto t = snowflake_time_ms(*last_id)) ctx.progress.set_position(Progress::Unit::kEventTime, *t);
          }
        } else if (text.find("operational-disconnect") != std::string_view::npos ||
                   text.find("OperationalDisconnect") != std::string_view::npos) {
          op_disconnect = true;
        }
      }
      x::add_frame(ctx.out, "twitter_v2", std::move(f));
      if (last_id) ctx.out.set_checkpoint(x::since_id_checkpoint(*last_id));
    };
    HttpResponse resp;
    std::string net_error;
    bool stalled = false;
    {
      Watchdog dog(http, ctx.stop);
      try {
        resp = http.stream(
            url, headers,
            [&](std::string_view chunk) {
              dog.touch();
              framer.feed(chunk, on_line);
              got_data = true;
              // Covered up to now once every line so far is in the pipeline.
              if (connected_at && framer.pending() == 0)
                ctx.out.add_coverage(CoverageSpan{kTweetsSubject, *connected_at, clock.now(), false});
              return !op_disconnect && !ctx.stop.load();
            },
            [&](const HttpResponse& head) {
              clock.observe(head);
              connected_at = clock.now();
            });
      } catch (const NetworkError& e) {
        net_error = e.what();
      }
      stalled = dog.stalled();
    }
    if (auto partial = framer.finish()) {
      if (partial->problem.empty()) partial->problem = "truncated: the stream ended inside this line";
      on_line(std::move(*partial));
    }
    if (ctx.stop.load()) break;
    reconnecting = true;

    Millis wait{0};
    std::string why;
    if (!net_error.empty() || stalled || op_disconnect || (resp.status >= 200 && resp.status < 300)) {
      if (got_data && resp.status >= 200 && resp.status < 300) {
        http_errors.reset();
        rate_limited.reset();
        if (lines > 0) network.reset();
      }
      why = stalled ? "no data for 20 s (dead stream)"
            : op_disconnect ? "operational-disconnect from X"
            : !net_error.empty() ? "network error: " + net_error
                                 : "the stream ended";
      wait = network.next();
    } else if (resp.status == 401 || resp.status == 403) {
      x::throw_auth_error(resp, "filtered stream");
    } else if (resp.status == 429) {
      Millis reset = x::rate_limit_wait(resp);
      Millis next = rate_limited.next();
      wait = reset.count() > 0 ? reset : next;
      why = "HTTP 429 (too many connections or requests)";
    } else if (resp.status >= 500 || resp.status == 420) {
      wait = http_errors.next();
      why = "HTTP " + std::to_string(resp.status);
    } else {
      throw UpstreamError("HTTP " + std::to_string(resp.status) + " from the filtered stream: " +
                          resp.body.substr(0, 300));
    }
    ctx.log.log("warn", why + ", reconnecting", {{"wait_ms", std::to_string(scaled(wait).count())}});
    ctx.out.flush();
    if (!sleep_unless(wait, ctx.stop)) break;
  }
}

}  // namespace pulse::load
