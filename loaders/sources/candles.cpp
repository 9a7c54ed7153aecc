// The candles driver (see candles.h). Positions saved in the checkpoint:
//   {"mode":"backfill","since":ms,"until":ms,"cursor":ms,"top":ms}  paging in progress
//   {"mode":"done","since":..,"until":..}                  range covered
//   {"mode":"follow","newest":ms}                           live polling
// A restart with the same range resumes at the cursor; a --follow restart
// backfills from the newest candle it had, so a downtime leaves no gap.
//
// Coverage (candles/<exchange>/<market>/<period>) goes with the checkpoint
// that proves it: a backfill covers the part of [since, until) its pages hold
// so far (the suffix below until when the exchange pages newest first, the
// prefix after since otherwise), and all of it once paging is done; never a
// period that was still open when fetched ("top": the start of the period
// open at the first request of the range). --follow covers from the oldest
// candle of each poll to the start of the period open at the poll. A page
// that failed is never covered; a bad candle in a fetched page is a reject
// and does not make its minute uncovered.
#include "sources/candles.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <sstream>

#include <simdjson.h>

#include "core/json_scan.h"
#include "core/simd_json.h"

namespace pulse::load {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t period_ms_of(const std::string& p) {
  if (p == "1m") return 60000;
  if (p == "3m") return 180000;
  if (p == "5m") return 300000;
  if (p == "15m") return 900000;
  if (p == "30m") return 1800000;
  if (p == "1h") return 3600000;
  throw UsageError("--period must be one of 1m, 3m, 5m, 15m, 30m, 1h; got \"" + p + "\"");
}

std::optional<int64_t> json_int_member(json_t* obj, const char* key) {
  json_t* v = json_object_get(obj, key);
  if (json_is_integer(v)) return json_integer_value(v);
  return std::nullopt;
}

std::string read_all(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError("cannot read --file " + path);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

HttpOptions http_options(bool insecure, RunContext& ctx) {
  HttpOptions o;
  o.insecure = insecure;
  o.stop = &ctx.stop;
  return o;
}

class CandleRun {
 public:
  CandleRun(const CandleParams& p, Exchange& ex, RunContext& ctx, bool insecure, std::string api_url)
      : p_(p), ex_(ex), ctx_(ctx), api_url_(std::move(api_url)), http_(http_options(insecure, ctx)),
        policy_(ex.policy()), subject_(candle_subject(p.exchange, p.market, p.period_ms)) {}

  // The checkpoint counts the records of the file already committed, and is
  // committed with the batch holding the last of them, so a restart after
  // kill -9 skips exactly those: each raw record lands in pulse.landing once.
  // A file covers the periods of its first to its last candle (a candle's
  // event time is its whole period), or what --covers says.
  void replay_file(const std::string& path, const CoversArg& covers) {
    std::string body = read_all(path);
    int64_t skip = 0;
    if (ctx_.checkpoint) {
      JsonPtr cp = json_parse(*ctx_.checkpoint);
      if (cp && json_is_object(cp.get())) {
        const char* mode = json_string_value(json_object_get(cp.get(), "mode"));
        const char* cp_path = json_string_value(json_object_get(cp.get(), "path"));
        auto records = json_int_member(cp.get(), "records");
        auto bytes = json_int_member(cp.get(), "bytes");
        // Only an unfinished run of the same, unchanged file resumes; a
        // finished one is read again (typed rows then come out unchanged).
        if (mode && std::string(mode) == "file" && cp_path && path != "-" && path == cp_path && records &&
            bytes == static_cast<int64_t>(body.size()) && !json_is_true(json_object_get(cp.get(), "done")))
          skip = *records;
      }
    }
    int64_t seen = 0;
    std::optional<int64_t> first, last;
    auto take_counted = [&](const Page& page) {
      ctx_.progress.add_page();
      if (page.min_bucket_ms && (!first || *page.min_bucket_ms < *first)) first = page.min_bucket_ms;
      if (page.max_bucket_ms && (!last || *page.max_bucket_ms > *last)) last = page.max_bucket_ms;
      for (const auto& rec : page.records) {
        ++seen;
        if (seen <= skip) continue;
        ctx_.out.add(rec, file_cp(path, body.size(), seen, false));
      }
    };
    // One response, or several, one per line (a log of responses).
    if (!is_valid_json(body) && body.find('\n') != std::string::npos) {
      size_t start = 0;
      ctx_.progress.set_extent(Progress::Unit::kBytes, 0, int64_t(body.size()));
      while (start < body.size() && !ctx_.stop.load()) {
        ctx_.progress.set_position(Progress::Unit::kBytes, int64_t(start));
        size_t nl = body.find('\n', start);
        if (nl == std::string::npos) nl = body.size();
        std::string_view line(body.data() + start, nl - start);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
        if (!line.empty()) take_counted(ex_.parse(p_, line, now_ms()));
        start = nl + 1;
      }
    } else {
      take_counted(ex_.parse(p_, body, now_ms()));
    }
    if (!ctx_.stop.load()) ctx_.progress.set_position(Progress::Unit::kBytes, int64_t(body.size()));
    if (seen < skip) ctx_.log.warn("the file is shorter than its checkpoint says; nothing new to load");
    bool done = !ctx_.stop.load();
    std::string cp = file_cp(path, body.size(), std::max(seen, skip), done);
    CoverageSpan span{subject_, 0, 0, false};
    if (done && covers.mode == CoversArg::Mode::kSpan && first) {
      span.lo_ms = *first;
      span.hi_ms = std::min(*last + p_.period_ms, align(now_ms()));
    } else if (done && covers.mode == CoversArg::Mode::kRange) {
      span.lo_ms = covers.from_ms;
      span.hi_ms = std::min(covers.until_ms, now_ms());
    }
    ctx_.out.set_checkpoint(cp, span);
  }

  static std::string file_cp(const std::string& path, size_t bytes, int64_t records, bool done) {
    return "{\"mode\":\"file\",\"path\":" + json_quote(path) + ",\"bytes\":" + std::to_string(bytes) +
           ",\"records\":" + std::to_string(records) + (done ? ",\"done\":true}" : "}");
  }

  void run() {
    std::optional<int64_t> resume_cursor;
    std::optional<int64_t> newest_seen;
    if (ctx_.checkpoint) {
      JsonPtr cp = json_parse(*ctx_.checkpoint);
      if (cp && json_is_object(cp.get())) {
        const char* mode = json_string_value(json_object_get(cp.get(), "mode"));
        auto since = json_int_member(cp.get(), "since");
        auto until = json_int_member(cp.get(), "until");
        if (mode && std::string(mode) == "backfill" && since == p_.since_ms && until == p_.until_ms) {
          resume_cursor = json_int_member(cp.get(), "cursor");
          top_ = json_int_member(cp.get(), "top");
        }
        newest_seen = json_int_member(cp.get(), "newest");
      }
    }
    if (p_.since_ms) {
      int64_t until = p_.until_ms ? *p_.until_ms : align(now_ms()) + p_.period_ms;
      backfill(*p_.since_ms, until, resume_cursor);
      if (!p_.follow) return;
    } else if (p_.follow && newest_seen) {
      // Fill the gap since the last run before polling.
      backfill(*newest_seen, align(now_ms()) + p_.period_ms, std::nullopt);
    } else if (!p_.follow) {
      latest(ex_.max_page());
      return;
    }
    follow();
  }

 private:
  int64_t align(int64_t ms) const { return ms - ms % p_.period_ms; }

  std::string url(std::optional<int64_t> bound, std::optional<int64_t> end, int count) {
    return with_api_base(ex_.page_url(p_, bound, end, count), api_url_);
  }

  std::optional<Page> get_page(const std::string& u) {
    auto r = fetch(http_, u, {"Accept: application/json"}, policy_, ctx_.log, ctx_.stop);
    if (!r) return std::nullopt;
    ctx_.progress.add_page();
    return ex_.parse(p_, r->body, now_ms());
  }

  // `cp_after` (if given) is the checkpoint after this page: it travels with
  // the page's last record, so the batch that commits the end of the page
  // also commits the cursor past it (a restart does not read it again).
  void take(const Page& page, const std::function<std::optional<std::string>()>& cp_after = {}) {
    if (page.max_bucket_ms && (!newest_ || *page.max_bucket_ms > *newest_)) newest_ = page.max_bucket_ms;
    std::optional<std::string> cp = cp_after ? cp_after() : std::nullopt;
    for (size_t i = 0; i < page.records.size(); ++i) {
      if (cp && i + 1 == page.records.size()) ctx_.out.add(page.records[i], *cp);
      else ctx_.out.add(page.records[i]);
    }
    if (cp && page.records.empty()) ctx_.out.set_checkpoint(*cp);
  }

  std::string range_cp(const char* mode, int64_t since, int64_t until, std::optional<int64_t> cursor) {
    std::string s = std::string("{\"mode\":\"") + mode + "\",\"since\":" + std::to_string(since) +
                    ",\"until\":" + std::to_string(until);
    if (cursor) s += ",\"cursor\":" + std::to_string(*cursor);
    if (cursor && top_) s += ",\"top\":" + std::to_string(*top_);
    if (newest_) s += ",\"newest\":" + std::to_string(*newest_);
    return s + "}";
  }

  CoverageSpan span(int64_t lo, int64_t hi) const { return CoverageSpan{subject_, lo, hi, false}; }

  void backfill(int64_t since, int64_t until, std::optional<int64_t> resume) {
    ctx_.log.log("info", "backfilling", {{"since", format_utc(since)}, {"until", format_utc(until)}});
    if (!resume) top_.reset();
    // The newest candles are those of the first request: periods open then
    // are not complete in what we hold.
    auto top = [&] {
      if (!top_) top_ = align(now_ms());
      return std::min(until, *top_);
    };
    // Progress through the range in paging order: newest first, or oldest first.
    if (ex_.pages_backwards()) ctx_.progress.set_extent(Progress::Unit::kEventTime, until, since);
    else ctx_.progress.set_extent(Progress::Unit::kEventTime, since, until);
    if (resume) ctx_.progress.set_position(Progress::Unit::kEventTime, *resume);
    if (ex_.pages_backwards()) {
      int64_t cursor = resume.value_or(until);
      while (cursor > since && !ctx_.stop.load()) {
        top();
        auto page = get_page(url(cursor, std::nullopt, ex_.max_page()));
        if (!page) return;
        take(*page, [&]() -> std::optional<std::string> {
          if (page->malformed || !page->min_bucket_ms || *page->min_bucket_ms >= cursor) return std::nullopt;
          return range_cp("backfill", since, until, *page->min_bucket_ms);
        });
        if (page->malformed) throw UpstreamError("unexpected response body while paging; it was kept in pulse.rejects");
        if (!page->min_bucket_ms || *page->min_bucket_ms >= cursor) break;  // nothing older
        cursor = *page->min_bucket_ms;
        ctx_.progress.set_position(Progress::Unit::kEventTime, std::max(cursor, since));
        // Every candle from cursor to until is in (a quiet period has none).
        ctx_.out.set_checkpoint(range_cp("backfill", since, until, cursor), span(std::max(cursor, since), top()));
        if (page->last) break;
      }
    } else {
      int64_t cursor = resume.value_or(since);
      while (cursor < until && !ctx_.stop.load()) {
        int64_t asked_at = now_ms();
        auto page = get_page(url(cursor, until, ex_.max_page()));
        if (!page) return;
        take(*page, [&]() -> std::optional<std::string> {
          if (page->malformed || !page->max_bucket_ms || *page->max_bucket_ms < cursor) return std::nullopt;
          return range_cp("backfill", since, until, *page->max_bucket_ms + p_.period_ms);
        });
        if (page->malformed) throw UpstreamError("unexpected response body while paging; it was kept in pulse.rejects");
        if (!page->max_bucket_ms || *page->max_bucket_ms < cursor) break;  // nothing newer
        cursor = *page->max_bucket_ms + p_.period_ms;
        ctx_.progress.set_position(Progress::Unit::kEventTime, std::min(cursor, until));
        top_ = align(asked_at);
        ctx_.out.set_checkpoint(range_cp("backfill", since, until, cursor), span(since, std::min(cursor, top())));
      }
    }
    if (ctx_.stop.load()) return;
    // Paged to the end: the exchange has nothing more in the range.
    ctx_.progress.set_position(Progress::Unit::kEventTime, ex_.pages_backwards() ? since : until);
    ctx_.out.set_checkpoint(range_cp("done", since, until, std::nullopt), span(since, top()));
  }

  // The newest `count` candles: with them every candle from the oldest of
  // them on, so that span is covered up to the period open when we asked.
  void latest(int count) {
    int64_t open_period = align(now_ms());
    auto page = get_page(url(std::nullopt, std::nullopt, count));
    if (!page) return;
    take(*page);
    if (page->malformed) throw UpstreamError("unexpected response body; it was kept in pulse.rejects");
    std::string cp = "{\"mode\":\"follow\"";
    if (newest_) cp += ",\"newest\":" + std::to_string(*newest_);
    CoverageSpan covered = span(0, 0);
    if (page->min_bucket_ms) covered = span(*page->min_bucket_ms, open_period);
    ctx_.out.set_checkpoint(cp + "}", covered);
  }

  // Polls just after each period boundary and re-reads the last few candles:
  // the open one changes until it closes, and the one that just closed may
  // have changed after our previous read.
  void follow() {
    ctx_.log.log("info", "following", {{"market", p_.market}, {"period", p_.period}});
    ctx_.progress.clear_extent();  // endless: the position is the newest candle
    while (!ctx_.stop.load()) {
      try {
        latest(5);
        if (newest_) ctx_.progress.set_position(Progress::Unit::kEventTime, *newest_);
      } catch (const UpstreamError& e) {
        // A malformed poll is kept as a reject; the next poll tries again.
        if (std::string(e.what()).find("rejects") == std::string::npos) throw;
        ctx_.log.warn(e.what());
      }
      ctx_.out.flush();
      int64_t now = now_ms();
      int64_t next = align(now) + p_.period_ms + 1500;
      if (!sleep_unless(Millis(next - now), ctx_.stop)) break;
    }
  }

  const CandleParams& p_;
  Exchange& ex_;
  RunContext& ctx_;
  std::string api_url_;
  HttpClient http_;
  FetchPolicy policy_;
  std::optional<int64_t> newest_;
  std::string subject_;
  std::optional<int64_t> top_;  // see backfill()
};

}  // namespace

std::string wrap_candle(const CandleParams& p, std::string_view raw, int64_t observed_ms) {
  std::string s;
  s.reserve(raw.size() + p.market.size() + 64);
  s += "{\"market\":";
  s += json_quote(p.market);
  s += ",\"period\":";
  s += json_quote(p.period);
  s += ",\"observed_ms\":";
  s += std::to_string(observed_ms);
  s += ",\"record\":";
  s += raw;
  s += "}";
  return s;
}

Page split_candle_array(const CandleParams& p, const std::string& format, std::string_view array_text,
                        std::string_view whole_body, int64_t observed_ms,
                        std::optional<int64_t> (*bucket_of)(std::string_view element)) {
  Page page;
  std::vector<Span> spans;
  try {
    spans = split_json_array(array_text);
  } catch (const std::invalid_argument& e) {
    page.malformed = true;
    page.records.push_back({format, std::string(whole_body), std::string("response is not a JSON array: ") + e.what()});
    return page;
  }
  page.records.reserve(spans.size());
  for (const Span& s : spans) {
    std::string_view raw = s.of(array_text);
    std::optional<int64_t> b = bucket_of(raw);
    if (b) {
      if (!page.min_bucket_ms || *b < *page.min_bucket_ms) page.min_bucket_ms = b;
      if (!page.max_bucket_ms || *b > *page.max_bucket_ms) page.max_bucket_ms = b;
    }
    page.records.push_back({format, wrap_candle(p, raw, observed_ms), ""});
  }
  return page;
}

namespace {

bool is_upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

std::optional<int64_t> record_element_integer(std::string_view record, std::size_t index) {
  simdjson::dom::element root;
  simdjson::dom::array arr;
  simdjson::dom::element e;
  int64_t v = 0;
  if (!simd_parse(record, root) || root.get_array().get(arr) != simdjson::SUCCESS ||
      arr.at(index).get(e) != simdjson::SUCCESS || !e.is_int64() || e.get_int64().get(v) != simdjson::SUCCESS)
    return std::nullopt;
  return v;
}

RecordMember record_member(std::string_view record, std::string_view key) {
  RecordMember out;
  simdjson::dom::element root;
  if (!simd_parse(record, root)) return out;
  std::optional<simdjson::dom::element> v = simd_member(root, key);
  if (!v) return out;
  int64_t i = 0;
  std::string_view s;
  if (v->is_int64() && v->get_int64().get(i) == simdjson::SUCCESS) out.integer = i;
  if (v->get_string().get(s) == simdjson::SUCCESS) out.string = std::string(s);
  return out;
}

bool is_dashed_market(std::string_view m) {
  std::size_t dash = m.find('-');
  if (dash == std::string_view::npos || dash < 2 || dash > 5 || m.size() - dash - 1 < 1 || m.size() - dash - 1 > 15)
    return false;
  for (std::size_t i = 0; i < dash; ++i)
    if (m[i] < 'A' || m[i] > 'Z') return false;
  for (std::size_t i = dash + 1; i < m.size(); ++i)
    if (!is_upper_or_digit(m[i])) return false;
  return true;
}

bool is_symbol_market(std::string_view m) {
  return m.size() >= 2 && m.size() <= 30 && std::all_of(m.begin(), m.end(), is_upper_or_digit);
}

int run_candles(const Options& opts) {
  // Everything about the command line is checked before any connection, so
  // bad input is exit 2 whatever the state of the database.
  CandleParams p;
  p.exchange = opts.get_or("exchange", "");
  std::unique_ptr<Exchange> ex;
  if (p.exchange == "upbit") ex = make_upbit();
  else if (p.exchange == "binance") ex = make_binance();
  else if (p.exchange == "coinone") ex = make_coinone();
  else if (p.exchange.empty()) throw UsageError("candles needs --exchange upbit|coinone|binance");
  else throw UsageError("unknown exchange \"" + p.exchange + "\": expected upbit, coinone or binance");
  p.market = opts.get_or("market", "");
  if (p.market.empty()) throw UsageError("candles needs --market (e.g. KRW-BTC for upbit/coinone, BTCUSDT for binance)");
  ex->validate_market(p.market);
  p.period = opts.get_or("period", "1m");
  p.period_ms = period_ms_of(p.period);
  if (auto s = opts.get("since")) p.since_ms = parse_time_arg("since", *s);
  if (auto u = opts.get("until")) {
    p.until_ms = parse_time_arg("until", *u);
    if (!p.since_ms) throw UsageError("--until needs --since");
  }
  if (p.since_ms && p.until_ms && *p.since_ms >= *p.until_ms) throw UsageError("--since must be before --until");
  p.follow = opts.has("follow");
  auto file = opts.get("file");
  if (file && (p.follow || p.since_ms)) throw UsageError("--file replays a saved response; it takes no --since/--follow");
  CoversArg covers;
  if (auto c = opts.get("covers")) {
    if (!file) throw UsageError("--covers is for --file loads (an API load covers what it fetched)");
    covers = parse_covers(*c);
  }
  if (file && file->empty()) throw UsageError("--file needs a path or -");
  if (file && *file != "-" && !std::ifstream(*file)) throw UsageError("cannot read --file " + *file);
  auto api_flag = opts.get("api-url");
  std::string api_url = api_flag.value_or("");
  // Given but empty (an unset variable in a script) must not mean the live API.
  if (api_flag && api_url.empty()) throw UsageError("--api-url needs a URL (http:// or https://)");
  if (!api_url.empty() && !is_http_url(api_url))
    throw UsageError("--api-url must be an http:// or https:// URL with a host, got \"" + api_url + "\"");
  log_format_from(opts);

  // A replayed file is a stream of its own (its identity in the name), so it
  // neither moves the API stream's checkpoint nor waits for its loader.
  std::string stream = "candles:" + p.exchange + ":" + p.market + ":" + p.period;
  if (file) stream += *file == "-" ? ":stdin" : ":file:" + file_identity(*file);
  return run_loader(opts, stream, [&](RunContext& ctx) {
    CandleRun run(p, *ex, ctx, opts.has("insecure"), api_url);
    if (file) run.replay_file(*file, covers);
    else run.run();
  });
}

}  // namespace pulse::load
