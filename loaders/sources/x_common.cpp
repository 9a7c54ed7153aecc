// See x_common.h.
#include "sources/x_common.h"

#include <chrono>
#include <cstdlib>
#include <ctime>

#include <simdjson.h>

#include "core/simd_json.h"

#include "core/config.h"
#include "core/json_scan.h"
#include "core/jsonb_text.h"
#include "core/timefmt.h"

namespace pulse::load::x {

std::string tweet_fields_query() {
  return "tweet.fields=created_at,author_id,lang,entities,public_metrics,referenced_tweets,note_tweet"
         "&expansions=referenced_tweets.id,referenced_tweets.id.author_id"
         "&user.fields=username";
}

std::string bearer_token(const Options& opts) {
  if (auto file = opts.get("token-file")) {
    if (file->empty()) throw UsageError("--token-file needs a file");
    return read_secret_file(*file, "--token-file");
  }
  for (const char* name : {"PULSE_TWITTER_BEARER_TOKEN", "TWITTER_BEARER_TOKEN"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  throw ConfigError("no X API bearer token: set PULSE_TWITTER_BEARER_TOKEN (or TWITTER_BEARER_TOKEN) in the environment, or give --token-file FILE");
}

std::vector<std::string> auth_headers(const std::string& token) {
  return {"Authorization: Bearer " + token};
}

std::string api_url(const Options& opts, const std::string& path_and_query) {
  std::string url = std::string(kDefaultApi) + path_and_query;
  if (auto base = opts.get("api-url")) return with_api_base(url, *base);
  return url;
}

void add_frame(Pipeline& out, const std::string& format, Frame&& f, const std::string* checkpoint_after) {
  // The last record of the frame carries the checkpoint (see Pipeline::add).
  auto put = [&](Record r, bool last) {
    if (last && checkpoint_after) out.add(std::move(r), *checkpoint_after);
    else out.add(std::move(r));
  };
  if (!f.problem.empty()) {
    put(Record{format, std::move(f.bytes), std::move(f.problem)}, true);
    return;
  }
  JsonbPrep prep = prepare_for_jsonb(f.bytes);
  if (!prep.reject.empty()) {
    put(Record{format, std::move(f.bytes), std::move(prep.reject)}, true);
    return;
  }
  std::string why = json_invalid_reason(prep.changed ? std::string_view(prep.text) : std::string_view(f.bytes));
  if (!why.empty()) {
    put(Record{format, std::move(f.bytes), "invalid JSON: " + why}, true);
    return;
  }
  if (prep.changed) {
    put(Record{format, std::move(f.bytes), std::move(prep.note)}, false);
    put(Record{format, std::move(prep.text), ""}, true);
    return;
  }
  put(Record{format, std::move(f.bytes), ""}, true);
}

void throw_auth_error(const HttpResponse& r, const std::string& what) {
  std::string msg = "HTTP " + std::to_string(r.status) + " from the X API (" + what + "): ";
  msg += r.status == 401 ? "the bearer token was refused; check PULSE_TWITTER_BEARER_TOKEN"
                         : "this token's app may not use this endpoint (access level or project); check the app in the X developer portal";
  throw UpstreamError(msg);
}

Millis rate_limit_wait(const HttpResponse& r, std::chrono::system_clock::time_point now) {
  auto remaining = r.header("x-rate-limit-remaining");
  auto reset = r.header("x-rate-limit-reset");
  if (!remaining || !reset) return Millis(0);
  char* end = nullptr;
  long rem = std::strtol(remaining->c_str(), &end, 10);
  if (end == remaining->c_str() || rem > 0) return Millis(0);
  long long at = std::strtoll(reset->c_str(), &end, 10);
  if (end == reset->c_str()) return Millis(0);
  // A second of margin: the window resets on X's clock, not ours, so a
  // reset that passed on ours less than a second ago is waited for too (the
  // header has whole seconds: a response sent at 9.99 s names 10 s).
  auto wait = std::chrono::system_clock::time_point(std::chrono::seconds(at)) + std::chrono::seconds(1) - now;
  auto ms = std::chrono::duration_cast<Millis>(wait);
  return ms.count() > 0 ? ms : Millis(0);
}

std::string max_id(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() > b.size() ? a : b;
  return a >= b ? a : b;
}

std::optional<std::string> string_member(std::string_view json, std::string_view key) {
  try {
    auto span = find_json_member(json, key);
    if (!span) return std::nullopt;
    std::string_view v = span->of(json);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"' && v.find('\\') == std::string_view::npos)
      return std::string(v.substr(1, v.size() - 2));
    // Numbers are returned as printed (v1.1's numeric id).
    if (!v.empty() && v.front() >= '0' && v.front() <= '9') return std::string(v);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::optional<std::string> checkpoint_since_id(const std::optional<std::string>& checkpoint) {
  if (!checkpoint) return std::nullopt;
  auto id = string_member(*checkpoint, "since_id");
  if (id && !id->empty() && id->find_first_not_of("0123456789") == std::string::npos) return id;
  return std::nullopt;
}

std::string since_id_checkpoint(const std::string& since_id, const std::string& extra) {
  std::string cp = "{\"since_id\":" + json_quote(since_id);
  if (!extra.empty()) cp += "," + extra;
  return cp + "}";
}

namespace {

// A claimed created_at: v2 "2010-11-04T01:42:54.000Z" or v1.1
// "Thu Nov 04 01:42:54 +0000 2010".
std::optional<int64_t> claimed_time(const char* s) {
  if (!s) return std::nullopt;
  try {
    int64_t ms = parse_time_arg("created_at", s);
    return ms - ms % 1000;
  } catch (const std::exception&) {
  }
  std::tm tm{};
  const char* end = strptime(s, "%a %b %d %H:%M:%S +0000 %Y", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return int64_t(timegm(&tm)) * 1000;
}

std::optional<int64_t> tweet_time(json_t* t) {
  if (!json_is_object(t)) return std::nullopt;
  std::string id;
  json_t* v = json_object_get(t, "id_str");
  if (!json_is_string(v)) v = json_object_get(t, "id");
  if (json_is_string(v)) id = json_string_value(v);
  else if (json_is_integer(v)) id = std::to_string(json_integer_value(v));
  if (auto ms = snowflake_time_ms(id)) return ms;
  return claimed_time(json_string_value(json_object_get(t, "created_at")));
}

// tweet_event_times without a tree: the loader's own scanner finds the few
// members it needs in place (jansson allocated every value of every record,
// most of a file load's client CPU). It gives up (nullopt, and jansson
// decides) wherever its reading could differ: a \u00XX escape anywhere (it
// could spell a key), an escape in an id or created_at, an id given as a
// number, or text the scanner refuses.
struct GiveUp {};

// The contents of member `key` of object `obj` when it is a string without
// escapes; nullopt when it is absent or not a string (where jansson's
// json_string_value gives NULL). An escaped string gives up.
std::optional<std::string_view> plain_string_member(std::string_view obj, std::string_view key) {
  std::optional<Span> v = find_json_member(obj, key);
  if (!v) return std::nullopt;
  std::string_view text = v->of(obj);
  if (text.size() < 2 || text.front() != '"') return std::nullopt;
  std::string_view inner = text.substr(1, text.size() - 2);
  if (inner.find('\\') != std::string_view::npos) throw GiveUp{};
  return inner;
}

std::optional<int64_t> scanned_tweet_time(std::string_view t) {
  if (t.empty() || t.front() != '{') return std::nullopt;
  std::optional<std::string_view> id = plain_string_member(t, "id_str");
  if (!id) {
    std::optional<Span> v = find_json_member(t, "id");
    char first = v && v->end > v->begin ? t[v->begin] : '\0';
    if (first == '-' || (first >= '0' && first <= '9')) throw GiveUp{};  // a number: jansson's integer rules decide
    id = plain_string_member(t, "id");
  }
  if (auto ms = snowflake_time_ms(id ? *id : std::string_view{})) return ms;
  std::optional<std::string_view> created = plain_string_member(t, "created_at");
  if (!created) return std::nullopt;
  return claimed_time(std::string(*created).c_str());
}

std::optional<std::vector<int64_t>> scanned_event_times(std::string_view record) {
  if (record.find("\\u00") != std::string_view::npos) return std::nullopt;
  try {
    std::vector<int64_t> out;
    size_t b = record.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos || record[b] != '{') return out;
    auto take = [&](std::string_view t) {
      if (auto ms = scanned_tweet_time(t)) out.push_back(*ms);
    };
    std::optional<Span> data = find_json_member(record, "data");
    std::string_view d = data ? data->of(record) : std::string_view{};
    if (!d.empty() && d.front() == '[') {
      for (const Span& e : split_json_array(d)) take(e.of(d));
    } else if (!d.empty() && d.front() == '{') {
      take(d);
    } else if (!data && (find_json_member(record, "text") || find_json_member(record, "full_text"))) {
      take(record.substr(b));
    }
    return out;
  } catch (const GiveUp&) {
    return std::nullopt;
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

// The same reading with simdjson's DOM parser, several times faster than
// the scanner (which validates every byte of a record once per member it
// looks for: the record, then each tweet, two or three times). A key's last
// value counts, as in jansson and find_json_member; strings are unescaped as
// jansson unescapes them, so an escaped id or created_at reads as jansson
// reads it. nullopt where the scanner decides: a \u00XX escape anywhere,
// an id given as a number, or text simdjson refuses (numbers beyond a
// double, nesting past its limit).
using SimdElement = simdjson::dom::element;

std::optional<std::string_view> simd_string_member(SimdElement obj, std::string_view key) {
  std::optional<SimdElement> v = simd_member(obj, key);
  std::string_view s;
  if (!v || v->get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  return s;
}

std::optional<int64_t> simd_tweet_time(SimdElement t) {
  if (!t.is_object()) return std::nullopt;
  std::optional<std::string_view> id = simd_string_member(t, "id_str");
  if (!id) {
    std::optional<SimdElement> v = simd_member(t, "id");
    if (v && v->is_number()) throw GiveUp{};
    id = simd_string_member(t, "id");
  }
  if (auto ms = snowflake_time_ms(id ? *id : std::string_view{})) return ms;
  std::optional<std::string_view> created = simd_string_member(t, "created_at");
  if (!created) return std::nullopt;
  return claimed_time(std::string(*created).c_str());
}

std::optional<std::vector<int64_t>> simd_event_times(std::string_view record) {
  if (record.find("\\u00") != std::string_view::npos) return std::nullopt;
  SimdElement root;
  if (!simd_parse(record, root)) return std::nullopt;
  std::vector<int64_t> out;
  if (!root.is_object()) return out;
  try {
    auto take = [&](SimdElement t) {
      if (auto ms = simd_tweet_time(t)) out.push_back(*ms);
    };
    std::optional<SimdElement> data = simd_member(root, "data");
    simdjson::dom::array list;
    if (data && data->get_array().get(list) == simdjson::SUCCESS) {
      for (SimdElement e : list) take(e);
    } else if (data && data->is_object()) {
      take(*data);
    } else if (!data && (simd_member(root, "text") || simd_member(root, "full_text"))) {
      take(root);
    }
  } catch (const GiveUp&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::vector<int64_t> tweet_event_times(std::string_view record) {
  if (auto fast = simd_event_times(record)) return *fast;
  if (auto fast = scanned_event_times(record)) return *fast;
  std::vector<int64_t> out;
  JsonPtr doc = json_parse(record);
  if (!doc || !json_is_object(doc.get())) return out;
  json_t* data = json_object_get(doc.get(), "data");
  auto take = [&](json_t* t) {
    if (auto ms = tweet_time(t)) out.push_back(*ms);
  };
  if (json_is_array(data)) {
    size_t i;
    json_t* t;
    json_array_foreach(data, i, t) take(t);
  } else if (json_is_object(data)) {
    take(data);
  } else if (!data && (json_object_get(doc.get(), "text") || json_object_get(doc.get(), "full_text"))) {
    take(doc.get());
  }
  return out;
}

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ServerClock::observe(const HttpResponse& r) {
  if (auto d = r.header("Date")) observe_date(parse_http_date(*d));
}

void ServerClock::observe_date(std::optional<int64_t> date_ms) {
  if (!date_ms) return;
  if (*date_ms >= wall_now_ms() - kReplaySkewMs) {
    server_ms_.reset();  // a live server: our clock
    return;
  }
  if (!server_ms_ || *date_ms > *server_ms_) server_ms_ = date_ms;
}

void ServerClock::observe_event(int64_t ms) {
  if (server_ms_ && ms > *server_ms_) server_ms_ = ms;
}

int64_t ServerClock::now() const {
  int64_t wall = wall_now_ms();
  return server_ms_ ? std::min(*server_ms_, wall) : wall;
}

}  // namespace pulse::load::x
