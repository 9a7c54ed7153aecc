// Fuzz target for pulse-gateway's request parsing (loaders/gateway/request.*):
// the input is five lines (method, path, Content-Type, Authorization,
// Idempotency-Key) and then the body. Never a crash, and:
//   - a records route names exactly the stream of its path, a valid one;
//   - the body's records do not depend on where its chunks were cut;
//   - every accepted record is JSON that jsonb stores (else COPY would fail
//     the whole group's transaction), every rejected one has a reason and
//     keeps at most the record limit of its bytes;
//   - the answer built from the results is valid JSON.
// A small record limit makes the oversized-record paths reachable.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_scan.h"
#include "gateway/request.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_gateway_request invariant broken: %s\n", what);
    std::abort();
  }
}

std::string_view next_line(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

std::vector<pulse::gateway::Item> parse(pulse::gateway::BodyKind kind, std::string_view body, size_t step) {
  pulse::gateway::BodyParser p(kind, pulse::gateway::BodyLimits{64});
  if (step == 0) {
    p.feed(body);
  } else {
    for (size_t at = 0; at < body.size(); at += step) p.feed(body.substr(at, step));
  }
  p.finish();
  return std::move(p.items());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view method = next_line(in), path = next_line(in), ctype = next_line(in), auth = next_line(in),
                   key = next_line(in);
  using namespace pulse::gateway;
  Route r = route(method, path);
  if (r.kind == RouteKind::kRecords) {
    check(valid_stream(r.stream), "a records route with an invalid stream");
    check(std::string("/v1/streams/") + r.stream + "/records" == path, "the route's stream is not its path's");
  }
  if (auto t = bearer_token(auth)) {
    check(!t->empty() && t->find(' ') == std::string::npos, "a bearer token with spaces");
  }
  valid_idempotency_key(key);
  BodyKind kind = body_kind(ctype, !ctype.empty());
  if (kind == BodyKind::kUnsupported) return 0;
  size_t step = 1 + (size % 13);
  auto whole = parse(kind, in, 0);
  auto cut = parse(kind, in, step);
  check(whole.size() == cut.size(), "the number of records depends on the chunks");
  std::vector<ItemResult> results;
  for (size_t i = 0; i < whole.size(); ++i) {
    const Item& a = whole[i];
    const Item& b = cut[i];
    check(a.payload == b.payload && a.reject == b.reject && a.raw == b.raw && a.note == b.note,
          "a record depends on the chunks");
    if (a.reject.empty()) {
      check(pulse::load::is_valid_json(a.payload), "an accepted record is not valid JSON");
      results.push_back({long(i + 1), "", a.note});
    } else {
      check(a.payload.empty(), "a rejected record has a payload");
      check(a.raw.size() <= 64, "a rejected record keeps more than the record limit");
      results.push_back({0, a.reject, ""});
    }
  }
  check(pulse::load::is_valid_json(response_json(results)), "the answer is not valid JSON");
  return 0;
}
