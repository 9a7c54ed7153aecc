// simdjson's DOM parser for the loaders' reads of a record (paging times,
// coverage times): one parser per thread, its buffers reused, and an
// object's member read as jsonb reads it (the last of a repeated key).
#pragma once

#include <optional>
#include <string_view>

#include <simdjson.h>

namespace pulse::load {

// Parses text with this thread's parser; root stays valid until the
// thread's next parse.
inline bool simd_parse(std::string_view text, simdjson::dom::element& root) {
  thread_local simdjson::dom::parser parser;
  return parser.parse(text.data(), text.size(), true).get(root) == simdjson::SUCCESS;
}

// obj's value for key, the last one when the key repeats; nullopt when obj
// is not an object or lacks the key.
inline std::optional<simdjson::dom::element> simd_member(simdjson::dom::element obj, std::string_view key) {
  simdjson::dom::object o;
  if (obj.get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
  std::optional<simdjson::dom::element> found;
  for (simdjson::dom::key_value_pair kv : o)
    if (kv.key == key) found = kv.value;
  return found;
}

}  // namespace pulse::load
