// `pulse-load tweets --source file`: archived tweets from a file or stdin, as
// JSON Lines (v2 stream lines, v2 pages, v1.1 statuses, one a line) or as one
// JSON array of them. The file is streamed; a record that cannot be used is a
// reject and the load goes on. Re-reading a file is harmless (the merge
// leaves unchanged rows unwritten); an interrupted load resumes after the
// last committed record, so raw records land in pulse.landing once.
// Coverage: once the whole file is read, its last batch records [first,
// last] of its tweets' event times (all of them, also those a resumed run
// skips), or the span --covers gives, or nothing for --covers none.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/json_scan.h"
#include "sources/tweets.h"
#include "sources/x_common.h"

namespace pulse::load {

void run_tweet_file(RunContext& ctx, const std::string& format) {
  std::string path = ctx.opts.get_or("file", "");
  if (path.empty()) throw UsageError("--source file needs --file PATH (or --file - for stdin)");
  FILE* fp = stdin;
  std::unique_ptr<FILE, int (*)(FILE*)> owned(nullptr, fclose);
  if (path != "-") {
    owned.reset(std::fopen(path.c_str(), "rb"));
    if (!owned) throw ConfigError("cannot open " + path + ": " + std::strerror(errno));
    fp = owned.get();
  }
  // Resume: an unfinished run of the same, unchanged file committed its
  // first `records` frames (the checkpoint travels with the last record of
  // each frame); skip exactly those so each raw record lands once. A
  // finished file is read again in full (typed rows then come out unchanged).
  std::string name = path == "-" ? "stdin" : path;
  long long file_bytes = -1;
  if (path != "-" && std::fseek(fp, 0, SEEK_END) == 0) {
    file_bytes = std::ftell(fp);
    std::rewind(fp);
  }
  long long skip = 0;
  if (ctx.checkpoint && path != "-" && file_bytes >= 0) {
    JsonPtr cp = json_parse(*ctx.checkpoint);
    if (cp && json_is_object(cp.get())) {
      const char* f = json_string_value(json_object_get(cp.get(), "file"));
      json_t* n = json_object_get(cp.get(), "records");
      json_t* b = json_object_get(cp.get(), "bytes");
      if (f && name == f && json_is_integer(n) && json_is_integer(b) && json_integer_value(b) == file_bytes &&
          !json_is_true(json_object_get(cp.get(), "done")))
        skip = json_integer_value(n);
    }
  }
  auto cp_json = [&](long long records, bool done) {
    return "{\"file\":" + json_quote(name) + ",\"bytes\":" + std::to_string(file_bytes) +
           ",\"records\":" + std::to_string(records) + (done ? ",\"done\":true}" : "}");
  };
  CoversArg covers;
  if (auto c = ctx.opts.get("covers")) covers = parse_covers(*c);
  std::optional<int64_t> first, last;
  RecordReader reader;
  long long records = 0;
  // Progress: the bytes of the records handed on (a record and its newline).
  long long consumed = 0;
  if (file_bytes > 0) ctx.progress.set_extent(Progress::Unit::kBytes, 0, file_bytes);
  auto sink = [&](Frame&& f) {
    ++records;
    consumed += static_cast<long long>(f.size) + 1;
    ctx.progress.set_position(Progress::Unit::kBytes, file_bytes > 0 ? std::min(consumed, file_bytes) : consumed);
    if (covers.mode == CoversArg::Mode::kSpan && f.problem.empty()) {
      for (int64_t t : x::tweet_event_times(f.bytes)) {
        if (!first || t < *first) first = t;
        if (!last || t > *last) last = t;
      }
    }
    if (records <= skip) return;
    std::string cp = cp_json(records, false);
    x::add_frame(ctx.out, format, std::move(f), &cp);
  };
  std::string buf(1u << 20, '\0');
  while (!ctx.stop.load()) {
    size_t n = std::fread(buf.data(), 1, buf.size(), fp);
    if (n > 0) reader.feed(std::string_view(buf.data(), n), sink);
    if (n < buf.size()) {
      if (std::ferror(fp)) throw ConfigError("error reading " + path + ": " + std::strerror(errno));
      break;
    }
  }
  if (!ctx.stop.load()) reader.finish(sink);
  if (!ctx.stop.load() && file_bytes > 0) ctx.progress.set_position(Progress::Unit::kBytes, file_bytes);
  if (skip > 0) ctx.log.log("info", "resumed the file", {{"file", name}, {"skipped", std::to_string(std::min(skip, records))}});
  bool done = !ctx.stop.load();
  CoverageSpan span{kTweetsSubject, 0, 0, false};
  if (done && covers.mode == CoversArg::Mode::kSpan && first) {
    span = CoverageSpan{kTweetsSubject, *first, std::min(*last, x::wall_now_ms()), true};
  } else if (done && covers.mode == CoversArg::Mode::kRange) {
    span = CoverageSpan{kTweetsSubject, covers.from_ms, std::min(covers.until_ms, x::wall_now_ms()), false};
  }
  ctx.out.set_checkpoint(cp_json(std::max(records, skip), done), span);
  ctx.log.log("info", "file read", {{"file", path == "-" ? "stdin" : path}, {"records", std::to_string(records)}});
}

}  // namespace pulse::load
