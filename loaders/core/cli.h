// Command-line parsing for pulse-load. One table (commands()) names every
// subcommand, its own flags and the shared flag groups it accepts, with each
// flag's default and help; parsing, per-command help and the --config file
// all read it, so a new subcommand is one CommandDef entry plus its run
// function in main.cpp. Usage errors exit with code 2. Kept free of I/O (a
// config file's text is read by the caller's ConfigReader) so unit tests can
// drive it.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pulse::load {

enum ExitCode : int { kExitOk = 0, kExitUsage = 2, kExitUpstream = 3, kExitDatabase = 4 };

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One flag, `--name VALUE`, or a switch (`--name`) when `value` is empty.
struct FlagDef {
  const char* name;      // without the dashes
  const char* value;     // the value's name in help ("N", "CONNINFO"); "" for a switch
  const char* fallback;  // the default as help shows it and get_int() uses it; "" for none
  const char* help;      // '\n' starts a new help line
};

// Flags that several commands share (the database, batching, output, ...).
struct FlagGroup {
  const char* title;
  std::vector<FlagDef> flags;
};

// A subcommand. Every command also takes the global flags (--config, --help,
// --version).
struct CommandDef {
  const char* name;
  const char* summary;                   // one line in `pulse-load --help`
  const char* usage;                     // its synopsis, one form a line
  const char* about;                     // what it does, for `pulse-load NAME --help`
  std::vector<FlagDef> flags;            // its own
  std::vector<const FlagGroup*> groups;  // the shared groups it accepts
  const char* examples;                  // one command a line
};

const std::vector<CommandDef>& commands();
const FlagGroup& global_flags();
const CommandDef* find_command(const std::string& name);
// The definition of --name as `cmd` takes it (its own, a group's or a
// global flag), or nullptr.
const FlagDef* find_flag(const CommandDef& cmd, const std::string& name);

struct Options {
  enum class Action { kRun, kHelp, kVersion };
  Action action = Action::kRun;
  // The subcommand; for kHelp, "" asks for the overview.
  std::string command;
  // Flag name (without the leading dashes) to value; switches hold "". The
  // command line's flags, then the config file's settings it did not set.
  std::map<std::string, std::string> values;
  // Where a value came from when it is not the command line: "FILE:LINE".
  std::map<std::string, std::string> origin;

  bool has(const std::string& flag) const { return values.count(flag) != 0; }
  std::optional<std::string> get(const std::string& flag) const;
  std::string get_or(const std::string& flag, const std::string& fallback) const;
  // Parses a non-negative integer flag; throws UsageError naming the flag
  // (and the config line it came from).
  long long get_int(const std::string& flag, long long fallback, long long min, long long max) const;
  // The same with the default of the command's flag table.
  long long get_int(const std::string& flag, long long min, long long max) const;
};

// Returns a config file's text, or throws UsageError saying why it cannot.
using ConfigReader = std::function<std::string(const std::string& path)>;

// Parses argv (without the program name). `--config FILE` adds the file's
// settings that the command line does not give (the command line wins); its
// `command = NAME` names the subcommand when argv has none, so that
// `pulse-load --config FILE` runs a whole configured load. Throws
// UsageError on anything invalid.
Options parse_args(const std::vector<std::string>& args, const ConfigReader& read_config = {});

// A config file: `key = value` lines, where key is a long flag of the
// command without its dashes ('_' may stand for '-'), or `command`. Lines
// starting with '#' or ';' are comments (a '#' later in a line is part of the
// value, as in a query for "#btc"); a value may be "double quoted" to keep
// blanks at its ends ('\"' and '\\' inside); a switch takes true/false,
// yes/no, on/off or 1/0. The bearer token is refused: it stays in the
// environment or a --token-file.
struct ConfigEntry {
  std::string key, value;
  int line = 0;
};
std::vector<ConfigEntry> parse_config_text(const std::string& text, const std::string& origin);

// `pulse-load --help`: the commands and the global flags.
std::string usage_text();
// `pulse-load NAME --help`: its synopsis, what it does, every flag it takes
// with its default, and examples.
std::string command_help(const CommandDef& cmd);

}  // namespace pulse::load
