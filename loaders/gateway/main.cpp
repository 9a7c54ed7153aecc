// pulse-gateway: the HTTP ingest door. Parses its flags, loads the ingest
// tokens, connects the committer, serves until SIGTERM/SIGINT, then drains:
// no new requests, every request already received is committed and
// answered, then it exits.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/cli.h"
#include "core/log.h"
#include "core/pg_write.h"
#include "core/source.h"
#include "gateway/committer.h"
#include "gateway/metrics.h"
#include "gateway/server.h"
#include "gateway/tokens.h"

using namespace pulse::gateway;
using pulse::load::kExitOk;
using pulse::load::kExitUsage;
using pulse::load::Options;
using pulse::load::UsageError;

namespace {

const char* const kUsage = R"(pulse-gateway: HTTP ingest into the pulse extension

usage:
  pulse-gateway --listen HOST:PORT [--db CONNINFO] [--tls-cert FILE --tls-key FILE] [limits]

POST /v1/streams/<stream>/records[?format=json]   records as a JSON array
     (application/json) or one a line (application/x-ndjson), with
     "Authorization: Bearer <token>" from pulse.create_ingest_token(stream);
     answered once committed: {"accepted", "rejected", "first_seq",
     "last_seq", "records": [{"seq"} | {"error"}]}. An Idempotency-Key header
     makes a retry return the first answer instead of storing twice.
GET  /healthz   200 while the database is reachable
GET  /metrics   Prometheus text

options:
  --listen HOST:PORT        address to serve on (PORT 0: any free port, logged)
  --db CONNINFO             libpq connection string or URI (default: PG*
                            variables); the role needs pulse_gateway
  --tls-cert FILE           PEM certificate (chain) for HTTPS, with --tls-key
  --tls-key FILE            PEM private key
limits (defaults):
  --body-limit BYTES        largest request body (16777216); 413 beyond
  --max-record-bytes BYTES  largest record (1048576); larger ones are rejected
  --queue-bytes BYTES       request bodies held in memory at most (268435456);
                            429 with Retry-After beyond
  --max-connections N       open connections at most (1000)
  --connection-timeout S    close a connection idle this long (30)
  --request-timeout S       close a connection whose body takes longer (60)
  --threads N               HTTP threads, each an epoll loop (2)
  --batch-records N         records per commit at most (50000)
  --batch-bytes BYTES       bytes per commit at most (67108864)
  --batch-wait MS           wait this long for more requests before a commit (0:
                            commits go as fast as the database takes them)
  --queue-timeout MS        503 for a request the database did not take in time (30000)
  --idempotency-ttl S       how long an Idempotency-Key's answer is kept (86400)
  --token-refresh MS        reload the tokens at least this often (10000; a
                            NOTIFY from create/revoke reloads them at once)
  --drain-timeout S         on SIGTERM, wait this long for requests in flight (30)
  --lease-idle S            give a stream's lease back after this long without
                            requests (300), so a pulse-load may take it
  --log-format text|json    log lines on stderr
  --help                    this text

exit codes: 0 stopped after draining, 2 usage or configuration error,
            4 database error at start, 1 the drain did not finish in time
)";

const std::vector<std::string> kValueFlags = {
    "listen", "db", "tls-cert", "tls-key", "body-limit", "max-record-bytes", "queue-bytes", "max-connections",
    "connection-timeout", "request-timeout", "threads", "batch-records", "batch-bytes", "batch-wait",
    "queue-timeout", "idempotency-ttl", "token-refresh", "drain-timeout", "lease-idle", "log-format"};

std::optional<Options> parse(const std::vector<std::string>& args) {
  Options o;
  o.command = "gateway";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") return std::nullopt;
    if (a.rfind("--", 0) != 0 || a.size() == 2) throw UsageError("unexpected argument \"" + a + "\"");
    std::string name = a.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (std::find(kValueFlags.begin(), kValueFlags.end(), name) == kValueFlags.end())
      throw UsageError("unknown flag --" + name);
    if (!inline_value) {
      if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
      value = args[++i];
    }
    o.values[name] = value;
  }
  return o;
}

std::string read_file(const std::string& path, const char* flag) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(std::string("--") + flag + ": cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  ServerOptions so;
  CommitterOptions co;
  std::chrono::seconds drain_timeout{30};
  std::chrono::milliseconds token_refresh{10000};
  pulse::load::Logger::Format fmt = pulse::load::Logger::Format::kText;
  try {
    auto opts = parse(args);
    if (!opts) {
      std::cout << kUsage;
      return kExitOk;
    }
    std::string listen = opts->get_or("listen", "");
    if (listen.empty()) throw UsageError("--listen HOST:PORT is required");
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) throw UsageError("--listen must be HOST:PORT, got \"" + listen + "\"");
    so.host = listen.substr(0, colon);
    if (so.host.size() > 2 && so.host.front() == '[' && so.host.back() == ']') so.host = so.host.substr(1, so.host.size() - 2);
    Options port;
    port.values["listen"] = listen.substr(colon + 1);
    so.port = uint16_t(port.get_int("listen", 0, 0, 65535));
    if (opts->has("tls-cert") != opts->has("tls-key")) throw UsageError("--tls-cert and --tls-key go together");
    if (opts->has("tls-cert")) {
      so.tls_cert = read_file(*opts->get("tls-cert"), "tls-cert");
      so.tls_key = read_file(*opts->get("tls-key"), "tls-key");
    }
    so.body_limit = size_t(opts->get_int("body-limit", so.body_limit, 1, 1LL << 32));
    so.max_record = size_t(opts->get_int("max-record-bytes", so.max_record, 16, 1LL << 30));
    so.queue_bytes = size_t(opts->get_int("queue-bytes", so.queue_bytes, 1 << 16, 1LL << 40));
    so.max_connections = unsigned(opts->get_int("max-connections", so.max_connections, 1, 1000000));
    so.connection_timeout_s = unsigned(opts->get_int("connection-timeout", so.connection_timeout_s, 1, 86400));
    so.request_timeout_s = unsigned(opts->get_int("request-timeout", so.request_timeout_s, 1, 86400));
    so.threads = unsigned(opts->get_int("threads", so.threads, 1, 256));
    co.conninfo = opts->get_or("db", "");
    co.batch_records = size_t(opts->get_int("batch-records", co.batch_records, 1, 10000000));
    co.batch_bytes = size_t(opts->get_int("batch-bytes", co.batch_bytes, 1024, 1LL << 34));
    co.batch_wait = std::chrono::milliseconds(opts->get_int("batch-wait", 0, 0, 60000));
    co.queue_timeout = std::chrono::milliseconds(opts->get_int("queue-timeout", 30000, 100, 3600000));
    co.key_ttl = std::chrono::seconds(opts->get_int("idempotency-ttl", 86400, 1, 365LL * 86400));
    co.lease_idle = std::chrono::seconds(opts->get_int("lease-idle", 300, 1, 86400));
    token_refresh = std::chrono::milliseconds(opts->get_int("token-refresh", 10000, 100, 3600000));
    drain_timeout = std::chrono::seconds(opts->get_int("drain-timeout", 30, 1, 3600));
    std::string lf = opts->get_or("log-format", "text");
    if (lf != "text" && lf != "json") throw UsageError("--log-format must be text or json");
    if (lf == "json") fmt = pulse::load::Logger::Format::kJson;
  } catch (const UsageError& e) {
    std::cerr << "pulse-gateway: " << e.what() << "\n";
    return kExitUsage;
  }

  pulse::load::Logger log(fmt, false);
  log.set_program("pulse-gateway");
  // A client that goes away mid-answer must not end the process.
  signal(SIGPIPE, SIG_IGN);
  pulse::load::install_stop_handlers();
  Metrics metrics;
  TokenStore tokens(co.conninfo, token_refresh, log);
  Committer committer(co, metrics, log);
  Server server(so, tokens, committer, metrics, log);
  try {
    committer.start();
    tokens.start();
    server.start();
  } catch (const pulse::load::DbError& e) {
    log.error(e.what());
    return e.exit_code;
  } catch (const std::exception& e) {
    log.error(e.what());
    return kExitUsage;
  }
  log.log("info", "listening", {{"address", so.host + ":" + std::to_string(server.port())},
                                {"port", std::to_string(server.port())},
                                {"tls", so.tls_cert.empty() ? "off" : "on"}});
  while (!pulse::load::stop_requested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));

  log.info("stopping: no new requests; committing and answering those in flight");
  server.stop_accepting();
  auto deadline = std::chrono::steady_clock::now() + drain_timeout;
  // Every request already begun (its body still arriving, queued, or in a
  // commit) holds bytes or a queue place until its answer is sent.
  bool drained = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (server.held_bytes.load() == 0 && metrics.queue_requests.load() == 0) {
      drained = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!drained) {
    log.log("error", "the drain did not finish within " + std::to_string(drain_timeout.count()) +
              " s; exiting with requests unanswered (each was committed whole or not at all)",
              {{"requests_waiting", std::to_string(metrics.queue_requests.load())},
               {"bytes_held", std::to_string(server.held_bytes.load())}});
    std::fflush(stderr);
    std::_Exit(1);
  }
  committer.drain(std::chrono::milliseconds(1000));
  // Let the last answers leave before the connections close.
  for (int i = 0; i < 100 && server.connections() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  server.stop();
  tokens.stop();
  log.log("info", "stopped", {{"commits", std::to_string(metrics.commits.load())}});
  return kExitOk;
}
