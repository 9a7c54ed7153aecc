// See request.h.
#include "gateway/request.h"

#include <algorithm>
#include <cctype>

#include "core/json_scan.h"
#include "core/jsonb_text.h"

namespace pulse::gateway {
namespace {

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool valid_stream(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool ok = std::isalnum(c) || c == '_' || (i > 0 && (c == '.' || c == ':' || c == '-'));
    if (!ok || c > 127) return false;
  }
  return true;
}

bool known_format(std::string_view f) {
  static const char* const kFormats[] = {"json", "upbit", "binance", "coinone", "twitter_v2", "twitter_v1"};
  for (const char* k : kFormats)
    if (f == k) return true;
  return false;
}

Route route(std::string_view method, std::string_view path) {
  Route r;
  bool get = method == "GET" || method == "HEAD";
  if (path == "/healthz") {
    r.kind = RouteKind::kHealth;
    r.method_ok = get;
    r.allow = "GET, HEAD";
    return r;
  }
  if (path == "/metrics") {
    r.kind = RouteKind::kMetrics;
    r.method_ok = get;
    r.allow = "GET, HEAD";
    return r;
  }
  static constexpr std::string_view kPrefix = "/v1/streams/";
  static constexpr std::string_view kSuffix = "/records";
  if (path.size() > kPrefix.size() + kSuffix.size() && path.substr(0, kPrefix.size()) == kPrefix &&
      path.substr(path.size() - kSuffix.size()) == kSuffix) {
    std::string_view stream = path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
    if (!valid_stream(stream)) return r;
    r.kind = RouteKind::kRecords;
    r.stream = std::string(stream);
    r.method_ok = method == "POST";
    r.allow = "POST";
  }
  return r;
}

std::optional<std::string> bearer_token(std::string_view h) {
  h = trim(h);
  if (h.size() < 7 || !ieq(h.substr(0, 6), "bearer") || (h[6] != ' ' && h[6] != '\t')) return std::nullopt;
  std::string_view t = trim(h.substr(7));
  if (t.empty() || t.size() > 512) return std::nullopt;
  for (char c : t)
    if (static_cast<unsigned char>(c) <= 32 || static_cast<unsigned char>(c) >= 127) return std::nullopt;
  return std::string(t);
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 200) return false;
  for (char c : key)
    if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) >= 127) return false;
  return true;
}

BodyKind body_kind(std::string_view ct, bool present) {
  if (!present) return BodyKind::kSniff;
  std::string_view type = ct;
  std::string_view params;
  if (auto semi = ct.find(';'); semi != std::string_view::npos) {
    type = ct.substr(0, semi);
    params = ct.substr(semi + 1);
  }
  type = trim(type);
  // Parameters: only a UTF-8 charset means anything to us.
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    size_t eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = trim(p.substr(0, eq)), value = trim(p.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (ieq(name, "charset") && !ieq(value, "utf-8") && !ieq(value, "utf8")) return BodyKind::kUnsupported;
  }
  if (ieq(type, "application/json")) return BodyKind::kArray;
  for (std::string_view t : {"application/x-ndjson", "application/ndjson", "application/jsonl",
                             "application/json-lines", "application/x-jsonlines", "application/jsonlines"})
    if (ieq(type, t)) return BodyKind::kLines;
  return BodyKind::kUnsupported;
}

BodyParser::BodyParser(BodyKind kind, BodyLimits limits)
    : kind_(kind), limits_(limits),
      lines_(pulse::load::FramingLimits{limits.max_record, std::min<size_t>(limits.max_record, 64u << 10)}),
      array_(pulse::load::FramingLimits{limits.max_record, std::min<size_t>(limits.max_record, 64u << 10)}) {}

void BodyParser::start(char first) {
  started_ = true;
  if (kind_ == BodyKind::kLines) return;
  bool array = first == '[';
  if (kind_ == BodyKind::kArray) single_ = !array;
  else kind_ = array ? BodyKind::kArray : BodyKind::kLines;
}

void BodyParser::feed(std::string_view chunk) {
  auto sink = [this](pulse::load::Frame&& f) { add(std::move(f)); };
  if (!started_ && pulse::load::skip_stream_lead(chunk, bom_seen_)) start(chunk.front());
  if (!started_) return;
  if (single_) {
    single_size_ += chunk.size();
    size_t keep = single_buf_.size() < limits_.max_record ? limits_.max_record - single_buf_.size() : 0;
    single_buf_.append(chunk.substr(0, std::min(keep, chunk.size())));
  } else if (kind_ == BodyKind::kArray) {
    array_.feed(chunk, sink);
  } else {
    lines_.feed(chunk, sink);
  }
}

void BodyParser::finish() {
  auto sink = [this](pulse::load::Frame&& f) { add(std::move(f)); };
  if (!started_) return;  // empty body: no records
  if (single_) {
    pulse::load::Frame f;
    f.size = single_size_;
    while (!single_buf_.empty() && pulse::load::is_json_space(single_buf_.back()) && single_size_ == single_buf_.size()) {
      single_buf_.pop_back();
      --single_size_;
    }
    if (single_size_ > limits_.max_record) {
      single_buf_.resize(std::min<size_t>({single_buf_.size(), limits_.max_record, 64u << 10}));
      f.problem = "record of " + std::to_string(single_size_) + " bytes is longer than the limit of " +
                  std::to_string(limits_.max_record) + " bytes; its first " + std::to_string(single_buf_.size()) +
                  " bytes are kept here";
    }
    f.bytes = std::move(single_buf_);
    add(std::move(f));
  } else if (kind_ == BodyKind::kArray) {
    array_.finish(sink);
  } else if (auto f = lines_.finish()) {
    add(std::move(*f));
  }
}

void BodyParser::add(pulse::load::Frame&& f) {
  Item it;
  if (!f.problem.empty()) {
    it.reject = std::move(f.problem);
    it.raw = std::move(f.bytes);
  } else {
    pulse::load::JsonbPrep prep = pulse::load::prepare_for_jsonb(f.bytes);
    std::string why;
    if (prep.reject.empty())
      why = pulse::load::json_invalid_reason(prep.changed ? std::string_view(prep.text) : std::string_view(f.bytes));
    if (!prep.reject.empty()) {
      it.reject = std::move(prep.reject);
      it.raw = std::move(f.bytes);
    } else if (!why.empty()) {
      it.reject = "invalid JSON: " + why;
      it.raw = std::move(f.bytes);
    } else if (prep.changed) {
      it.payload = std::move(prep.text);
      it.note = std::move(prep.note);
      it.raw = std::move(f.bytes);
    } else {
      it.payload = std::move(f.bytes);
    }
  }
  bytes_ += it.payload.size() + it.raw.size() + it.reject.size() + it.note.size() + sizeof(Item);
  items_.push_back(std::move(it));
}

std::string response_json(const std::vector<ItemResult>& results) {
  long long accepted = 0, rejected = 0, first = 0, last = 0;
  std::string recs;
  recs.reserve(results.size() * 16);
  for (const auto& r : results) {
    if (!recs.empty()) recs += ',';
    if (r.seq > 0) {
      ++accepted;
      if (first == 0 || r.seq < first) first = r.seq;
      if (r.seq > last) last = r.seq;
      recs += "{\"seq\":" + std::to_string(r.seq);
      if (!r.note.empty()) recs += ",\"note\":" + pulse::load::json_quote(r.note);
      recs += '}';
    } else {
      ++rejected;
      recs += "{\"error\":" + pulse::load::json_quote(r.error) + '}';
    }
  }
  std::string out = "{\"accepted\":" + std::to_string(accepted) + ",\"rejected\":" + std::to_string(rejected) +
                    ",\"first_seq\":" + (accepted ? std::to_string(first) : "null") +
                    ",\"last_seq\":" + (accepted ? std::to_string(last) : "null") + ",\"records\":[" + recs + "]}";
  return out;
}

}  // namespace pulse::gateway
