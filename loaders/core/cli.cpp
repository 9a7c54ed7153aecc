// pulse-load's command line (see cli.h). Flags take their value either as
// `--flag VALUE` or `--flag=VALUE`; unknown flags are usage errors.
#include "core/cli.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <set>

namespace pulse::load {
namespace {

struct FlagSpec {
  bool takes_value;
};

const std::map<std::string, FlagSpec>& common_flags() {
  static const std::map<std::string, FlagSpec> flags = {
      {"db", {true}},          {"stream", {true}},      {"batch-rows", {true}},
      {"batch-bytes", {true}}, {"flush-interval", {true}}, {"log-format", {true}},
      {"quiet", {false}},      {"api-url", {true}},     {"file", {true}},
      {"follow", {false}},     {"insecure", {false}},   {"help", {false}},
      {"wait-for-stream", {false}},
  };
  return flags;
}

const std::map<std::string, std::map<std::string, FlagSpec>>& command_flags() {
  static const std::map<std::string, std::map<std::string, FlagSpec>> flags = {
      {"candles",
       {{"exchange", {true}}, {"market", {true}}, {"period", {true}}, {"since", {true}}, {"until", {true}},
        {"covers", {true}}}},
      {"tweets", {{"source", {true}}, {"query", {true}}, {"format", {true}}, {"covers", {true}}}},
      {"export",
       {{"consumer", {true}}, {"to", {true}}, {"buffer-bytes", {true}}, {"buffer-interval", {true}},
        {"poll-interval", {true}}, {"read-batch", {true}}}},
  };
  return flags;
}

}  // namespace

std::optional<std::string> Options::get(const std::string& flag) const {
  auto it = values.find(flag);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::string Options::get_or(const std::string& flag, const std::string& fallback) const {
  auto v = get(flag);
  return v ? *v : fallback;
}

long long Options::get_int(const std::string& flag, long long fallback, long long min, long long max) const {
  auto v = get(flag);
  if (!v) return fallback;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  // strtoll skips leading blanks; a flag value with them is a typo, not a number.
  bool blank_start = !v->empty() && std::isspace(static_cast<unsigned char>((*v)[0]));
  if (v->empty() || blank_start || *end != '\0' || errno == ERANGE || n < min || n > max) {
    throw UsageError("--" + flag + " must be an integer between " + std::to_string(min) + " and " +
                     std::to_string(max) + ", got \"" + *v + "\"");
  }
  return n;
}

std::optional<Options> parse_args(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("missing command: candles, tweets or export (see --help)");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") return std::nullopt;
  Options opts;
  opts.command = args[0];
  auto cmd = command_flags().find(opts.command);
  if (cmd == command_flags().end())
    throw UsageError("unknown command \"" + opts.command + "\": expected candles, tweets or export");

  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") return std::nullopt;
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) throw UsageError("unexpected argument \"" + arg + "\"");
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    if (auto it = common_flags().find(name); it != common_flags().end()) spec = &it->second;
    if (auto it = cmd->second.find(name); it != cmd->second.end()) spec = &it->second;
    if (spec == nullptr) throw UsageError("unknown flag --" + name + " for " + opts.command);
    if (name == "help") return std::nullopt;
    if (!spec->takes_value) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      opts.values[name] = "";
      continue;
    }
    if (inline_value) {
      opts.values[name] = *inline_value;
    } else {
      if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
      opts.values[name] = args[++i];
    }
  }
  return opts;
}

std::string usage_text() {
  return R"(pulse-load: stream tweets and exchange candles into the pulse extension,
and export a stream consumer's raw records to files

usage:
  pulse-load candles --exchange upbit|coinone|binance --market M [--period 1m]
                     [--since T] [--until T] [--follow] [--api-url URL]
                     [--file PATH|- [--covers FROM..UNTIL|none]]
  pulse-load tweets  --source stream|search|file [--query Q] [--file PATH|-]
                     [--format twitter_v2|twitter_v1] [--follow] [--api-url URL]
                     [--covers FROM..UNTIL|none]
  pulse-load export  --consumer NAME --to DIR [--follow] [--buffer-bytes N]
                     [--buffer-interval S] [--poll-interval MS] [--read-batch N]

candles   1-minute (or --period 1m|3m|5m|15m|30m|1h) candles from an exchange's
          public API; --since/--until backfill a range, --follow polls each
          period; --file replays a saved response instead of calling the API.
tweets    X API v2 filtered stream (--source stream, --query ensures a rule),
          recent search (--source search), or archived v2/v1.1 JSON files
          (--source file, JSON Lines or a JSON array, - for stdin).

export    the records of a stream consumer (pulse.create_consumer) as gzip
          NDJSON files DIR/<stream>/YYYY/MM/DD/HH/<stream>-<first>-<last>.ndjson.gz
          (the UTC hour the file's first record was received), each whole
          on disk before the consumer commits past it; without --follow it
          stops once it has caught up.
  --buffer-bytes N       start a new file after N bytes of records
                         (uncompressed; default 5242880, Firehose's 5 MiB)
  --buffer-interval S    ... or when the file's first record is S seconds
                         old (default 300)
  --poll-interval MS     with --follow, look for new records every MS
                         milliseconds (default 1000)
  --read-batch N         records per pulse.read (default 1000)

coverage  every load records in pulse.coverage the event time it loaded
          completely (in the batch that completes it): a candle range once its
          pages are in, --follow up to the last closed period, the stream from
          its connection on (a reconnect's gap once recent search filled it),
          a search round its [start, end). A --file covers its first to last
          event (a candle's whole period), unless
  --covers FROM..UNTIL   the file holds everything of [FROM, UNTIL) (ISO 8601
                         times, as --since takes them), or
  --covers none          it claims nothing (a sample, a partial export)

common options:
  --db CONNINFO          libpq connection string or URI (default: PG* variables,
                         service file, .pgpass)
  --stream NAME          checkpoint name (default derived from the source; for
                         --file it includes the file's identity, stdin is
                         "<source>:stdin"); a stream is loaded by one
                         pulse-load at a time, a second one exits 2 naming
                         the holder
  --wait-for-stream      wait for the stream's current loader to finish
                         instead of exiting 2
  --batch-rows N         flush a batch after N records
  --batch-bytes N        flush a batch after N bytes
  --flush-interval MS    flush a batch at least every MS milliseconds
  --log-format text|json log lines as text or JSON objects (stderr)
  --quiet                no progress, only errors and the summary
  --insecure             skip TLS certificate verification (never by default)
  --help                 this text

environment:
  PULSE_TWITTER_BEARER_TOKEN (or TWITTER_BEARER_TOKEN)  X API bearer token;
                         never read from argv, never printed or logged

exit codes: 0 done, 2 usage or configuration error, 3 fatal upstream error
            (export: a file-system error), 4 database error
)";
}

}  // namespace pulse::load
