// Unit tests for loaders/export/layout: stream names as one path component,
// file names that carry the first and last seq, and a gzip file that is
// either published whole or leaves nothing behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstdlib>
#include <string>

#include "core/cli.h"
#include "export/layout.h"

using namespace pulse::load;

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/pulse-export-test-XXXXXX";
  const char* d = mkdtemp(tmpl);
  EXPECT_NE(d, nullptr);
  return d ? d : "";
}

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  char buf[4096];
  int n;
  while (f && (n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  if (f) gzclose(f);
  return out;
}

bool exists(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0;
}

}  // namespace

TEST(ExportLayout, StreamNamesAreOnePathComponent) {
  EXPECT_EQ(escape_component("tweets_stream"), "tweets_stream");
  EXPECT_EQ(escape_component("candles:upbit:KRW-BTC:1m"), "candles:upbit:KRW-BTC:1m");
  EXPECT_EQ(escape_component("web/clicks v1"), "web%2Fclicks%20v1");
  EXPECT_EQ(escape_component(".."), "%2E.");
  EXPECT_EQ(escape_component(".hidden"), "%2Ehidden");
  EXPECT_EQ(escape_component("a%b"), "a%25b");
  EXPECT_EQ(escape_component("\xed\x95\x9c"), "%ED%95%9C");  // UTF-8 bytes
}

TEST(ExportLayout, FileNamesCarryFirstAndLastSeq) {
  EXPECT_EQ(export_file_name("s-1", 17, 42), "s-1-17-42.ndjson.gz");
  auto span = parse_export_file_name("s-1", "s-1-17-42.ndjson.gz");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->first, 17);
  EXPECT_EQ(span->second, 42);
  EXPECT_FALSE(parse_export_file_name("s", "s-1-17-42.ndjson.gz").has_value());  // another stream's
  EXPECT_FALSE(parse_export_file_name("s-1", "s-1-17.ndjson.gz").has_value());
  EXPECT_FALSE(parse_export_file_name("s-1", "s-1-17-42.ndjson").has_value());
  EXPECT_FALSE(parse_export_file_name("s-1", "s-1-x-42.ndjson.gz").has_value());
  EXPECT_FALSE(parse_export_file_name("s-1", ".s-1-17-42.ndjson.gz.tmp").has_value());
}

TEST(ExportLayout, GzipFileIsPublishedWhole) {
  std::string d = temp_dir();
  make_dirs_durable(d + "/tmp");
  {
    GzipFile f(d + "/tmp/a.tmp");
    f.write_line("{\"id\": 1}");
    f.write_line("{\"id\": \"\xc3\xa9\"}");
    EXPECT_EQ(f.raw_bytes(), 10 + 13);  // lines and newlines, bytes not characters
    f.publish(d + "/2024/03/11/14", "s-1-2.ndjson.gz");
  }
  EXPECT_FALSE(exists(d + "/tmp/a.tmp"));
  EXPECT_EQ(gunzip(d + "/2024/03/11/14/s-1-2.ndjson.gz"), "{\"id\": 1}\n{\"id\": \"\xc3\xa9\"}\n");
  EXPECT_EQ(count_gzip_lines(d + "/2024/03/11/14/s-1-2.ndjson.gz"), 2);
  EXPECT_EQ(list_files(d + "/2024/03/11/14"), std::vector<std::string>{"s-1-2.ndjson.gz"});
  EXPECT_TRUE(list_files(d + "/nothing").empty());
  std::system(("rm -rf " + d).c_str());
}

TEST(ExportLayout, UnpublishedFileLeavesNothing) {
  std::string d = temp_dir();
  {
    GzipFile f(d + "/b.tmp");
    f.write_line("x");
    EXPECT_TRUE(exists(d + "/b.tmp"));
  }
  EXPECT_FALSE(exists(d + "/b.tmp"));
  EXPECT_THROW(GzipFile(d + "/no/such/dir/c.tmp"), ExportIoError);
  std::system(("rm -rf " + d).c_str());
}

TEST(ExportCli, FlagsAndCommand) {
  auto opts = parse_args({"export", "--consumer", "c", "--to", "/x", "--follow", "--buffer-bytes=100",
                          "--buffer-interval", "60", "--poll-interval", "50", "--read-batch", "10"});
  ASSERT_EQ(opts.action, Options::Action::kRun);
  EXPECT_EQ(opts.command, "export");
  EXPECT_EQ(opts.get_int("buffer-bytes", 0, 1, 1000), 100);
  EXPECT_TRUE(opts.has("follow"));
  EXPECT_THROW(parse_args({"export", "--exchange", "upbit"}), UsageError);  // candles' flag
  EXPECT_THROW(parse_args({"candles", "--consumer", "c"}), UsageError);     // export's flag
}
