// Byte-exact JSON framing for the loaders: validates JSON text and finds the
// byte ranges of array elements and object members without decoding numbers,
// so a price travels to PostgreSQL as the exact digits the API printed.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <jansson.h>

namespace pulse::load {

// A half-open byte range [begin, end) into some text.
struct Span {
  size_t begin = 0;
  size_t end = 0;
  std::string_view of(std::string_view text) const { return text.substr(begin, end - begin); }
};

// Why a text is not JSON that PostgreSQL's jsonb accepts (empty when it is).
// Checks RFC 8259 grammar, UTF-8 validity, and refuses the escape \u0000,
// which jsonb cannot store. Numbers of any size are accepted (jsonb keeps them
// as numeric), which is why this is not jansson: jansson refuses integers
// beyond 64 bits and reals beyond double range.
std::string json_invalid_reason(std::string_view text);
inline bool is_valid_json(std::string_view text) { return json_invalid_reason(text).empty(); }
// The same from the hand-written scanner alone (json_invalid_reason asks
// simdjson first): for tests that hold the two to one answer.
std::string json_scan_reason(std::string_view text);

// The element ranges of a JSON array that makes up all of `text` (surrounding
// whitespace allowed). Throws std::invalid_argument when the text is not a
// valid JSON array.
std::vector<Span> split_json_array(std::string_view text);

// The value range of member `key` of the JSON object that makes up `text`
// (top level only; keys compared after unescaping only for plain ASCII keys).
// nullopt when absent; throws std::invalid_argument when not a valid object.
std::optional<Span> find_json_member(std::string_view text, std::string_view key);

// `s` as a JSON string literal (quotes included), escaping as RFC 8259 asks.
std::string json_quote(std::string_view s);

// RAII for jansson values: used for framing decisions only (paging keys, error
// bodies), never for the numbers that are stored.
struct JsonDeleter {
  void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

// Parses with jansson; nullptr on error (error text in *err when given).
JsonPtr json_parse(std::string_view text, std::string* err = nullptr);

}  // namespace pulse::load
