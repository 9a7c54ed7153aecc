// Fuzz target for the tweet record framing (loaders/core/framing.*): JSON
// Lines and top-level JSON arrays arriving in chunks cut anywhere. Never a
// crash; the frames must not depend on where the chunks were cut (the input
// fed whole and fed in fuzzer-chosen pieces frame the same), a frame never
// keeps more than the limits allow, and a valid-looking frame's size is its
// byte count. Small limits make the oversized-record paths reachable.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/framing.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_framing invariant broken: %s\n", what);
    std::abort();
  }
}

struct Out {
  std::string bytes, problem;
  size_t size;
  bool operator==(const Out& o) const { return bytes == o.bytes && problem == o.problem && size == o.size; }
};

std::vector<Out> frame(std::string_view data, const std::vector<size_t>& cuts, bool reader) {
  pulse::load::FramingLimits limits;
  limits.max_record = 64;
  limits.keep_prefix = 16;
  std::vector<Out> out;
  auto sink = [&](pulse::load::Frame&& f) { out.push_back({f.bytes, f.problem, f.size}); };
  size_t at = 0;
  if (reader) {
    pulse::load::RecordReader r(limits);
    for (size_t c : cuts) {
      r.feed(data.substr(at, c - at), sink);
      at = c;
    }
    r.feed(data.substr(at), sink);
    r.finish(sink);
  } else {
    pulse::load::LineFramer l(limits);
    for (size_t c : cuts) {
      l.feed(data.substr(at, c - at), sink);
      at = c;
    }
    l.feed(data.substr(at), sink);
    if (auto f = l.finish()) sink(std::move(*f));
  }
  for (const auto& o : out) {
    check(o.bytes.size() <= limits.max_record, "a frame keeps more than max_record bytes");
    if (o.problem.empty()) check(o.size == o.bytes.size(), "a usable frame's size is not its byte count");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  bool reader = data[0] & 1;
  unsigned step = 1 + data[1] % 17;
  std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  std::vector<size_t> cuts;
  for (size_t c = step; c < text.size(); c += step + (c % 3)) cuts.push_back(c);
  auto whole = frame(text, {}, reader);
  auto pieces = frame(text, cuts, reader);
  check(whole == pieces, "frames depend on where the chunks were cut");
  return 0;
}
