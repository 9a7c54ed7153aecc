// The client of bench/consumers_bench.sh: reads stream consumers to the end
// the way an application does, pulse.read(consumer, batch) with every row
// (payload included) brought to the client, then pulse.commit(consumer, the
// last seq), one connection per consumer, the consumers taking turns batch by
// batch (so each pays its own way while the others are active, on one core
// of the client). Prints the records each consumer got, the wall-clock
// seconds, and the CPU seconds each consumer's server process spent (from
// /proc: the bench runs on the database's machine; CPU time does not count
// the waits other processes on the machine cause).
//   consumer_client CONNINFO BATCH CONSUMER...
#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Conn {
  PGconn* c = nullptr;
  ~Conn() { PQfinish(c); }
};
struct Result {
  PGresult* r = nullptr;
  explicit Result(PGresult* res) : r(res) {}
  ~Result() { PQclear(r); }
};

// utime + stime of a process, in seconds (-1 when /proc cannot tell).
double cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return -1;
  // fields after the command (which may hold spaces) in parentheses
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  double ut = 0, st = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) ut = std::stod(field);
    if (i == 15) st = std::stod(field);
  }
  return (ut + st) / double(sysconf(_SC_CLK_TCK));
}

[[noreturn]] void die(PGconn* c, const char* what) {
  std::fprintf(stderr, "consumer_client: %s: %s", what, PQerrorMessage(c));
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: consumer_client CONNINFO BATCH CONSUMER...\n");
    return 2;
  }
  std::string batch = argv[2];
  std::vector<std::string> names(argv + 3, argv + argc);
  std::vector<std::unique_ptr<Conn>> conns;
  for (size_t i = 0; i < names.size(); ++i) {
    conns.push_back(std::make_unique<Conn>());
    conns.back()->c = PQconnectdb(argv[1]);
    if (PQstatus(conns.back()->c) != CONNECTION_OK) die(conns.back()->c, "connect");
  }
  std::vector<long long> got(names.size(), 0);
  std::vector<bool> done(names.size(), false);
  size_t left = names.size();
  long long bytes = 0;
  std::vector<double> cpu0(names.size());
  for (size_t i = 0; i < names.size(); ++i) cpu0[i] = cpu_seconds(PQbackendPID(conns[i]->c));
  auto t0 = std::chrono::steady_clock::now();
  while (left > 0) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (done[i]) continue;
      PGconn* c = conns[i]->c;
      const char* rp[2] = {names[i].c_str(), batch.c_str()};
      Result r(PQexecParams(c, "SELECT seq, received_at, payload FROM pulse.read($1, $2::int)", 2, nullptr, rp, nullptr,
                            nullptr, 0));
      if (PQresultStatus(r.r) != PGRES_TUPLES_OK) die(c, "pulse.read");
      int n = PQntuples(r.r);
      if (n == 0) {
        done[i] = true;
        --left;
        continue;
      }
      for (int k = 0; k < n; ++k) bytes += PQgetlength(r.r, k, 2);
      got[i] += n;
      const char* cp[2] = {names[i].c_str(), PQgetvalue(r.r, n - 1, 0)};
      Result cr(PQexecParams(c, "SELECT pulse.commit($1, $2::bigint)", 2, nullptr, cp, nullptr, nullptr, 0));
      if (PQresultStatus(cr.r) != PGRES_TUPLES_OK) die(c, "pulse.commit");
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (size_t i = 0; i < names.size(); ++i)
    std::printf("%s %lld cpu %.3f\n", names[i].c_str(), got[i], cpu_seconds(PQbackendPID(conns[i]->c)) - cpu0[i]);
  std::printf("seconds %.3f\npayload_bytes %lld\n", secs, bytes);
  return 0;
}
