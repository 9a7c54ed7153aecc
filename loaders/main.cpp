// pulse-load: the CLI entry. Parses flags, then hands over to a source (or
// to the exporter).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "core/cli.h"
#include "core/source.h"
#include "export/export.h"
#include "sources/candles.h"
#include "sources/tweets.h"

using namespace pulse::load;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    auto opts = parse_args(args);
    if (!opts) {
      std::cout << usage_text();
      return kExitOk;
    }
    // parse_args accepts no other command.
    if (opts->command == "export") return run_export(*opts);
    return opts->command == "candles" ? run_candles(*opts) : run_tweets(*opts);
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
