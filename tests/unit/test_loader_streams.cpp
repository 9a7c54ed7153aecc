// Unit tests for the default stream names of file loads (file_identity) and
// the exit codes database errors carry.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
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

// NAME:HASH, NAME 1-40 of [A-Za-z0-9._-] (or exactly `name` when given),
// HASH 12 lower-case hex digits (what <regex> checked, without its build time).
bool is_identity(const std::string& id, const std::string& name = "") {
  const size_t colon = id.rfind(':');
  if (colon == std::string::npos || id.size() - colon - 1 != 12) return false;
  const std::string base = id.substr(0, colon);
  if (!name.empty() && base != name) return false;
  if (base.empty() || base.size() > 40) return false;
  for (char c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  for (size_t k = colon + 1; k < id.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(id[k])) && (id[k] < 'a' || id[k] > 'f')) return false;
  return true;
}

}  // namespace

TEST(FileIdentity, MatcherRefusesWhatTheRegexRefused) {
  EXPECT_TRUE(is_identity("a.jsonl:0123456789ab"));
  EXPECT_FALSE(is_identity("a.jsonl:0123456789AB"));
  EXPECT_FALSE(is_identity("a.jsonl:0123456789a"));
  EXPECT_FALSE(is_identity("a jsonl:0123456789ab"));
  EXPECT_FALSE(is_identity(":0123456789ab"));
  EXPECT_FALSE(is_identity(std::string(41, 'a') + ":0123456789ab"));
  EXPECT_FALSE(is_identity("b.jsonl:0123456789ab", "a.jsonl"));
}

TEST(FileIdentity, StdinAndFormat) {
  EXPECT_EQ(file_identity("-"), "stdin");
  TempDir d;
  std::string p = d.file("archive-2024.jsonl", "{}\n");
  EXPECT_TRUE(is_identity(file_identity(p), "archive-2024.jsonl"))
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
  EXPECT_TRUE(is_identity(id)) << id;
}

TEST(DbErrors, CarryTheirExitCode) {
  EXPECT_EQ(DbError("x").exit_code, kExitDatabase);
  EXPECT_EQ(DbError("x", "42501", kExitUsage).exit_code, kExitUsage);
  DbConnectError c("lost");
  EXPECT_EQ(c.exit_code, kExitDatabase);
  const DbError& base = c;  // write() retries these; every other DbError ends the run
  EXPECT_STREQ(base.what(), "lost");
}
