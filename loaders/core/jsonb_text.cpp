// See jsonb_text.h.
#include "core/jsonb_text.h"

#include "core/byte_scan.h"

#include <cstdint>

namespace pulse::load {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a "\uXXXX" escape starting at s[i] (the backslash), or -1.
long escape_unit(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
  long v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int h = hex_digit(s[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// numeric's limits (PostgreSQL 15, numeric.c): digits before the decimal
// point and after it.
constexpr int64_t kMaxWeightDigits = 131072;
constexpr int64_t kMaxScale = 16383;

// Checks the number starting at s[i]; sets `end` past it. Empty when fine.
std::string check_number(std::string_view s, size_t i, size_t& end) {
  size_t p = i;
  if (p < s.size() && s[p] == '-') ++p;
  int64_t int_digits = 0, frac_digits = 0, frac_zeros = 0;  // frac_zeros: before the first non-zero
  bool frac_nonzero = false;
  bool leading = true;
  for (; p < s.size() && is_digit(s[p]); ++p) {
    if (leading && s[p] == '0') continue;
    leading = false;
    ++int_digits;
  }
  if (p < s.size() && s[p] == '.') {
    for (++p; p < s.size() && is_digit(s[p]); ++p) {
      ++frac_digits;
      if (s[p] != '0') frac_nonzero = true;
      else if (!frac_nonzero) ++frac_zeros;
    }
  }
  int64_t exp = 0;
  if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
    ++p;
    int sign = 1;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) sign = s[p++] == '-' ? -1 : 1;
    for (; p < s.size() && is_digit(s[p]); ++p)
      if (exp < 100000000) exp = exp * 10 + (s[p] - '0');
    exp *= sign;
  }
  end = p;
  // Digits before the point of the value: from the first significant digit.
  bool nonzero = int_digits > 0 || frac_nonzero;
  int64_t before_point = int_digits > 0 ? int_digits + exp : exp - frac_zeros;
  if (nonzero && before_point > kMaxWeightDigits)
    return "a number with more than 131072 digits before the decimal point, beyond PostgreSQL's numeric";
  if (frac_digits - exp > kMaxScale)
    return "a number with more than 16383 digits after the decimal point, beyond PostgreSQL's numeric";
  return {};
}

}  // namespace

JsonbPrep prepare_for_jsonb(std::string_view s) {
  JsonbPrep r;
  size_t nuls = 0, lone = 0;
  size_t copied = 0;  // s[0, copied) is already in r.text (once changed)
  auto change = [&](size_t from, size_t to, std::string_view replacement) {
    if (!r.changed) {
      r.changed = true;
      r.text.reserve(s.size());
    }
    r.text.append(s.substr(copied, from - copied));
    r.text.append(replacement);
    copied = to;
  };
  bool in_string = false;
  for (size_t i = 0; i < s.size();) {
    if (in_string) {
      // Most of a record is string contents: skip 8 bytes at a time to the
      // next quote or backslash.
      while (i + 8 <= s.size()) {
        uint64_t w = word_at(s, i);
        if (word_has_byte(w, '"') || word_has_byte(w, '\\')) break;
        i += 8;
      }
      if (i >= s.size()) break;
    }
    char c = s[i];
    if (in_string) {
      if (c == '"') {
        in_string = false;
        ++i;
      } else if (c == '\\') {
        long u = escape_unit(s, i);
        if (u < 0) {
          i += 2;  // another escape (or a broken one, left for the validator)
        } else if (u == 0) {
          change(i, i + 6, "");
          ++nuls;
          i += 6;
        } else if (u >= 0xD800 && u <= 0xDBFF) {
          long lo = escape_unit(s, i + 6);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            i += 12;
          } else {
            change(i, i + 6, "\\ufffd");
            ++lone;
            i += 6;
          }
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
          change(i, i + 6, "\\ufffd");
          ++lone;
          i += 6;
        } else {
          i += 6;
        }
      } else {
        ++i;
      }
    } else if (c == '"') {
      in_string = true;
      ++i;
    } else if (c == '-' || is_digit(c)) {
      size_t end = i;
      std::string why = check_number(s, i, end);
      if (!why.empty() && r.reject.empty()) r.reject = "not storable in jsonb: " + why;
      i = end > i ? end : i + 1;
    } else {
      ++i;
    }
  }
  if (r.changed) r.text.append(s.substr(copied));
  if (nuls || lone) {
    r.note = "cleaned:";
    if (nuls) r.note += " removed " + std::to_string(nuls) + " \\u0000 escape" + (nuls > 1 ? "s" : "") + " (jsonb cannot store NUL)";
    if (nuls && lone) r.note += ";";
    if (lone)
      r.note += " replaced " + std::to_string(lone) + " unpaired surrogate escape" + (lone > 1 ? "s" : "") +
                " with \\ufffd";
    r.note += "; the record is stored cleaned and these are its bytes as received";
  }
  return r;
}

}  // namespace pulse::load
