// `pulse-load tweets --source file`: archived tweets from a file or stdin, as
// JSON Lines (v2 stream lines, v2 pages, v1.1 statuses, one a line) or as one
// JSON array of them. The file is streamed; a record that cannot be used is a
// reject and the load goes on. Re-reading a file is harmless (the merge
// leaves unchanged rows unwritten), so the checkpoint only records progress.
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
  RecordReader reader;
  long long records = 0;
  auto sink = [&](Frame&& f) {
    ++records;
    x::add_frame(ctx.out, format, std::move(f));
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
  ctx.out.set_checkpoint("{\"file\":" + json_quote(path == "-" ? "stdin" : path) +
                         ",\"records\":" + std::to_string(records) + "}");
  ctx.log.log("info", "file read", {{"file", path == "-" ? "stdin" : path}, {"records", std::to_string(records)}});
}

}  // namespace pulse::load
