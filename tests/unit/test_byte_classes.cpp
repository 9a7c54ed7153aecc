// core/byte_classes.h: the bitmaps (and the lower-cased copy) of the fast
// version against the byte-by-byte one, for every byte value at every
// position, every block size, and random text; bit_range at its edges.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "core/byte_classes.h"

namespace {

using pulse::ByteClasses;

void expect_same(const char* p, std::size_t n, const std::string& what) {
  // The input in a buffer of exactly n bytes (reads past it are caught by
  // the sanitizer pass); the copies compared on their first n bytes.
  std::unique_ptr<char[]> exact(new char[n + 1]);
  std::memcpy(exact.get(), p, n);
  char fast_lower[64], slow_lower[64];
  const ByteClasses fast = pulse::classify_bytes(exact.get(), n, fast_lower);
  const ByteClasses slow = pulse::classify_bytes_slowly(exact.get(), n, slow_lower);
  EXPECT_EQ(fast.space, slow.space) << what;
  EXPECT_EQ(fast.non_ascii, slow.non_ascii) << what;
  EXPECT_EQ(fast.punct, slow.punct) << what;
  EXPECT_EQ(fast.upper, slow.upper) << what;
  EXPECT_EQ(fast.lower, slow.lower) << what;
  EXPECT_EQ(fast.quote, slow.quote) << what;
  EXPECT_EQ(fast.bang, slow.bang) << what;
  EXPECT_EQ(fast.question, slow.question) << what;
  EXPECT_EQ(std::memcmp(fast_lower, slow_lower, n), 0) << what;
}

TEST(ByteClasses, SlowVersionClassifiesAsDocumented) {
  const std::string t = "Ab z\t\x1c!?'#0~\x7f\x80\xff";
  char lower[64];
  const ByteClasses c = pulse::classify_bytes_slowly(t.data(), t.size(), lower);
  auto bit = [](unsigned i) { return uint64_t{1} << i; };
  EXPECT_EQ(c.upper, bit(0));
  EXPECT_EQ(c.lower, bit(1) | bit(3));
  EXPECT_EQ(c.space & pulse::bit_range(0, static_cast<unsigned>(t.size())), bit(2) | bit(4) | bit(5));
  ASSERT_EQ(t.size(), 15u);
  EXPECT_EQ(c.space & ~pulse::bit_range(0, 15), ~pulse::bit_range(0, 15));
  EXPECT_EQ(c.bang, bit(6));
  EXPECT_EQ(c.question, bit(7));
  EXPECT_EQ(c.quote, bit(8));
  EXPECT_EQ(c.punct, bit(6) | bit(7) | bit(8) | bit(9) | bit(11));
  EXPECT_EQ(c.non_ascii, bit(13) | bit(14));
  EXPECT_EQ(std::string(lower, t.size()), "ab z\t\x1c!?'#0~\x7f\x80\xff");
}

TEST(ByteClasses, EveryByteAtEveryPosition) {
  for (int b = 0; b < 256; ++b) {
    for (unsigned at = 0; at < 64; ++at) {
      std::string block(64, 'x');
      block[at] = static_cast<char>(b);
      expect_same(block.data(), 64, "byte " + std::to_string(b) + " at " + std::to_string(at));
    }
  }
}

TEST(ByteClasses, EverySizeOfRandomText) {
  std::mt19937 rng(5);
  for (std::size_t n = 0; n <= 64; ++n) {
    for (int rep = 0; rep < 300; ++rep) {
      std::string s(n, ' ');
      static const char kMix[] = " aZ!?'.,\t\xc3\xa9";
      for (char& c : s) c = static_cast<char>(rep % 2 ? rng() % 256 : kMix[rng() % (sizeof(kMix) - 1)]);
      expect_same(s.data(), n, "size " + std::to_string(n));
    }
  }
}

TEST(ByteClasses, BitCount) {
  std::mt19937_64 rng(9);
  for (int rep = 0; rep < 10000; ++rep) {
    uint64_t x = rng() & rng();
    unsigned want = 0;
    for (uint64_t y = x; y; y &= y - 1) ++want;
    EXPECT_EQ(pulse::bit_count(x), want);
  }
  EXPECT_EQ(pulse::bit_count(0), 0u);
  EXPECT_EQ(pulse::bit_count(~uint64_t{0}), 64u);
}

TEST(ByteClasses, BitRange) {
  EXPECT_EQ(pulse::bit_range(0, 0), 0u);
  EXPECT_EQ(pulse::bit_range(0, 64), ~uint64_t{0});
  EXPECT_EQ(pulse::bit_range(64, 64), 0u);
  EXPECT_EQ(pulse::bit_range(3, 5), uint64_t{0x18});
  EXPECT_EQ(pulse::bit_range(63, 64), uint64_t{1} << 63);
}

}  // namespace
