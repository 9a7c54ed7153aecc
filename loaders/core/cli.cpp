// pulse-load's command line (see cli.h). Flags take their value either as
// `--flag VALUE` or `--flag=VALUE`; unknown flags are usage errors.
//
// The parser is hand-written rather than CLI11 or cxxopts (both in Debian):
// what pulse-load needs beyond them is the config file merged under the
// command line with per-line error messages, one-line usage errors with exit
// 2, and help generated from the same table; the table-and-loop here is
// about as long as the glue either library would need.
#include "core/cli.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <set>
#include <vector>

namespace pulse::load {
namespace {

const FlagGroup kDatabaseGroup = {
    "database",
    {
        {"db", "CONNINFO", "", "libpq connection string or URI (default: the PG* variables, service file and .pgpass)"},
    }};

const FlagGroup kStreamGroup = {
    "stream and batches",
    {
        {"stream", "NAME", "",
         "checkpoint name (default: derived from the source; for --file it includes the file's identity, stdin is "
         "\"<source>:stdin\"); a stream is loaded by one pulse-load at a time, a second one exits 2 naming "
         "the holder"},
        {"wait-for-stream", "", "", "wait for the stream's current loader to finish instead of exiting 2"},
        {"batch-rows", "N", "5000", "flush a batch after N records"},
        {"batch-bytes", "N", "8388608", "flush a batch after N bytes"},
        {"flush-interval", "MS", "500", "flush a batch at least every MS milliseconds"},
    }};

const FlagGroup kHttpGroup = {
    "HTTP",
    {
        {"api-url", "URL", "",
         "replace the API's scheme, host and port (a replay server, a proxy); the documented paths stay (default: the "
         "live API)"},
        {"insecure", "", "", "skip TLS certificate verification (never by default)"},
    }};

const FlagGroup kOutputGroup = {
    "output",
    {
        {"log-format", "text|json", "text",
         "log lines on stderr as text (UTC timestamps; none under journald, which adds its own) or as JSON objects"},
        {"quiet", "", "", "no progress and no info lines: warnings, errors and the summary"},
        {"progress-interval", "S", "10",
         "when stderr is not a terminal, a progress line every S seconds (0: none); a terminal gets one line "
         "redrawn with rate, position and ETA"},
    }};

const FlagGroup kGlobalGroup = {
    "global",
    {
        {"config", "FILE", "",
         "read settings from FILE: `key = value` lines of long flags without the dashes, `command = NAME`, '#' "
         "comments; the command line wins"},
        {"help", "", "", "this text"},
        {"version", "", "", "pulse-load's version and the extension version it needs"},
    }};

const char* const kCoversHelp =
    "what the --file holds completely: [FROM, UNTIL) as ISO 8601 times (as --since takes them), or none to claim "
    "nothing (a sample) (default: its first to last event)";

const std::vector<CommandDef>& command_table() {
  static const std::vector<CommandDef> table = {
      {"candles",
       "candles (1m or --period) from Upbit, Coinone or Binance",
       "pulse-load candles --exchange upbit|coinone|binance --market M\n"
       "                   [--period P] [--since T] [--until T] [--follow]\n"
       "pulse-load candles --exchange E --market M --file PATH|- [--covers C]",
       "Loads an exchange's candles through pulse.landing and pulse.apply_batch into\n"
       "pulse.candles: --since/--until page through a range (resuming at the\n"
       "checkpoint after a restart), --follow polls just after each period boundary\n"
       "and re-reads the last five candles; with neither, the newest page is loaded.\n"
       "Prices stay the decimals the API printed. Coverage (pulse.coverage): a range\n"
       "once its pages are in, --follow up to the last closed period, a --file its\n"
       "first to last candle unless --covers says otherwise.",
       {
           {"exchange", "NAME", "", "upbit, coinone or binance (required)"},
           {"market", "M", "",
            "the exchange's own market name, stored as given (required): KRW-BTC on upbit and coinone, BTCUSDT on "
            "binance"},
           {"period", "P", "1m", "candle period: 1m, 3m, 5m, 15m, 30m or 1h"},
           {"since", "T", "",
            "backfill from T: 2024-05-01, 2024-05-01T09:00[:00][Z|+09:00] or epoch milliseconds (default: only the "
            "newest candles)"},
           {"until", "T", "", "end of the backfill, exclusive (default: now)"},
           {"follow", "", "", "poll every period until SIGINT/SIGTERM (after a --since backfill)"},
           {"file", "PATH|-", "",
            "replay a saved response (or one response a line) instead of calling the API; - is stdin"},
           {"covers", "FROM..UNTIL|none", "", kCoversHelp},
       },
       {&kDatabaseGroup, &kStreamGroup, &kHttpGroup, &kOutputGroup},
       "pulse-load candles --exchange upbit --market KRW-BTC --since 2024-05-01 --until 2024-05-02\n"
       "pulse-load candles --exchange binance --market BTCUSDT --follow\n"
       "pulse-load candles --exchange coinone --market KRW-BTC --file saved.json --covers none\n"
       "pulse-load --config /etc/pulse/upbit-krw-btc.conf      # command = candles in the file"},
      {"tweets",
       "X (Twitter) posts: filtered stream, recent search or files",
       "pulse-load tweets --source stream [--query Q] [options]\n"
       "pulse-load tweets --source search --query Q [--follow] [options]\n"
       "pulse-load tweets --source file --file PATH|- [--format F] [--covers C]",
       "Loads tweets through pulse.landing and pulse.apply_batch into pulse.tweets, one\n"
       "row per id: the X API v2 filtered stream (reconnecting by X's rules and\n"
       "filling a disconnect's gap with recent search), recent search (resuming from\n"
       "since_id), or archived v2 / v1.1 JSON (JSON Lines or one array; resuming\n"
       "after the last committed record). The bearer token comes from\n"
       "PULSE_TWITTER_BEARER_TOKEN (or TWITTER_BEARER_TOKEN) or --token-file, never\n"
       "from the command line, and is never printed.",
       {
           {"source", "stream|search|file", "", "where the tweets come from (required)"},
           {"query", "Q", "",
            "stream: a filtered stream rule to add if missing; search: the recent search query (required)"},
           {"follow", "", "", "search: search again every 15 s until SIGINT/SIGTERM"},
           {"file", "PATH|-", "", "the archive to load; - is stdin"},
           {"format", "twitter_v2|twitter_v1", "twitter_v2", "the archive's record format"},
           {"covers", "FROM..UNTIL|none", "", kCoversHelp},
           {"token-file", "FILE", "",
            "read the bearer token from FILE, which must be owned by this user and not readable by group or others "
            "(chmod 600) (default: the environment)"},
       },
       {&kDatabaseGroup, &kStreamGroup, &kHttpGroup, &kOutputGroup},
       "PULSE_TWITTER_BEARER_TOKEN=... pulse-load tweets --source stream --query 'bitcoin lang:en'\n"
       "pulse-load tweets --source search --query bitcoin --follow --token-file ~/.config/pulse/x.token\n"
       "pulse-load tweets --source file --file archive.jsonl --covers 2024-03-11..2024-03-12\n"
       "pulse-load tweets --source file --file statuses.jsonl --format twitter_v1"},
      {"export",
       "a consumer's raw records as gzip NDJSON files (Firehose's layout)",
       "pulse-load export --consumer NAME --to DIR [--follow] [options]",
       "Writes the records of a stream consumer (pulse.create_consumer) as gzip NDJSON\n"
       "files DIR/<stream>/YYYY/MM/DD/HH/<stream>-<first>-<last>.ndjson.gz (the UTC\n"
       "hour the file's first record was received), each written, synced and renamed\n"
       "before the consumer commits past it, so a killed export neither loses nor\n"
       "repeats a record; without --follow it stops once it has caught up. Exit 3 is\n"
       "a file-system error.",
       {
           {"consumer", "NAME", "", "the consumer to read (required; made with pulse.create_consumer)"},
           {"to", "DIR", "", "the folder the files go under (required)"},
           {"follow", "", "", "keep reading new records until SIGINT/SIGTERM"},
           {"buffer-bytes", "N", "5242880", "start a new file after N bytes of records (uncompressed; Firehose's 5 MiB)"},
           {"buffer-interval", "S", "300", "... or once the file's first record is S seconds old"},
           {"poll-interval", "MS", "1000", "with --follow, look for new records every MS milliseconds"},
           {"read-batch", "N", "1000", "records per pulse.read"},
       },
       {&kDatabaseGroup, &kOutputGroup},
       "pulse-load export --consumer archive --to /var/lib/pulse/raw\n"
       "pulse-load export --consumer archive --to /var/lib/pulse/raw --follow --buffer-interval 60"},
  };
  return table;
}

bool is_switch(const FlagDef& f) { return f.value[0] == '\0'; }

// Any command's definition of --name (parsing before the command is known:
// a flag's kind is the same wherever it appears, which a unit test checks).
const FlagDef* find_any_flag(const std::string& name) {
  for (const FlagDef& f : global_flags().flags)
    if (name == f.name) return &f;
  for (const CommandDef& c : commands())
    if (const FlagDef* f = find_flag(c, name)) return f;
  return nullptr;
}

std::string command_names() {
  std::string s;
  const auto& cmds = commands();
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (i > 0) s += i + 1 == cmds.size() ? " or " : ", ";
    s += cmds[i].name;
  }
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::optional<bool> parse_bool(const std::string& v) {
  std::string l = v;
  for (char& c : l) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
  if (l == "false" || l == "no" || l == "off" || l == "0") return false;
  return std::nullopt;
}

// Names a setting must never have: the token stays out of config files.
bool is_token_key(const std::string& key) {
  std::string k = key;
  for (char& c : k) c = char(std::tolower(static_cast<unsigned char>(c)));
  return k.find("token") != std::string::npos && k != "token-file";
}

// Appends `text` with every line indented by `indent` spaces.
void append_indented(std::string& out, const char* text, size_t indent) {
  std::string pad(indent, ' ');
  std::string t = text;
  size_t start = 0;
  while (start <= t.size()) {
    size_t nl = t.find('\n', start);
    if (nl == std::string::npos) nl = t.size();
    out += pad + t.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
}

// Words of `text` in lines of at most `width` characters ('\n' forces a
// break; a longer word stands alone).
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string para = text.substr(start, nl - start), line;
    size_t p = 0;
    while (p < para.size()) {
      size_t sp = para.find(' ', p);
      if (sp == std::string::npos) sp = para.size();
      std::string word = para.substr(p, sp - p);
      p = sp + 1;
      if (word.empty()) continue;
      if (!line.empty() && line.size() + 1 + word.size() > width) {
        lines.push_back(line);
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
    }
    lines.push_back(line);
    start = nl + 1;
  }
  return lines;
}

void append_flags(std::string& out, const std::vector<FlagDef>& flags) {
  constexpr size_t kColumn = 26, kWidth = 80;
  for (const FlagDef& f : flags) {
    std::string head = "  --" + std::string(f.name);
    if (!is_switch(f)) head += " " + std::string(f.value);
    std::string help = f.help;
    // The default stays on one line: its blank is a placeholder while wrapping.
    if (f.fallback[0] != '\0') help += " (default:\x01" + std::string(f.fallback) + ")";
    std::vector<std::string> lines = wrap(help, kWidth - kColumn);
    for (std::string& l : lines) std::replace(l.begin(), l.end(), '\x01', ' ');
    size_t i = 0;
    if (head.size() + 1 >= kColumn) {
      out += head + "\n";
    } else {
      out += head + std::string(kColumn - head.size(), ' ') + lines[0] + "\n";
      i = 1;
    }
    for (; i < lines.size(); ++i) out += std::string(kColumn, ' ') + lines[i] + "\n";
  }
}

}  // namespace

const std::vector<CommandDef>& commands() { return command_table(); }
const FlagGroup& global_flags() { return kGlobalGroup; }

const CommandDef* find_command(const std::string& name) {
  for (const CommandDef& c : commands())
    if (name == c.name) return &c;
  return nullptr;
}

const FlagDef* find_flag(const CommandDef& cmd, const std::string& name) {
  for (const FlagDef& f : cmd.flags)
    if (name == f.name) return &f;
  for (const FlagGroup* g : cmd.groups)
    for (const FlagDef& f : g->flags)
      if (name == f.name) return &f;
  for (const FlagDef& f : global_flags().flags)
    if (name == f.name) return &f;
  return nullptr;
}

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
    auto from = origin.find(flag);
    throw UsageError((from == origin.end() ? "" : from->second + ": ") + "--" + flag +
                     " must be an integer between " + std::to_string(min) + " and " + std::to_string(max) +
                     ", got \"" + *v + "\"");
  }
  return n;
}

long long Options::get_int(const std::string& flag, long long min, long long max) const {
  const CommandDef* cmd = find_command(command);
  const FlagDef* f = cmd ? find_flag(*cmd, flag) : nullptr;
  if (f == nullptr || f->fallback[0] == '\0') throw std::logic_error("no default for --" + flag);
  return get_int(flag, std::strtoll(f->fallback, nullptr, 10), min, max);
}

std::vector<ConfigEntry> parse_config_text(const std::string& text, const std::string& origin) {
  std::vector<ConfigEntry> out;
  std::map<std::string, int> seen;
  int line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string line = trim(text.substr(start, nl - start));
    start = nl + 1;
    ++line_no;
    std::string where = origin + ":" + std::to_string(line_no);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) throw UsageError(where + ": expected `key = value`, got \"" + line + "\"");
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    std::replace(key.begin(), key.end(), '_', '-');
    if (key.rfind("--", 0) == 0) key = key.substr(2);
    if (key.empty()) throw UsageError(where + ": a setting needs a name before '='");
    if (value.size() >= 1 && value[0] == '"') {
      std::string unq;
      size_t i = 1;
      for (; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size() && (value[i + 1] == '"' || value[i + 1] == '\\')) ++i;
        unq += value[i];
      }
      if (i + 1 != value.size()) throw UsageError(where + ": a quoted value must end with its closing quote");
      value = unq;
    }
    if (is_token_key(key))
      throw UsageError(where + ": the bearer token never goes in a config file: set PULSE_TWITTER_BEARER_TOKEN in the "
                               "environment, or token-file = a file only this user can read");
    if (auto it = seen.find(key); it != seen.end())
      throw UsageError(where + ": \"" + key + "\" is already set on line " + std::to_string(it->second));
    seen[key] = line_no;
    out.push_back({key, value, line_no});
  }
  return out;
}

Options parse_args(const std::vector<std::string>& args, const ConfigReader& read_config) {
  if (args.empty()) throw UsageError("missing command: " + command_names() + " (see --help)");
  Options opts;
  size_t i = 0;
  const std::string& first = args[0];
  if (first == "help" || first == "-h") {
    opts.action = Options::Action::kHelp;
    if (args.size() > 1) {
      if (!find_command(args[1])) throw UsageError("no help for \"" + args[1] + "\": commands are " + command_names());
      opts.command = args[1];
    }
    return opts;
  }
  if (first == "version") {
    opts.action = Options::Action::kVersion;
    return opts;
  }
  const CommandDef* cmd = nullptr;
  if (first.rfind("-", 0) != 0) {
    cmd = find_command(first);
    if (!cmd) throw UsageError("unknown command \"" + first + "\": expected " + command_names());
    opts.command = first;
    i = 1;
  }

  // The command line. Without a command yet (it may come from --config),
  // flags are checked against every command here and against the command
  // once it is known.
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      opts.action = Options::Action::kHelp;
      return opts;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) throw UsageError("unexpected argument \"" + arg + "\"");
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagDef* spec = cmd ? find_flag(*cmd, name) : find_any_flag(name);
    if (spec == nullptr) throw UsageError("unknown flag --" + name + (cmd ? " for " + opts.command : ""));
    if (name == "help") {
      opts.action = Options::Action::kHelp;
      return opts;
    }
    if (name == "version") {
      opts.action = Options::Action::kVersion;
      return opts;
    }
    if (is_switch(*spec)) {
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

  std::vector<ConfigEntry> config;
  std::string config_path = opts.get_or("config", "");
  if (opts.has("config")) {
    if (config_path.empty()) throw UsageError("--config needs a file");
    if (!read_config) throw UsageError("--config is not available here");
    config = parse_config_text(read_config(config_path), config_path);
  }
  for (const ConfigEntry& e : config) {
    if (e.key != "command") continue;
    std::string where = config_path + ":" + std::to_string(e.line);
    if (!find_command(e.value)) throw UsageError(where + ": unknown command \"" + e.value + "\": expected " + command_names());
    if (!opts.command.empty() && opts.command != e.value)
      throw UsageError(where + ": the file is for \"" + e.value + "\", the command line says \"" + opts.command + "\"");
    opts.command = e.value;
  }
  if (opts.command.empty())
    throw UsageError("missing command: " + command_names() +
                     (config_path.empty() ? " (see --help)" : " (or `command = NAME` in " + config_path + ")"));
  cmd = find_command(opts.command);
  for (const auto& [name, value] : opts.values)
    if (!find_flag(*cmd, name)) throw UsageError("unknown flag --" + name + " for " + opts.command);

  // The file's settings, under the command line's.
  for (const ConfigEntry& e : config) {
    if (e.key == "command") continue;
    std::string where = config_path + ":" + std::to_string(e.line);
    const FlagDef* spec = find_flag(*cmd, e.key);
    if (spec == nullptr || e.key == "config" || e.key == "help" || e.key == "version")
      throw UsageError(where + ": unknown setting \"" + e.key + "\" for " + opts.command);
    if (opts.has(e.key)) continue;  // the command line wins
    if (is_switch(*spec)) {
      auto on = parse_bool(e.value);
      if (!on) throw UsageError(where + ": " + e.key + " takes true or false, got \"" + e.value + "\"");
      if (*on) opts.values[e.key] = "";
    } else {
      opts.values[e.key] = e.value;
    }
    opts.origin[e.key] = where;
  }
  return opts;
}

std::string usage_text() {
  std::string s =
      "pulse-load: stream tweets and exchange candles into the pulse extension\n"
      "\n"
      "usage: pulse-load COMMAND [options]\n"
      "       pulse-load --config FILE [options]  (the file says `command = NAME`)\n"
      "       pulse-load COMMAND --help           (its options, defaults, examples)\n"
      "\n"
      "commands:\n";
  for (const CommandDef& c : commands()) {
    std::string name = "  " + std::string(c.name);
    s += name + std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') + c.summary + "\n";
  }
  s += "\nglobal options:\n";
  append_flags(s, global_flags().flags);
  s +=
      "\n"
      "environment:\n"
      "  PULSE_TWITTER_BEARER_TOKEN (or TWITTER_BEARER_TOKEN)  the X API bearer token\n"
      "                          for tweets (or --token-file); never read from argv,\n"
      "                          never printed or logged\n"
      "  PGHOST, PGDATABASE, ... libpq's defaults for --db\n"
      "\n"
      "exit codes: 0 done, 2 usage or configuration error, 3 fatal upstream error,\n"
      "            4 database error\n";
  return s;
}

std::string command_help(const CommandDef& cmd) {
  std::string s = "pulse-load " + std::string(cmd.name) + ": " + cmd.summary + "\n\nusage: ";
  std::string usage = cmd.usage;
  // Continuation lines of the synopsis line up under the first.
  for (size_t p = usage.find('\n'); p != std::string::npos; p = usage.find('\n', p + 1)) usage.insert(p + 1, 7, ' ');
  s += usage + "\n\n" + cmd.about + "\n\n" + cmd.name + " options:\n";
  append_flags(s, cmd.flags);
  for (const FlagGroup* g : cmd.groups) {
    s += "\n" + std::string(g->title) + " options:\n";
    append_flags(s, g->flags);
  }
  s += "\nglobal options:\n";
  append_flags(s, global_flags().flags);
  s += "\nexamples:\n";
  append_indented(s, cmd.examples, 2);
  s += "\nexit codes: 0 done, 2 usage or configuration error, 3 fatal upstream error,\n"
       "            4 database error\n";
  return s;
}

}  // namespace pulse::load
