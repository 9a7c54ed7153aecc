// One JSON record read with simdjson (issue 17): the tweet projection
// (pg/tweet_rows.cpp) reads a landing record's text through this instead of
// parsing it into jsonb first, which cost more than the rest of the
// projection. The reading must give what jsonb gives, so parse() refuses
// (and the caller goes the jsonb way) whatever the two could read apart:
// - text simdjson refuses (numbers beyond a double, nesting past its depth);
// - an escaped NUL or a lone surrogate, which jsonb refuses and simdjson
//   would decode;
// and the accessors follow jsonb: an object's key holds the last of its
// duplicates; numbers other than integers are not printed here (numeric's
// text for them may differ from the JSON's: 1e2 is 100), a caller asks jsonb.
// Strings are UTF-8, so the caller uses this in a UTF-8 database only.
#pragma once

#include "core/no_postgres.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pulse::json {

enum class Kind { kObject, kArray, kString, kInteger, kOtherNumber, kBoolean, kNull };

class Record {
 public:
  // A handle on a value of the record parsed last; kNone is no value.
  using Node = int32_t;
  static constexpr Node kNone = -1;

  Record();
  ~Record();
  Record(const Record&) = delete;
  Record& operator=(const Record&) = delete;

  // Parses text (handles from an earlier parse become invalid); false when
  // the text must be read as jsonb instead (see the top of this file).
  bool parse(std::string_view text);

  Node root() const { return 0; }
  Kind kind(Node n) const;
  // An object's value for key (the last one when the key repeats), kNone
  // when n is not an object or lacks the key.
  Node get(Node n, std::string_view key);
  // A string's text (unescaped), a boolean's value.
  std::string_view string(Node n) const;
  bool boolean(Node n) const;
  // An integer as numeric_out prints it.
  std::string integer_text(Node n) const;
  // An array's elements, in order (empty for anything else).
  std::vector<Node> elements(Node n);
  // The number of distinct keys of an object, and its first key.
  std::size_t distinct_keys(Node n) const;
  std::string_view first_key(Node n) const;

  // The largest text parse() reads; a longer one goes the jsonb way, which
  // keeps this reader's buffers small.
  static constexpr std::size_t kMaxText = 1 << 20;

  // For landing_length (a chunk's check): the number of elements of a JSON
  // array text, -1 for JSON that is not an array, or nullopt when jsonb's
  // own parser must decide: the text fails parse()'s checks, or may hold a
  // number beyond numeric (json_may_hold_wide_numbers), or is over
  // kMaxChunk. Handles from an earlier parse become invalid; buffers grown
  // past kMaxText for a chunk are given back.
  std::optional<long> array_length(std::string_view text);
  static constexpr std::size_t kMaxChunk = std::size_t{64} << 20;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether the escapes of a JSON text decode as jsonb's input decodes them:
// false at \u0000, a surrogate not in a pair, or a malformed \u escape.
bool escapes_agree_with_jsonb(std::string_view text);

}  // namespace pulse::json
