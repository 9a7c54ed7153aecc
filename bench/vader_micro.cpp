// The VADER scorer alone (core/vader.h, no PostgreSQL): ns per text over a
// file of texts, one a line, such as bench/sentiment_texts.py writes.
//
//   bench/sentiment_texts.py 1000000 /tmp/texts.txt
//   build/vader_micro /tmp/texts.txt [passes]
//
// Prints the best and median pass (each scores every text once, in order, one
// thread, with one pulse::SentimentScorer as pulse.sentiment does) in CPU time of the thread (the development machine is shared, so
// wall time would count other work), and the sum of the compound scores,
// which must not change when the scorer is made faster. Built by CMake, run
// by no test.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "core/vader.h"

namespace {

double thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s TEXTS_FILE [passes]\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  const int passes = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  std::vector<std::string> texts;
  std::size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    bytes += line.size();
    texts.push_back(std::move(line));
  }
  if (texts.empty()) {
    std::fprintf(stderr, "no texts in %s\n", argv[1]);
    return 2;
  }
  std::vector<double> ns;
  double sum = 0;
  pulse::SentimentScorer scorer;
  for (int p = 0; p < passes; ++p) {
    sum = 0;
    const double t0 = thread_cpu_ns();
    for (const std::string& t : texts) sum += scorer.compound(t);
    ns.push_back((thread_cpu_ns() - t0) / static_cast<double>(texts.size()));
  }
  std::sort(ns.begin(), ns.end());
  std::printf("%zu texts, %.1f bytes on average, %d passes: best %.1f ns/text (%.0f texts/s), median %.1f ns/text\n",
              texts.size(), static_cast<double>(bytes) / static_cast<double>(texts.size()), passes, ns.front(),
              1e9 / ns.front(), ns[ns.size() / 2]);
  std::printf("sum of compound scores: %.4f\n", sum);
  return 0;
}
