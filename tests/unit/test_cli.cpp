// pulse-load's command line: subcommands, flags, usage errors, per-command
// help from the flag table, and the --config file under the command line.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "core/cli.h"
#include "core/config.h"
#include "core/version.h"

using pulse::load::commands;
using pulse::load::ConfigReader;
using pulse::load::find_command;
using pulse::load::Options;
using pulse::load::parse_args;
using pulse::load::parse_config_text;
using pulse::load::UsageError;

namespace {

// A ConfigReader over in-memory files.
ConfigReader files(std::map<std::string, std::string> texts) {
  return [texts](const std::string& path) {
    auto it = texts.find(path);
    if (it == texts.end()) throw UsageError("cannot read --config " + path);
    return it->second;
  };
}

std::string usage_error(const std::vector<std::string>& args, const ConfigReader& r = {}) {
  try {
    parse_args(args, r);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Cli, HelpAndVersionAreActions) {
  EXPECT_EQ(parse_args({"--help"}).action, Options::Action::kHelp);
  EXPECT_EQ(parse_args({"--help"}).command, "");
  auto h = parse_args({"candles", "--help"});
  EXPECT_EQ(h.action, Options::Action::kHelp);
  EXPECT_EQ(h.command, "candles");
  EXPECT_EQ(parse_args({"help", "tweets"}).command, "tweets");
  EXPECT_EQ(parse_args({"tweets", "-h"}).action, Options::Action::kHelp);
  EXPECT_EQ(parse_args({"--version"}).action, Options::Action::kVersion);
  EXPECT_EQ(parse_args({"candles", "--version"}).action, Options::Action::kVersion);
  EXPECT_THROW(parse_args({"help", "trades"}), UsageError);
}

TEST(Cli, ParsesValuesInBothForms) {
  auto opts = parse_args({"candles", "--exchange", "upbit", "--market=KRW-BTC", "--follow"});
  EXPECT_EQ(opts.action, Options::Action::kRun);
  EXPECT_EQ(opts.command, "candles");
  EXPECT_EQ(opts.get_or("exchange", ""), "upbit");
  EXPECT_EQ(opts.get_or("market", ""), "KRW-BTC");
  EXPECT_TRUE(opts.has("follow"));
  EXPECT_FALSE(opts.has("since"));
}

TEST(Cli, RejectsUnknownCommandAndFlags) {
  EXPECT_THROW(parse_args({}), UsageError);
  EXPECT_THROW(parse_args({"trades"}), UsageError);
  EXPECT_THROW(parse_args({"candles", "--nope"}), UsageError);
  EXPECT_THROW(parse_args({"tweets", "--exchange", "upbit"}), UsageError);  // candles-only flag
  EXPECT_THROW(parse_args({"candles", "--token-file", "x"}), UsageError);   // tweets-only flag
  EXPECT_THROW(parse_args({"candles", "--market"}), UsageError);           // missing value
  EXPECT_THROW(parse_args({"candles", "--follow=yes"}), UsageError);       // switch with value
  EXPECT_THROW(parse_args({"candles", "stray"}), UsageError);
  EXPECT_THROW(parse_args({"--exchange", "upbit"}), UsageError);           // no command anywhere
}

TEST(Cli, IntegerFlagsAreRangeCheckedWithTableDefaults) {
  auto opts = parse_args({"tweets", "--batch-rows", "500", "--batch-bytes", "12x"});
  EXPECT_EQ(opts.get_int("batch-rows", 1, 1000000), 500);
  EXPECT_EQ(opts.get_int("flush-interval", 1, 3600000), 500);  // the table's default
  EXPECT_EQ(opts.get_int("progress-interval", 0, 86400), 10);
  EXPECT_THROW(opts.get_int("batch-bytes", 1, 1 << 30), UsageError);
  auto huge = parse_args({"tweets", "--batch-rows", "99999999999999999999"});
  EXPECT_THROW(huge.get_int("batch-rows", 1, 1000000), UsageError);
}

// Flags are parsed before the command is known (it may come from --config),
// so a flag must be a switch everywhere or take a value everywhere.
TEST(Cli, EveryFlagHasOneKindAcrossCommands) {
  std::map<std::string, bool> kind;
  for (const auto& c : commands()) {
    std::set<std::string> names;
    auto check = [&](const pulse::load::FlagDef& f) {
      EXPECT_TRUE(names.insert(f.name).second) << c.name << " lists --" << f.name << " twice";
      bool sw = f.value[0] == '\0';
      auto [it, fresh] = kind.emplace(f.name, sw);
      EXPECT_EQ(it->second, sw) << "--" << f.name << " is a switch in one command and not in another";
    };
    for (const auto& f : c.flags) check(f);
    for (const auto* g : c.groups)
      for (const auto& f : g->flags) check(f);
    for (const auto& f : pulse::load::global_flags().flags) check(f);
  }
}

TEST(Cli, CommandHelpListsItsOwnFlagsDefaultsAndExamples) {
  std::string candles = pulse::load::command_help(*find_command("candles"));
  std::string tweets = pulse::load::command_help(*find_command("tweets"));
  std::string overview = pulse::load::usage_text();
  EXPECT_NE(candles.find("--exchange NAME"), std::string::npos);
  EXPECT_NE(candles.find("(default: 1m)"), std::string::npos);
  EXPECT_NE(candles.find("(default: 5000)"), std::string::npos);
  EXPECT_NE(candles.find("examples:\n  pulse-load candles --exchange upbit"), std::string::npos);
  EXPECT_EQ(candles.find("--source"), std::string::npos);
  EXPECT_NE(tweets.find("--source stream|search|file"), std::string::npos);
  EXPECT_NE(tweets.find("(default: twitter_v2)"), std::string::npos);
  EXPECT_EQ(tweets.find("--exchange"), std::string::npos);
  EXPECT_EQ(overview.find("--exchange"), std::string::npos);
  for (const auto& c : commands()) EXPECT_NE(overview.find(std::string("  ") + c.name + " "), std::string::npos);
  // Every help line fits an 80-column terminal.
  for (const std::string* text : {&candles, &tweets, &overview}) {
    size_t start = 0;
    while (start < text->size()) {
      size_t nl = text->find('\n', start);
      std::string line = text->substr(start, nl - start);
      // Examples may be long commands; everything else wraps.
      if (line.rfind("  pulse-load ", 0) != 0 && line.rfind("  PULSE_TWITTER", 0) != 0) {
        EXPECT_LE(line.size(), 80u) << line;
      }
      start = nl + 1;
    }
  }
}

TEST(ConfigFile, KeyValueLinesCommentsQuotes) {
  auto e = parse_config_text(
      "# a comment\n"
      "; another\n"
      "\n"
      "  command = tweets  \n"
      "query = bitcoin #btc lang:en\n"
      "batch_rows=200\n"
      "api-url = \" http://x \"\n"
      "follow = yes\r\n",
      "f.conf");
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].key, "command");
  EXPECT_EQ(e[0].value, "tweets");
  EXPECT_EQ(e[0].line, 4);
  EXPECT_EQ(e[1].value, "bitcoin #btc lang:en");  // '#' inside a value is kept
  EXPECT_EQ(e[2].key, "batch-rows");              // '_' stands for '-'
  EXPECT_EQ(e[3].value, " http://x ");
  EXPECT_EQ(e[4].value, "yes");
}

TEST(ConfigFile, MalformedLinesAndTokensAreRefusedWithTheirLine) {
  auto err = [](const std::string& text) {
    try {
      parse_config_text(text, "f.conf");
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(err("market KRW-BTC\n").rfind("f.conf:1: expected `key = value`", 0), 0u);
  EXPECT_EQ(err("a = 1\n= 2\n").rfind("f.conf:2:", 0), 0u);
  EXPECT_NE(err("a = 1\na = 2\n").find("f.conf:2: \"a\" is already set on line 1"), std::string::npos);
  EXPECT_NE(err("x = \"open\n").find("closing quote"), std::string::npos);
  std::string tok = err("bearer_token = AAAA-secret\n");
  EXPECT_NE(tok.find("never goes in a config file"), std::string::npos);
  EXPECT_EQ(tok.find("AAAA-secret"), std::string::npos);
  EXPECT_NE(err("token = s\n").find("never goes"), std::string::npos);
  EXPECT_EQ(err("token-file = /etc/pulse/x.token\n"), "(no error)");
}

TEST(ConfigFile, CommandLineWinsAndCommandComesFromTheFile) {
  auto r = files({{"up.conf",
                   "command = candles\nexchange = upbit\nmarket = KRW-BTC\nbatch-rows = 100\nfollow = true\n"
                   "quiet = off\n"}});
  auto o = parse_args({"--config", "up.conf", "--batch-rows", "7"}, r);
  EXPECT_EQ(o.command, "candles");
  EXPECT_EQ(o.get_or("exchange", ""), "upbit");
  EXPECT_EQ(o.get_int("batch-rows", 1, 100000), 7);  // the command line wins
  EXPECT_TRUE(o.has("follow"));
  EXPECT_FALSE(o.has("quiet"));  // off: not set
  EXPECT_EQ(o.origin.at("market"), "up.conf:3");
  EXPECT_EQ(o.origin.count("batch-rows"), 0u);
  // The same with the command on the command line.
  EXPECT_EQ(parse_args({"candles", "--config=up.conf", "--market", "KRW-ETH"}, r).get_or("market", ""), "KRW-ETH");
}

TEST(ConfigFile, ErrorsNameTheFileAndLine) {
  auto r = files({{"a.conf", "command = candles\nexchange = upbit\nsource = stream\n"},
                  {"b.conf", "exchange = upbit\n"},
                  {"c.conf", "command = tweets\n"},
                  {"d.conf", "command = candles\nbatch-rows = lots\n"},
                  {"e.conf", "command = candles\nfollow = maybe\n"},
                  {"f.conf", "command = candles\nconfig = other.conf\n"}});
  EXPECT_EQ(usage_error({"--config", "a.conf"}, r), "a.conf:3: unknown setting \"source\" for candles");
  EXPECT_NE(usage_error({"--config", "b.conf"}, r).find("missing command"), std::string::npos);
  EXPECT_NE(usage_error({"candles", "--config", "c.conf"}, r).find("c.conf:1: the file is for \"tweets\""),
            std::string::npos);
  EXPECT_NE(usage_error({"--config", "c.conf", "--exchange", "upbit"}, r).find("unknown flag --exchange for tweets"),
            std::string::npos);
  auto d = parse_args({"--config", "d.conf"}, r);
  try {
    d.get_int("batch-rows", 1, 100);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("d.conf:2: --batch-rows must be an integer", 0), 0u) << e.what();
  }
  EXPECT_NE(usage_error({"--config", "e.conf"}, r).find("e.conf:2: follow takes true or false"), std::string::npos);
  EXPECT_NE(usage_error({"--config", "f.conf"}, r).find("f.conf:2: unknown setting \"config\""), std::string::npos);
  EXPECT_NE(usage_error({"--config", "missing.conf"}, r).find("cannot read --config missing.conf"), std::string::npos);
}

class SecretFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pulse-secret-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    path_ = tmpl;
    ASSERT_EQ(write(fd, "s3cret-token\n", 13), 13);
    close(fd);
  }
  void TearDown() override { unlink(path_.c_str()); }
  std::string err() {
    try {
      pulse::load::read_secret_file(path_, "--token-file");
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::string path_;
};

TEST_F(SecretFile, PrivateFileIsReadWithoutItsNewline) {
  ASSERT_EQ(chmod(path_.c_str(), 0600), 0);
  EXPECT_EQ(pulse::load::read_secret_file(path_, "--token-file"), "s3cret-token");
  ASSERT_EQ(chmod(path_.c_str(), 0400), 0);
  EXPECT_EQ(pulse::load::read_secret_file(path_, "--token-file"), "s3cret-token");
}

TEST_F(SecretFile, GroupOrWorldAccessIsRefused) {
  for (mode_t m : {0640, 0604, 0660, 0644, 0602, 0620}) {
    ASSERT_EQ(chmod(path_.c_str(), m), 0);
    std::string e = err();
    EXPECT_NE(e.find("is open to group or others"), std::string::npos) << std::oct << m << ": " << e;
    EXPECT_NE(e.find("chmod 600 " + path_), std::string::npos) << e;
    EXPECT_EQ(e.find("s3cret"), std::string::npos) << e;
  }
}

TEST_F(SecretFile, EmptyMissingAndNonRegularFilesAreRefused) {
  ASSERT_EQ(chmod(path_.c_str(), 0600), 0);
  std::ofstream(path_, std::ios::trunc) << " \n";
  EXPECT_NE(err().find("is empty"), std::string::npos);
  std::ofstream(path_, std::ios::trunc) << "first-line_\nsecond-line_\n";
  EXPECT_NE(err().find("more than one line"), std::string::npos);
  EXPECT_EQ(err().find("-line_"), std::string::npos);  // the content is never quoted
  EXPECT_THROW(pulse::load::read_secret_file("/nonexistent/x.token", "--token-file"), UsageError);
  EXPECT_THROW(pulse::load::read_secret_file("/tmp", "--token-file"), UsageError);
}

TEST(Version, ComparesDottedNumbers) {
  using pulse::load::compare_versions;
  EXPECT_EQ(compare_versions("0.1.0", "0.2.0"), -1);
  EXPECT_EQ(compare_versions("0.10.0", "0.9.1"), 1);
  EXPECT_EQ(compare_versions("0.2", "0.2.0"), 0);
  EXPECT_EQ(compare_versions("1.0.0", "0.99.99"), 1);
  EXPECT_EQ(std::string(pulse::load::kPulseVersion).empty(), false);
}
