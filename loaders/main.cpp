// pulse-load: the CLI entry. Parses flags, then hands over to a source.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "core/cli.h"
#include "core/source.h"
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
    if (opts->command == "candles") return run_candles(*opts);
    if (opts->command == "tweets") return run_tweets(*opts);
    std::cerr << "pulse-load: the " << opts->command << " sources are not built yet\n";
    return kExitUsage;
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
