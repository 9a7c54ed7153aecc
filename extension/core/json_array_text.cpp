// The elements of a JSON array text (json_array_text.h). Written by hand: a
// JSON library would parse every value to find what this finds from the
// brackets, braces, commas and quotes alone; the values are parsed later,
// one element at a time, by jsonb's own input (pg/landing.cpp).
#include "core/json_array_text.h"

#include <cstring>

namespace pulse {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Past the string whose opening quote is at i: the index after its closing
// quote, or npos.
std::size_t skip_string(std::string_view t, std::size_t i) {
  ++i;
  while (i < t.size()) {
    const void* hit = std::memchr(t.data() + i, '"', t.size() - i);
    if (hit == nullptr) return std::string_view::npos;
    std::size_t q = static_cast<std::size_t>(static_cast<const char*>(hit) - t.data());
    // escaped when an odd number of backslashes stands right before it
    std::size_t b = q;
    while (b > i && t[b - 1] == '\\') --b;
    if ((q - b) % 2 == 0) return q + 1;
    i = q + 1;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<std::vector<Span>> json_array_spans(std::string_view t) {
  std::vector<Span> out;
  std::size_t i = 0;
  while (i < t.size() && is_space(t[i])) ++i;
  if (i >= t.size() || t[i] != '[') return std::nullopt;
  ++i;
  int depth = 0;  // inside the element: open brackets and braces
  std::size_t start = std::string_view::npos, last = 0;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (is_space(c)) continue;
    if (c == '"') {
      if (start == std::string_view::npos) start = i;
      std::size_t next = skip_string(t, i);
      if (next == std::string_view::npos) return std::nullopt;
      i = next - 1;
      last = next;
      continue;
    }
    if (depth == 0 && (c == ',' || c == ']')) {
      if (start == std::string_view::npos) {
        // "[]" is the empty array; an empty element ("[,", "[1,]") is not JSON
        if (c == ']' && out.empty()) break;
        return std::nullopt;
      }
      out.push_back({start, last});
      start = std::string_view::npos;
      if (c == ']') break;
      continue;
    }
    if (start == std::string_view::npos) start = i;
    if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth < 0) return std::nullopt;
    }
    last = i + 1;
  }
  if (i >= t.size()) return std::nullopt;  // no closing bracket
  for (++i; i < t.size(); ++i)
    if (!is_space(t[i])) return std::nullopt;
  return out;
}

bool json_may_hold_wide_numbers(std::string_view t) {
  std::size_t run = 0;  // length of the current run of number bytes
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '"') {
      std::size_t next = skip_string(t, i);
      if (next == std::string_view::npos) return true;  // not JSON: let the parser say so
      i = next - 1;
      run = 0;
      continue;
    }
    bool digit = c >= '0' && c <= '9';
    if ((c == 'e' || c == 'E') && run > 0 && t[i - 1] >= '0' && t[i - 1] <= '9') return true;
    if (digit || c == '.' || c == '-' || c == '+') {
      if (++run > 1000) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

}  // namespace pulse
