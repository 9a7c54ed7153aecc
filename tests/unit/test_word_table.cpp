// core/word_table.h: keys built eight bytes at a time against a byte-by-byte
// construction, and the table's look-ups against std::unordered_map over
// the same words (hits, misses that share a prefix or the first eight bytes,
// case, sizes around 8 and 16 and the limit). Keys are built from buffers of
// exactly the word's size (or the word and the padding the padded key may
// read), so the sanitizer pass catches a read past them.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/word_table.h"

namespace {

using pulse::make_word_key;
using pulse::WordKey;
using pulse::WordTable;

// The key built one byte at a time.
WordKey slow_key(const std::string& w) {
  WordKey k{{0, 0, 0}, static_cast<uint32_t>(w.size())};
  for (std::size_t i = 0; i < w.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(w[i]);
    if (c >= 'A' && c <= 'Z') c += 32;
    k.part[i / 8] |= uint64_t{c} << (8 * (i % 8));
  }
  return k;
}

// make_word_key over a heap copy of exactly w's bytes.
bool key_of(const std::string& w, WordKey* k) {
  std::unique_ptr<char[]> exact(new char[w.size() + 1]);
  std::memcpy(exact.get(), w.data(), w.size());
  return make_word_key(exact.get(), w.size(), k);
}

std::string random_ascii(std::mt19937& rng, std::size_t n) {
  std::string s(n, ' ');
  for (char& c : s) c = static_cast<char>(rng() % 128);
  return s;
}

TEST(WordTable, KeyIsLowerCaseBytesInOrder) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n <= WordKey::kMaxBytes; ++n) {
    for (int rep = 0; rep < 200; ++rep) {
      std::string w = random_ascii(rng, n);
      WordKey k;
      ASSERT_TRUE(key_of(w, &k)) << n;
      WordKey want = slow_key(w);
      EXPECT_EQ(k.size, want.size);
      for (int p = 0; p < 3; ++p) EXPECT_EQ(k.part[p], want.part[p]) << "size " << n << " part " << p;
    }
  }
}

TEST(WordTable, EveryAsciiByteLowersAtEveryPosition) {
  for (int c = 0; c < 128; ++c) {
    for (std::size_t at = 0; at < 8; ++at) {
      std::string w(8, 'x');
      w[at] = static_cast<char>(c);
      WordKey k;
      ASSERT_TRUE(key_of(w, &k));
      const unsigned char want = c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : static_cast<unsigned char>(c);
      EXPECT_EQ((k.part[0] >> (8 * at)) & 0xFF, want) << "byte " << c << " at " << at;
      for (std::size_t j = 0; j < 8; ++j) {
        if (j == at) continue;
        EXPECT_EQ((k.part[0] >> (8 * j)) & 0xFF, uint64_t{'x'});
      }
    }
  }
}

TEST(WordTable, PaddedKeyReadsLowerCaseBytesAsTheyAre) {
  std::mt19937 rng(3);
  for (std::size_t n = 0; n <= WordKey::kMaxBytes; ++n) {
    for (int rep = 0; rep < 200; ++rep) {
      std::string w = random_ascii(rng, n);
      for (char& c : w)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      // The word, then bytes that must not leak into the key, up to the
      // WordKey::kMaxBytes bytes the key may read, in a buffer of that size.
      std::unique_ptr<char[]> padded(new char[WordKey::kMaxBytes]);
      std::memset(padded.get(), 'Q', WordKey::kMaxBytes);
      std::memcpy(padded.get(), w.data(), n);
      WordKey k = pulse::make_padded_word_key(padded.get(), n);
      WordKey want = slow_key(w);
      EXPECT_EQ(k.size, want.size);
      for (int p = 0; p < 3; ++p) EXPECT_EQ(k.part[p], want.part[p]) << "size " << n << " part " << p;
    }
  }
}

TEST(WordTable, KeyRefusesLongerWords) {
  WordKey k;
  EXPECT_TRUE(key_of(std::string(WordKey::kMaxBytes, 'a'), &k));
  EXPECT_FALSE(key_of(std::string(WordKey::kMaxBytes + 1, 'a'), &k));
}

TEST(WordTable, FindsEachWordAndNothingElse) {
  const std::vector<std::string> listed = {
      "a", "ab", "abc", "good", "goodness", "goodnesss", "goodnessgracious", "goodnessgraciousm", "kind-of", ":)",
      "(-:", "n't", "can't", "0123456789abcdefghijklmn", "abcdefgh", "abcdefgx", "abcdefghabcdefgh", "abcdefghabcdefgx"};
  std::vector<std::string_view> views(listed.begin(), listed.end());
  std::vector<uint32_t> values;
  for (std::size_t i = 0; i < listed.size(); ++i) values.push_back(static_cast<uint32_t>(1000 + 7 * i));
  WordTable t(views, values);
  for (std::size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(t.find(listed[i]), values[i]) << listed[i];
    std::string upper = listed[i];
    for (char& c : upper)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    EXPECT_EQ(t.find(upper), values[i]) << upper;
  }
  const std::vector<std::string> misses = {
      "", "b", "abcd", "goo", "goodnes", "goodnesses", "goodnessgraciousn", "goodnessgraciousmm", "kind_of", ":(",
      "abcdefgy", "abcdefghabcdefgy", "abcdefghabcdefg", "abcdefghabcdefghh", "0123456789abcdefghijklmnX",
      "0123456789abcdefghijklmo", "good\x01", std::string("a\0", 2), std::string("abcdefgh\0", 9)};
  for (const std::string& miss : misses) EXPECT_EQ(t.find(miss), WordTable::kNotFound) << miss;
  WordKey k;
  ASSERT_TRUE(make_word_key("goo", 3, &k));
  EXPECT_EQ(t.find(k, 77), 77u);
  ASSERT_TRUE(make_word_key("Good", 4, &k));
  EXPECT_EQ(t.find(k, 77), values[3]);
}

TEST(WordTable, AgreesWithAMapOnManyWords) {
  std::mt19937 rng(11);
  const char alphabet[] = "abcdefghijklmnopqrstuvwxyz-':)(";
  auto word = [&](std::size_t n) {
    std::string s(n, ' ');
    for (char& c : s) c = alphabet[rng() % (sizeof(alphabet) - 1)];
    return s;
  };
  std::unordered_map<std::string, uint32_t> want;
  std::vector<std::string> words;
  while (words.size() < 20000) {
    std::string w = word(1 + rng() % WordKey::kMaxBytes);
    if (want.emplace(w, static_cast<uint32_t>(words.size())).second) words.push_back(w);
  }
  std::vector<std::string_view> views(words.begin(), words.end());
  std::vector<uint32_t> values;
  for (std::size_t i = 0; i < words.size(); ++i) values.push_back(static_cast<uint32_t>(i));
  WordTable t(views, values);
  EXPECT_GE(t.slot_count(), 2 * words.size());
  for (std::size_t i = 0; i < words.size(); ++i) ASSERT_EQ(t.find(words[i]), i) << words[i];
  for (int rep = 0; rep < 200000; ++rep) {
    std::string w = word(1 + rng() % WordKey::kMaxBytes);
    auto it = want.find(w);
    ASSERT_EQ(t.find(w), it == want.end() ? WordTable::kNotFound : it->second) << w;
  }
}

TEST(WordTable, RefusesBadWordLists) {
  using V = std::vector<std::string_view>;
  using U = std::vector<uint32_t>;
  EXPECT_THROW(WordTable(V{"good", "bad", "good"}, U{1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(WordTable(V{"Good"}, U{1}), std::invalid_argument);
  EXPECT_THROW(WordTable(V{""}, U{1}), std::invalid_argument);
  EXPECT_THROW(WordTable(V{std::string_view("caf\xC3\xA9")}, U{1}), std::invalid_argument);
  const std::string too_long(WordKey::kMaxBytes + 1, 'a');
  EXPECT_THROW(WordTable(V{too_long}, U{1}), std::invalid_argument);
  EXPECT_THROW(WordTable(V{"good"}, U{1, 2}), std::invalid_argument);
  EXPECT_THROW(WordTable(V{"good"}, U{WordTable::kNotFound}), std::invalid_argument);
  EXPECT_EQ(WordTable(V{}, U{}).find("a"), WordTable::kNotFound);
  EXPECT_EQ(WordTable(V{}, U{}).find(""), WordTable::kNotFound);
  EXPECT_EQ(WordTable(V{"a"}, U{5}).find(""), WordTable::kNotFound);
}

}  // namespace
