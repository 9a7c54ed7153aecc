// pulse-load: the CLI entry. Parses flags (and --config), then hands over to
// the command's run function.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "core/cli.h"
#include "core/config.h"
#include "core/source.h"
#include "core/version.h"
#include "export/export.h"
#include "sources/candles.h"
#include "sources/tweets.h"

using namespace pulse::load;

namespace {

// Each command of the table in core/cli.cpp and what runs it.
const std::map<std::string, int (*)(const Options&)>& runners() {
  static const std::map<std::string, int (*)(const Options&)> r = {
      {"candles", run_candles},
      {"tweets", run_tweets},
      {"export", run_export},
  };
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    Options opts = parse_args(args, read_config_file);
    if (opts.action == Options::Action::kVersion) {
      std::cout << version_text();
      return kExitOk;
    }
    if (opts.action == Options::Action::kHelp) {
      const CommandDef* cmd = find_command(opts.command);
      std::cout << (cmd ? command_help(*cmd) : usage_text());
      return kExitOk;
    }
    return runners().at(opts.command)(opts);
  } catch (const UsageError& e) {
    std::cerr << "pulse-load: " << e.what() << "\n";
    return kExitUsage;
  } catch (const ConfigError& e) {
    std::cerr << "pulse-load: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "pulse-load: " << e.what() << "\n";
    return kExitUpstream;
  }
}
