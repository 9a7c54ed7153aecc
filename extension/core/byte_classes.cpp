// Byte class bitmaps (byte_classes.h).
#include "core/byte_classes.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pulse {

ByteClasses classify_bytes_slowly(const char* p, std::size_t n, char* lower) {
  ByteClasses c{};
  for (unsigned i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    if (i >= n) {
      c.space |= bit;
      lower[i] = 0;
      continue;
    }
    const unsigned char b = static_cast<unsigned char>(p[i]);
    lower[i] = static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
    if ((b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x20)) c.space |= bit;
    if (b >= 0x80) c.non_ascii |= bit;
    if ((b >= 0x21 && b <= 0x2F) || (b >= 0x3A && b <= 0x40) || (b >= 0x5B && b <= 0x60) || (b >= 0x7B && b <= 0x7E))
      c.punct |= bit;
    if (b >= 'A' && b <= 'Z') c.upper |= bit;
    if (b >= 'a' && b <= 'z') c.lower |= bit;
    if (b == '\'') c.quote |= bit;
    if (b == '!') c.bang |= bit;
    if (b == '?') c.question |= bit;
  }
  return c;
}

#if defined(__SSE2__)

namespace {

// Sixteen bytes at p, classified into bits 16k..16k+15 of c and written
// lower-cased to lower.
inline void classify16(const char* p, unsigned k, ByteClasses& c, char* lower) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // lo <= byte <= hi, 1 <= lo <= hi <= 0x7F, in one signed compare: byte +
  // (0x80 - lo) is below -128 + (hi - lo + 1) exactly then (for bytes of
  // 0x80 and above it is at least -lo, which is not).
  auto in = [&](int lo, int hi) {
    return _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(0x80 - lo))),
                          _mm_set1_epi8(static_cast<char>(-128 + (hi - lo + 1))));
  };
  auto is = [&](char v) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(v)); };
  const unsigned shift = 16 * k;
  auto bits = [&](__m128i m) { return static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(m))) << shift; };
  const __m128i upper = in('A', 'Z'), lower_case = in('a', 'z');
  const __m128i alnum = _mm_or_si128(_mm_or_si128(upper, lower_case), in('0', '9'));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lower),
                   _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
  c.space |= bits(_mm_or_si128(in(0x09, 0x0D), in(0x1C, 0x20)));
  c.non_ascii |= bits(x);
  c.punct |= bits(_mm_andnot_si128(alnum, in(0x21, 0x7E)));
  c.upper |= bits(upper);
  c.lower |= bits(lower_case);
  c.quote |= bits(is('\''));
  c.bang |= bits(is('!'));
  c.question |= bits(is('?'));
}

}  // namespace

ByteClasses classify_bytes(const char* p, std::size_t n, char* lower) {
  ByteClasses c{};
  if (n >= 64) {
    for (unsigned k = 0; k < 4; ++k) classify16(p + 16 * k, k, c, lower + 16 * k);
    return c;
  }
  // The last, short block: whole sixteens in place, the rest copied into
  // zeros; the bytes after n become spaces.
  unsigned k = 0;
  for (; 16 * (k + 1) <= n; ++k) classify16(p + 16 * k, k, c, lower + 16 * k);
  if (16 * k < n) {
    char tail[16] = {};
    std::memcpy(tail, p + 16 * k, n - 16 * k);
    classify16(tail, k, c, lower + 16 * k);
  }
  c.space |= ~bit_range(0, static_cast<unsigned>(n));
  return c;
}

#else

ByteClasses classify_bytes(const char* p, std::size_t n, char* lower) { return classify_bytes_slowly(p, n, lower); }

#endif

}  // namespace pulse
