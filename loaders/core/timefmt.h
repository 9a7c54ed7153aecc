// Times on the command line and in exchange responses: --since/--until/
// --covers values, the exchanges' naive UTC strings, and UTC text for logs
// and URLs. All in epoch milliseconds, never through a double.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pulse::load {

// Parses --since/--until: 2020-02-20, 2020-02-20T11:19[:00[.123]][Z|+09:00],
// or epoch milliseconds. Throws UsageError naming the flag.
int64_t parse_time_arg(const std::string& flag, const std::string& value);
std::string format_utc(int64_t ms, bool with_z = true);  // 2020-02-20T11:19:00Z
// "2020-02-20T11:19:00" (UTC, no zone) as epoch ms; nullopt when malformed.
std::optional<int64_t> parse_utc_naive(std::string_view s);

}  // namespace pulse::load
