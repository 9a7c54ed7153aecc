// See version.h.
#include "core/version.h"

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <vector>

namespace pulse::load {

std::string version_text() {
  int pq = PQlibVersion();  // 150013 for 15.13
  std::string libpq = std::to_string(pq / 10000) + "." + std::to_string(pq % 10000);
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  std::string s = std::string("pulse-load ") + kPulseVersion + "\n";
  s += std::string("needs the pulse extension ") + kPulseVersion + " in the database (CREATE EXTENSION pulse, or\n" +
       "ALTER EXTENSION pulse UPDATE TO '" + kPulseVersion + "' where an older one is installed)";
  std::string older;
  for (const char* v : kOlderLoadableVersions) older += std::string(older.empty() ? "" : ", ") + v;
  if (!older.empty()) s += ";\nstill loads into " + older + " without what came later (coverage)";
  s += "\n";
  s += "libpq " + libpq + ", libcurl " + (curl && curl->version ? curl->version : "?") + " (" +
       (curl && curl->ssl_version ? curl->ssl_version : "no TLS") + "), jansson " + JANSSON_VERSION + "\n";
  return s;
}

bool is_older_loadable(const std::string& extension_version) {
  for (const char* v : kOlderLoadableVersions)
    if (extension_version == v) return true;
  return false;
}

namespace {
std::vector<std::string> split_dots(const std::string& v) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t dot = v.find('.', start);
    parts.push_back(v.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}
bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
}  // namespace

int compare_versions(const std::string& a, const std::string& b) {
  auto pa = split_dots(a), pb = split_dots(b);
  while (pa.size() < pb.size()) pa.push_back("0");
  while (pb.size() < pa.size()) pb.push_back("0");
  for (size_t i = 0; i < pa.size(); ++i) {
    if (all_digits(pa[i]) && all_digits(pb[i])) {
      long x = std::atol(pa[i].c_str()), y = std::atol(pb[i].c_str());
      if (x != y) return x < y ? -1 : 1;
    } else if (pa[i] != pb[i]) {
      return pa[i] < pb[i] ? -1 : 1;
    }
  }
  return 0;
}

}  // namespace pulse::load
