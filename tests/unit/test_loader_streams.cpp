// Unit tests for the default stream names of file loads (file_identity) and
// the exit codes database errors carry.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <string>

#include "core/cli.h"
#include "core/pg_sink.h"
#include "core/source.h"

using namespace pulse::load;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/pulse_unit_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string& name, const std::string& body) const {
    std::string p = path + "/" + name;
    std::ofstream(p) << body;
    return p;
  }
};

}  // namespace

TEST(FileIdentity, StdinAndFormat) {
  EXPECT_EQ(file_identity("-"), "stdin");
  TempDir d;
  std::string p = d.file("archive-2024.jsonl", "{}\n");
  EXPECT_TRUE(std::regex_match(file_identity(p), std::regex("archive-2024\\.jsonl:[0-9a-f]{12}")))
      << file_identity(p);
}

TEST(FileIdentity, SameFileSameNameWhateverThePath) {
  TempDir d;
  std::string p = d.file("a.jsonl", "{}\n");
  std::string id = file_identity(p);
  EXPECT_EQ(file_identity(p), id);                           // stable across calls (and runs: no randomness)
  EXPECT_EQ(file_identity(d.path + "/./a.jsonl"), id);       // canonical path
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(d.path.c_str()), 0);
  EXPECT_EQ(file_identity("a.jsonl"), id);                   // relative path
  ASSERT_EQ(chdir(cwd), 0);
  { std::ofstream(p, std::ios::app) << "{}\n"; }              // appended to in place: same file
  EXPECT_EQ(file_identity(p), id);
}

TEST(FileIdentity, DifferentFilesDiffer) {
  TempDir d;
  std::string a = d.file("a.jsonl", "{}\n");
  std::string b = d.file("b.jsonl", "{}\n");
  EXPECT_NE(file_identity(a), file_identity(b));
  // The same name in another directory, and a new file replacing the old one
  // under the same name (a new inode), are other files.
  TempDir e;
  EXPECT_NE(file_identity(e.file("a.jsonl", "{}\n")), file_identity(a));
  std::string before = file_identity(a);
  std::string tmp = d.file("a.new", "{}\n");
  ASSERT_EQ(std::rename(tmp.c_str(), a.c_str()), 0);
  EXPECT_NE(file_identity(a), before);
}

TEST(FileIdentity, BasenameIsSanitizedAndShort) {
  TempDir d;
  std::string p = d.file("we\xc3\xafrd name:with$chars-and-a-very-long-tail-that-goes-on-and-on.jsonl", "{}\n");
  std::string id = file_identity(p);
  EXPECT_TRUE(std::regex_match(id, std::regex("[A-Za-z0-9._-]{1,40}:[0-9a-f]{12}"))) << id;
}

TEST(DbErrors, CarryTheirExitCode) {
  EXPECT_EQ(DbError("x").exit_code, kExitDatabase);
  EXPECT_EQ(DbError("x", "42501", kExitUsage).exit_code, kExitUsage);
  DbConnectError c("lost");
  EXPECT_EQ(c.exit_code, kExitDatabase);
  const DbError& base = c;  // write() retries these; every other DbError ends the run
  EXPECT_STREQ(base.what(), "lost");
}
