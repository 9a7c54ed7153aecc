// pulse-gateway's request parsing, free of I/O (the fuzz target drives it):
// which route a method and path name, the stream and ?format=, the bearer
// token, the Idempotency-Key, the content type, and BodyParser, which cuts a
// body arriving in chunks into records (a JSON array's elements or NDJSON
// lines) and decides for each whether pulse.landing can store it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/framing.h"

namespace pulse::gateway {

enum class RouteKind { kRecords, kHealth, kMetrics, kNotFound };

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  std::string stream;      // kRecords: the stream named in the path
  bool method_ok = false;  // the method is the route's (POST, or GET/HEAD)
  const char* allow = "";  // for 405's Allow header
};

// Routes `method` and `path` (the path without its query string, as the
// client sent it: percent escapes are not decoded, so a stream name is
// exactly what the SQL allows). A records path with a stream name that is
// not allowed is kNotFound.
Route route(std::string_view method, std::string_view path);

// The stream names pulse.create_ingest_token accepts: 1 to 200 of
// [A-Za-z0-9._:-], not starting with '.', ':' or '-'.
bool valid_stream(std::string_view s);

// ?format= values: `json` (kept raw) and the loaders' formats.
bool known_format(std::string_view f);

// The token of "Authorization: Bearer <token>" (scheme case-insensitive,
// one or more spaces); nullopt when absent or malformed.
std::optional<std::string> bearer_token(std::string_view authorization);

// An Idempotency-Key must be 1 to 200 printable ASCII characters.
bool valid_idempotency_key(std::string_view key);

enum class BodyKind { kArray, kLines, kSniff, kUnsupported };
// application/json -> kArray (a JSON array of records, or one JSON value as
// one record); application/x-ndjson, application/ndjson, application/jsonl,
// application/json-lines, application/x-jsonlines -> kLines; none -> kSniff
// (an array when the body starts with '[', else lines); anything else ->
// kUnsupported (415). Parameters (charset=utf-8) are allowed; another
// charset is not.
BodyKind body_kind(std::string_view content_type, bool present);

// One record of a request as the gateway will store it.
struct Item {
  std::string payload;  // what goes to pulse.landing (cleaned when note is set)
  std::string reject;   // non-empty: not stored in landing; `raw` goes to pulse.rejects
  std::string raw;      // the bytes as received, when reject or note is set
  std::string note;     // stored cleaned; the cleaning is noted in pulse.rejects
};

struct BodyLimits {
  size_t max_record = 1u << 20;  // a larger record is rejected, not buffered
};

// Cuts a body into Items as chunks arrive; memory stays bounded by the
// records kept (and one max_record of the record being read).
class BodyParser {
 public:
  BodyParser(BodyKind kind, BodyLimits limits);
  void feed(std::string_view chunk);
  void finish();
  std::vector<Item>& items() { return items_; }
  size_t bytes() const { return bytes_; }  // of the kept records

 private:
  void add(pulse::load::Frame&& f);
  void start(char first);
  BodyKind kind_;
  BodyLimits limits_;
  bool started_ = false;
  bool single_ = false;  // application/json that is not an array: one record
  std::string single_buf_;
  size_t single_size_ = 0;
  size_t bom_seen_ = 0;
  pulse::load::LineFramer lines_;
  pulse::load::JsonArraySplitter array_;
  std::vector<Item> items_;
  size_t bytes_ = 0;
};

// The answer to a request, as JSON: {"accepted", "rejected", "first_seq",
// "last_seq", "records": [{"seq": N} | {"seq": N, "note": "..."} |
// {"error": "..."}]} in request order.
struct ItemResult {
  long long seq = 0;  // 0: rejected
  std::string error;
  std::string note;
};
std::string response_json(const std::vector<ItemResult>& results);

}  // namespace pulse::gateway
