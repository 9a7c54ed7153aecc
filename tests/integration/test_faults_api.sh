#!/usr/bin/env bash
# Remote faults not covered by test_candles_faults.sh: 429 without
# Retry-After (the documented default wait, scaled), a run of 500s and 503s
# followed by success, a truncated body with an honest length (kept in
# pulse.rejects, exit 3, resumable), and a body far larger than any page (cut
# off at the loader's limit instead of growing without bound: exit 3).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/faults_lib.sh"
start_server
export PULSE_LOAD_TEST_TIME_SCALE=0.01
range=(--exchange upbit --market KRW-BTC --since 2020-02-19T18:40:00Z --until 2020-02-20T11:20:00Z --api-url "$api" --quiet)
gaps() {
  requests | python3 -c "
import json, sys
rs = [r for r in json.load(sys.stdin) if r['path'] == '$1']
for a, b in zip(rs, rs[1:]):
    print('%s %s %.3f' % (a['status'], a['fault'], b['time'] - a['time']))"
}

# 429 without Retry-After (Upbit's default wait: 1 s, its budget is per
# second; scaled 0.1 -> 0.1 s), then a run of 500, 503, 500, 503 before the
# next page comes through.
new_db pulse_it_faults_api
scenario '[{"path": "^/v1/candles", "skip": 1, "count": 1, "fault": "status", "status": 429},
           {"path": "^/v1/candles", "skip": 3, "count": 1, "fault": "status", "status": 500},
           {"path": "^/v1/candles", "skip": 4, "count": 1, "fault": "status", "status": 503},
           {"path": "^/v1/candles", "skip": 5, "count": 1, "fault": "status", "status": 500},
           {"path": "^/v1/candles", "skip": 6, "count": 1, "fault": "status", "status": 503}]'
PULSE_LOAD_TEST_TIME_SCALE=0.1 load "${range[@]}"
[ "$rc" = 0 ] && [ "$(summary_field inserted)" = 1000 ] || { cat "$work/err"; fail "429 without Retry-After / 5xx run: exit $rc"; }
gaps /v1/candles/minutes/1 >"$work/gaps"
awk '$1 == 429 { found = 1; if ($3 < 0.095) exit 1 } END { exit !found }' "$work/gaps" || { cat "$work/gaps"; fail "429 without Retry-After: default wait not honoured"; }
[ "$(awk '$1 >= 500' "$work/gaps" | wc -l)" = 4 ] || { cat "$work/gaps"; fail "the 5xx run was not retried 4 times"; }
[ "$(q "SELECT count(*), count(DISTINCT bucket_start) FROM pulse.candles")" = "1000|1000" ] || fail "candles after 429/5xx"

# A truncated body (honest Content-Length, cut JSON) on the third page.
new_db pulse_it_faults_api
scenario '[{"path": "^/v1/candles", "skip": 2, "count": 1, "fault": "garbage", "body": "[{\"market\":\"KRW-BTC\",\"candle_date_time_utc\":\"2020-02-19T"}]'
load "${range[@]}"
[ "$rc" = 3 ] || { cat "$work/err"; fail "truncated body exited $rc, expected 3"; }
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE convert_from(raw, 'UTF8') = '[{\"market\":\"KRW-BTC\",\"candle_date_time_utc\":\"2020-02-19T'")" = 1 ] \
  || fail "the truncated body is not in pulse.rejects as received"
[ "$(q "SELECT count(*) FROM pulse.candles")" = 400 ] || fail "the pages before the truncated one were not committed"
scenario '[]'
load "${range[@]}"
[ "$rc" = 0 ] || { cat "$work/err"; fail "resume after the truncated body exited $rc"; }
[ "$(q "SELECT count(*), count(DISTINCT bucket_start) FROM pulse.candles")" = "1000|1000" ] || fail "resume after the truncated body"

# A body far larger than expected: 8 MB against a 1 MB limit (the default is
# 64 MB; the test lowers it to stay fast).
new_db pulse_it_faults_api
scenario '[{"path": "^/v1/candles", "skip": 1, "count": 1, "fault": "huge", "size": 8388608}]'
PULSE_LOAD_MAX_BODY_BYTES=1048576 load "${range[@]}"
[ "$rc" = 3 ] || { cat "$work/err"; fail "huge body exited $rc, expected 3"; }
grep -q "larger than 1048576 bytes" "$work/err" || fail "huge body message unclear: $(cat "$work/err")"
[ "$(q "SELECT count(*) FROM pulse.candles")" = 200 ] || fail "the page before the huge one was not committed"
scenario '[]'
echo "ok: 429 without Retry-After, 5xx run, truncated body, huge body"
