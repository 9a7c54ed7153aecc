// Packed per-hashtag tweet sets (tag_vectors.h).
//
// Layout (fixed-width fields in native byte order, read with memcpy;
// "varint" is LEB128, "zigzag" a varint of the zigzag-mapped signed value):
//   kind byte, version byte 1, uint32 number of tags, and for a detail
//   vector int64 the minute's start (microseconds since 2000-01-01);
//   per tag: uint32 hash, varint length, the tag's bytes, then
//     detail: varint length of its entries, then each entry: int64 author,
//             uint32 when (offset in the minute; top bit: NULL author),
//             zigzag n;
//     counts: zigzag n.
// Tags ascend by (hash, bytes), a tag's entries by (NULL author last,
// author, offset).
#include "core/tag_vectors.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace pulse::tagvec {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint32_t kNullAuthor = 0x80000000u;
constexpr uint32_t kOffsetMask = 0x7fffffffu;

[[noreturn]] void corrupt(const char* what) {
  throw Error("XX001", std::string("malformed hashtag vector: ") + what);
}

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_zigzag(std::string& out, int64_t v) {
  put_varint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

// Reads a vector's bytes, checking every bound.
class Cursor {
 public:
  Cursor() = default;
  explicit Cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool done() const { return p_ == end_; }
  template <typename T>
  T fixed() {
    if (static_cast<std::size_t>(end_ - p_) < sizeof(T)) corrupt("cut short");
    T v;
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return v;
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) corrupt("cut short");
      uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    corrupt("varint too long");
  }
  int64_t zigzag() {
    uint64_t u = varint();
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }
  std::string_view bytes(uint64_t n) {
    if (static_cast<uint64_t>(end_ - p_) < n) corrupt("cut short");
    std::string_view s(p_, static_cast<std::size_t>(n));
    p_ += n;
    return s;
  }

 private:
  const char* p_ = nullptr;
  const char* end_ = nullptr;
};

struct Entry {
  int64_t author;
  uint32_t when;
  int64_t n;
};

// The order of a tag's entries: NULL authors last, then author, then time.
bool entry_less(const Entry& a, const Entry& b) {
  if ((a.when & kNullAuthor) != (b.when & kNullAuthor)) return (b.when & kNullAuthor) != 0;
  if (a.author != b.author) return a.author < b.author;
  return a.when < b.when;
}

void put_entry(std::string& out, const Entry& e) {
  put(out, e.author);
  put(out, e.when);
  put_zigzag(out, e.n);
}

class Entries {
 public:
  explicit Entries(std::string_view s) : c_(s) {}
  bool next(Entry* e) {
    if (c_.done()) return false;
    e->author = c_.fixed<int64_t>();
    e->when = c_.fixed<uint32_t>();
    e->n = c_.zigzag();
    return true;
  }

 private:
  Cursor c_;
};

bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// The order of tags: hash, then bytes.
int key_cmp(uint32_t ha, std::string_view a, uint32_t hb, std::string_view b) {
  if (ha != hb) return ha < hb ? -1 : 1;
  return a.compare(b);
}

struct TagItem {
  uint32_t hash = 0;
  std::string_view tag;
  std::string_view entries;  // detail
  int64_t count = 0;         // counts
};

class Reader {
 public:
  explicit Reader(std::string_view v) : c_(v) {
    uint8_t k = c_.fixed<uint8_t>();
    if (k != static_cast<uint8_t>(Kind::kDetail) && k != static_cast<uint8_t>(Kind::kCounts)) corrupt("unknown kind");
    if (c_.fixed<uint8_t>() != kVersion) corrupt("unknown version");
    kind_ = static_cast<Kind>(k);
    left_ = c_.fixed<uint32_t>();
    if (kind_ == Kind::kDetail) minute_ = c_.fixed<int64_t>();
  }
  Reader(std::string_view v, Kind want) : Reader(v) {
    if (kind_ != want) corrupt(want == Kind::kDetail ? "not a minute's vector" : "not a count vector");
  }
  Kind kind() const { return kind_; }
  int64_t minute() const { return minute_; }
  uint32_t tags() const { return left_; }
  bool next(TagItem* t) {
    if (left_ == 0) {
      if (!c_.done()) corrupt("trailing bytes");
      return false;
    }
    --left_;
    t->hash = c_.fixed<uint32_t>();
    t->tag = c_.bytes(c_.varint());
    if (kind_ == Kind::kDetail) {
      t->entries = c_.bytes(c_.varint());
    } else {
      t->count = c_.zigzag();
    }
    return true;
  }

 private:
  Cursor c_;
  Kind kind_ = Kind::kCounts;
  int64_t minute_ = 0;
  uint32_t left_ = 0;
};

class Writer {
 public:
  Writer(Kind kind, int64_t minute) {
    out_.push_back(static_cast<char>(kind));
    out_.push_back(static_cast<char>(kVersion));
    put(out_, uint32_t{0});
    if (kind == Kind::kDetail) put(out_, minute);
  }
  void tag(uint32_t hash, std::string_view t) {
    put(out_, hash);
    put_varint(out_, t.size());
    out_.append(t);
    ++tags_;
  }
  void entries(const std::string& e) {
    put_varint(out_, e.size());
    out_.append(e);
  }
  void count(int64_t n) { put_zigzag(out_, n); }
  std::string finish() {
    std::memcpy(&out_[2], &tags_, sizeof tags_);
    return std::move(out_);
  }

 private:
  std::string out_;
  uint32_t tags_ = 0;
};

// The entries of one tag in a and b (each sorted), summed, into out.
void merge_entries(std::string_view a, std::string_view b, std::string* out) {
  out->clear();
  Entries ra(a), rb(b);
  Entry ea{}, eb{};
  bool ha = ra.next(&ea), hb = rb.next(&eb);
  while (ha || hb) {
    Entry e;
    if (!hb || (ha && entry_less(ea, eb))) {
      e = ea;
      ha = ra.next(&ea);
    } else if (!ha || entry_less(eb, ea)) {
      e = eb;
      hb = rb.next(&eb);
    } else {
      e = ea;
      e.n += eb.n;
      ha = ra.next(&ea);
      hb = rb.next(&eb);
    }
    if (e.n != 0) put_entry(*out, e);
  }
}

// Tags numbered in the order first seen: open addressing on the stored hash
// (a hash shared by two tags is told apart by the bytes). Slots are 8 bytes,
// so the table of a few thousand tags stays in the first-level cache.
class TagIndex {
 public:
  TagIndex() : slots_(64) {}
  std::size_t size() const { return tags_.size(); }
  std::string_view tag(uint32_t i) const { return tags_[i]; }
  uint32_t hash(uint32_t i) const { return hashes_[i]; }
  // The number of (hash, tag), a new one when absent (fresh is set then).
  uint32_t insert(uint32_t hash, std::string_view tag, bool* fresh) {
    if ((tags_.size() + 1) * 2 > slots_.size()) grow();
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(hash) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.idx == kEmpty) {
        s = Slot{hash, static_cast<uint32_t>(tags_.size())};
        tags_.push_back(tag);
        hashes_.push_back(hash);
        *fresh = true;
        return s.idx;
      }
      if (s.hash == hash && same_bytes(tags_[s.idx], tag)) {
        *fresh = false;
        return s.idx;
      }
    }
  }
  // The number of (hash, tag), or -1.
  long find(uint32_t hash, std::string_view tag) const {
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(hash) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.idx == kEmpty) return -1;
      if (s.hash == hash && same_bytes(tags_[s.idx], tag)) return s.idx;
    }
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint32_t hash = 0;
    uint32_t idx = kEmpty;
  };
  static std::size_t home(uint32_t hash) { return static_cast<std::size_t>((hash * 0x9E3779B1u) >> 7); }
  void grow() {
    std::vector<Slot> bigger(slots_.size() * 2);
    std::size_t mask = bigger.size() - 1;
    for (const Slot& s : slots_) {
      if (s.idx == kEmpty) continue;
      std::size_t i = home(s.hash) & mask;
      while (bigger[i].idx != kEmpty) i = (i + 1) & mask;
      bigger[i] = s;
    }
    slots_.swap(bigger);
  }
  std::vector<Slot> slots_;
  std::vector<std::string_view> tags_;
  std::vector<uint32_t> hashes_;
};

// Whether the minute [start, start + 1 min) meets [lo, hi), and lies wholly inside.
bool meets(int64_t start, int64_t lo, int64_t hi) { return start < hi && start + kMinuteUs > lo; }
bool inside(int64_t start, int64_t lo, int64_t hi) { return start >= lo && start + kMinuteUs <= hi; }
bool entry_in(int64_t start, const Entry& e, int64_t lo, int64_t hi) {
  int64_t at = start + static_cast<int64_t>(e.when & kOffsetMask);
  return at >= lo && at < hi;
}

}  // namespace

int64_t bucket_start(int64_t t, int64_t unit) noexcept {
  int64_t q = t / unit;
  if (t % unit != 0 && t < 0) --q;
  return q * unit;
}

uint32_t tag_hash(std::string_view tag) noexcept {
  uint32_t h = 2166136261u;  // FNV-1a, 32 bits
  for (char c : tag) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

void DeltaBuilder::add_tweet(int64_t time_us, int64_t author, bool author_null, int32_t n,
                             std::vector<std::string_view>& tags) {
  if (tags.empty()) return;
  uint32_t when = 0;
  if (kind_ == Kind::kDetail) {
    int64_t minute = bucket_start(time_us, kMinuteUs);
    if (!have_minute_) {
      have_minute_ = true;
      minute_ = minute;
    } else if (minute != minute_) {
      throw Error(sqlstate::kInvalidParameterValue, "a minute's hashtag vector got tweets of another minute");
    }
    when = static_cast<uint32_t>(time_us - minute) | (author_null ? kNullAuthor : 0u);
  }
  if (kind_ != Kind::kDetail || author_null) author = 0;
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  for (std::string_view t : tags) {
    if (t.size() > UINT32_MAX) throw Error(sqlstate::kProgramLimitExceeded, "hashtag too long");
    items_.push_back(Item{tag_hash(t), static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(t.size()), when, author, n});
    arena_.append(t);
  }
}

void DeltaBuilder::add_counts_of(std::string_view detail) {
  if (kind_ != Kind::kCounts) throw Error(sqlstate::kInternalError, "add_counts_of builds a count vector");
  Reader r(detail, Kind::kDetail);
  TagItem t;
  while (r.next(&t)) {
    int64_t n = 0;
    Entries es(t.entries);
    Entry e;
    while (es.next(&e)) n += e.n;
    if (n == 0) continue;
    items_.push_back(Item{t.hash, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(t.tag.size()), 0, 0, n});
    arena_.append(t.tag);
  }
}

std::string DeltaBuilder::finish() {
  auto tag_of = [this](const Item& i) { return std::string_view(arena_.data() + i.tag_off, i.tag_len); };
  std::sort(items_.begin(), items_.end(), [&](const Item& a, const Item& b) {
    int c = key_cmp(a.hash, tag_of(a), b.hash, tag_of(b));
    if (c != 0) return c < 0;
    return entry_less(Entry{a.author, a.when, 0}, Entry{b.author, b.when, 0});
  });
  Writer w(kind_, minute_);
  std::string entries;
  std::size_t k = 0;
  while (k < items_.size()) {
    const Item& first = items_[k];
    std::string_view tag = tag_of(first);
    auto same_tag = [&](std::size_t j) { return j < items_.size() && items_[j].hash == first.hash && tag_of(items_[j]) == tag; };
    if (kind_ == Kind::kCounts) {
      int64_t n = 0;
      for (; same_tag(k); ++k) n += items_[k].n;
      if (n != 0) {
        w.tag(first.hash, tag);
        w.count(n);
      }
      continue;
    }
    entries.clear();
    while (same_tag(k)) {
      Entry e{items_[k].author, items_[k].when, 0};
      for (; same_tag(k) && items_[k].author == e.author && items_[k].when == e.when; ++k) e.n += items_[k].n;
      if (e.n != 0) put_entry(entries, e);
    }
    if (!entries.empty()) {
      w.tag(first.hash, tag);
      w.entries(entries);
    }
  }
  return w.finish();
}

std::string merge(std::string_view a, std::string_view b) {
  Reader ra(a), rb(b);
  if (ra.kind() != rb.kind()) corrupt("merging two kinds");
  if (ra.minute() != rb.minute()) corrupt("merging two minutes");
  Writer w(ra.kind(), ra.minute());
  std::string entries;
  TagItem ta, tb;
  bool ha = ra.next(&ta), hb = rb.next(&tb);
  while (ha || hb) {
    int c = !ha ? 1 : !hb ? -1 : key_cmp(ta.hash, ta.tag, tb.hash, tb.tag);
    const TagItem& one = c <= 0 ? ta : tb;
    if (ra.kind() == Kind::kDetail) {
      merge_entries(one.entries, c == 0 ? tb.entries : std::string_view(), &entries);
      if (!entries.empty()) {
        w.tag(one.hash, one.tag);
        w.entries(entries);
      }
    } else {
      int64_t n = one.count + (c == 0 ? tb.count : 0);
      if (n != 0) {
        w.tag(one.hash, one.tag);
        w.count(n);
      }
    }
    if (c <= 0) ha = ra.next(&ta);
    if (c >= 0) hb = rb.next(&tb);
  }
  return w.finish();
}

bool is_empty(std::string_view v) { return Reader(v).tags() == 0; }

std::vector<DetailRow> detail_rows(std::string_view v) {
  Reader r(v, Kind::kDetail);
  std::vector<DetailRow> out;
  TagItem t;
  while (r.next(&t)) {
    Entries es(t.entries);
    Entry e;
    while (es.next(&e))
      out.push_back(DetailRow{std::string(t.tag), r.minute() + static_cast<int64_t>(e.when & kOffsetMask), e.author,
                              (e.when & kNullAuthor) != 0, e.n});
  }
  std::stable_sort(out.begin(), out.end(), [](const DetailRow& a, const DetailRow& b) { return a.tag < b.tag; });
  return out;
}

std::vector<std::pair<std::string, int64_t>> count_rows(std::string_view v) {
  Reader r(v, Kind::kCounts);
  std::vector<std::pair<std::string, int64_t>> out;
  TagItem t;
  while (r.next(&t)) out.emplace_back(std::string(t.tag), t.count);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<std::string_view, int64_t>> range_counts(int64_t lo, int64_t hi,
                                                               const std::vector<std::string_view>& minutes,
                                                               const std::vector<std::string_view>& periods) {
  TagIndex index;
  std::vector<std::pair<std::string_view, int64_t>> out;
  auto add = [&](const TagItem& t, int64_t n) {
    bool fresh;
    uint32_t i = index.insert(t.hash, t.tag, &fresh);
    if (fresh) out.emplace_back(t.tag, 0);
    out[i].second += n;
  };
  TagItem t;
  for (std::string_view p : periods) {
    Reader r(p, Kind::kCounts);
    while (r.next(&t)) add(t, t.count);
  }
  for (std::string_view m : minutes) {
    Reader r(m, Kind::kDetail);
    if (!meets(r.minute(), lo, hi)) continue;
    bool whole = inside(r.minute(), lo, hi);
    while (r.next(&t)) {
      int64_t n = 0;
      bool any = false;
      Entries es(t.entries);
      Entry e;
      while (es.next(&e)) {
        if (!whole && !entry_in(r.minute(), e, lo, hi)) continue;
        n += e.n;
        any = true;
      }
      if (any) add(t, n);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<TrendRow> trending_candidates(int64_t w_lo, int64_t w_hi, const std::vector<std::string_view>& window,
                                          int64_t b_lo, int64_t b_hi, const std::vector<std::string_view>& base_minutes,
                                          const std::vector<std::string_view>& base_periods, int64_t w_us, int64_t b_us,
                                          int64_t k) {
  // The window: tweets per tag (numbered by index), and its (tag, author)
  // pairs.
  std::size_t window_bytes = 0;
  for (std::string_view m : window) window_bytes += m.size();
  TagIndex index;
  std::vector<int64_t> tweets, base;
  std::vector<std::pair<uint32_t, int64_t>> who;
  who.reserve(window_bytes / 13);  // an entry is at least 13 bytes
  TagItem t;
  for (std::string_view m : window) {
    Reader r(m, Kind::kDetail);
    if (!meets(r.minute(), w_lo, w_hi)) continue;
    bool whole = inside(r.minute(), w_lo, w_hi);
    while (r.next(&t)) {
      long a = -1;
      Entries es(t.entries);
      Entry e;
      while (es.next(&e)) {
        if (!whole && !entry_in(r.minute(), e, w_lo, w_hi)) continue;
        if (a < 0) {
          bool fresh;
          a = index.insert(t.hash, t.tag, &fresh);
          if (fresh) tweets.push_back(0);
        }
        tweets[static_cast<std::size_t>(a)] += e.n;
        if ((e.when & kNullAuthor) == 0 && e.n > 0) who.emplace_back(static_cast<uint32_t>(a), e.author);
      }
    }
  }
  const std::size_t n = index.size();
  base.assign(n, 0);
  // The baseline, for the window's tags only: a period's tags are matched
  // against the window's in one pass (both in tag order), a minute's looked up.
  std::vector<uint32_t> sorted(n);
  for (std::size_t i = 0; i < n; ++i) sorted[i] = static_cast<uint32_t>(i);
  std::sort(sorted.begin(), sorted.end(), [&](uint32_t a, uint32_t b) {
    return key_cmp(index.hash(a), index.tag(a), index.hash(b), index.tag(b)) < 0;
  });
  std::vector<uint32_t> sorted_hash(n);
  for (std::size_t i = 0; i < n; ++i) sorted_hash[i] = index.hash(sorted[i]);
  for (std::string_view p : base_periods) {
    Reader r(p, Kind::kCounts);
    std::size_t i = 0;
    while (i < n && r.next(&t)) {
      while (i < n && sorted_hash[i] < t.hash) ++i;
      // equal hashes: the tags in byte order
      for (std::size_t j = i; j < n && sorted_hash[j] == t.hash; ++j) {
        int c = index.tag(sorted[j]).compare(t.tag);
        if (c == 0) base[sorted[j]] += t.count;
        if (c >= 0) break;
      }
    }
  }
  for (std::string_view m : base_minutes) {
    Reader r(m, Kind::kDetail);
    if (!meets(r.minute(), b_lo, b_hi)) continue;
    bool whole = inside(r.minute(), b_lo, b_hi);
    while (r.next(&t)) {
      long i = index.find(t.hash, t.tag);
      if (i < 0) continue;
      Entries es(t.entries);
      Entry e;
      while (es.next(&e))
        if (whole || entry_in(r.minute(), e, b_lo, b_hi)) base[static_cast<std::size_t>(i)] += e.n;
    }
  }
  // Scores, computed as the SQL does (float8 of each operand, same order).
  std::vector<double> score(n);
  for (std::size_t i = 0; i < n; ++i) {
    double e = static_cast<double>(base[i]) * static_cast<double>(w_us) / static_cast<double>(b_us);
    double s = (static_cast<double>(tweets[i]) - e) / std::sqrt(e + 1.0);
    score[i] = std::isnan(s) ? HUGE_VAL : s;  // SQL sorts NaN above every number
  }
  // Those at least as good as the k-th (and near ties: the SQL decides).
  std::vector<uint32_t> keep(sorted);
  if (k > 0 && static_cast<uint64_t>(k) < keep.size()) {
    auto kth = keep.begin() + (k - 1);
    std::nth_element(keep.begin(), kth, keep.end(), [&](uint32_t a, uint32_t b) {
      if (score[a] != score[b]) return score[a] > score[b];
      return tweets[a] > tweets[b];
    });
    double floor = score[*kth] - 1e-9 * (1.0 + std::fabs(score[*kth]));
    keep.erase(std::remove_if(keep.begin(), keep.end(), [&](uint32_t a) { return score[a] < floor; }), keep.end());
  }
  // Distinct authors of those.
  std::vector<long> slot(n, -1);
  for (std::size_t r = 0; r < keep.size(); ++r) slot[keep[r]] = static_cast<long>(r);
  std::vector<std::pair<long, int64_t>> theirs;
  for (const auto& [a, author] : who)
    if (slot[a] >= 0) theirs.emplace_back(slot[a], author);
  std::sort(theirs.begin(), theirs.end());
  theirs.erase(std::unique(theirs.begin(), theirs.end()), theirs.end());
  std::vector<int64_t> authors(keep.size(), 0);
  for (const auto& p : theirs) ++authors[static_cast<std::size_t>(p.first)];
  std::vector<TrendRow> out;
  out.reserve(keep.size());
  for (std::size_t r = 0; r < keep.size(); ++r)
    out.push_back(TrendRow{index.tag(keep[r]), tweets[keep[r]], authors[r], base[keep[r]]});
  return out;
}

}  // namespace pulse::tagvec
