// Fuzz target for the loader's byte-exact JSON framing (loaders/core/
// json_scan.*): validation, array splitting, member lookup and quoting must
// never crash, and must agree with each other (an element of a valid array
// is itself valid JSON and lies inside the text; a quoted string is valid).
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/json_scan.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_json_scan invariant broken: %s\n", what);
    std::abort();
  }
}

size_t first_non_ws(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pulse::load;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why = json_invalid_reason(text);
  bool valid = why.empty();

  try {
    auto spans = split_json_array(text);
    check(valid, "split_json_array accepted invalid JSON");
    size_t prev_end = 0;
    for (const auto& s : spans) {
      check(s.begin <= s.end && s.end <= text.size(), "element span out of bounds");
      check(s.begin >= prev_end, "element spans overlap or go backwards");
      prev_end = s.end;
      check(is_valid_json(s.of(text)), "an element of a valid array is not valid JSON");
    }
  } catch (const std::invalid_argument&) {
    size_t i = first_non_ws(text);
    check(!(valid && i < text.size() && text[i] == '['), "split_json_array refused a valid array");
  }

  try {
    auto m = find_json_member(text, "market");
    check(valid, "find_json_member accepted invalid JSON");
    if (m) {
      check(m->begin <= m->end && m->end <= text.size(), "member span out of bounds");
      check(is_valid_json(m->of(text)), "a member value of a valid object is not valid JSON");
    }
  } catch (const std::invalid_argument&) {
    size_t i = first_non_ws(text);
    check(!(valid && i < text.size() && text[i] == '{'), "find_json_member refused a valid object");
  }

  // Quoting: the result is valid JSON whenever the input has no NUL (jsonb
  // refuses \u0000); invalid UTF-8 in the input stays invalid UTF-8.
  if (text.find('\0') == std::string_view::npos) {
    std::string reason = json_invalid_reason(json_quote(text));
    check(reason.empty() || reason.find("UTF-8") != std::string::npos,
          "json_quote produced invalid JSON from bytes without NUL");
  }
  return 0;
}
