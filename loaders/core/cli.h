// Command-line parsing for pulse-load: subcommands, their flags, and the usage
// errors that exit with code 2. Kept free of I/O so unit tests can drive it.
#pragma once

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

struct Options {
  std::string command;  // "candles" or "tweets"
  // Flag name (without the leading dashes) to value; switches hold "".
  std::map<std::string, std::string> values;

  bool has(const std::string& flag) const { return values.count(flag) != 0; }
  std::optional<std::string> get(const std::string& flag) const;
  std::string get_or(const std::string& flag, const std::string& fallback) const;
  // Parses a non-negative integer flag; throws UsageError naming the flag.
  long long get_int(const std::string& flag, long long fallback, long long min, long long max) const;
};

// Parses argv (without the program name). Returns nullopt when help was asked
// for (the caller prints usage_text()). Throws UsageError on anything invalid.
std::optional<Options> parse_args(const std::vector<std::string>& args);

std::string usage_text();

}  // namespace pulse::load
