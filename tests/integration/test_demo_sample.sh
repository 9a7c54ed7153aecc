#!/usr/bin/env bash
# The demo's own sample day (demo/generate.py with the default seed 20240311,
# 24 hours), loaded as scripts/demo loads it, gives the answers the README
# states: the lead-lag answer (lag +3, r = 0.830, n = 1437; the planted
# hashtags must not move it), and the planted hashtag events: the new Korean
# tag #불장 from 13:20 UTC is first and NEW at 14:20, the established #etf
# scores high during its 13:40-14:20 surge and not before it, #불장's
# sentiment is positive and #etf's is negative in the surge hour. Also the
# lines dashboard.py --print-answer adds (as scripts/demo prints them).
set -uo pipefail
bin=${PULSE_LOAD:?}
src=${PULSE_SOURCE_DIR:?}
work=$(mktemp -d)
fail() { echo "FAIL: $*"; exit 1; }
trap 'rm -rf "$work"' EXIT

db=pulse_it_demo_sample
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db" || fail "createdb"
psql -Xq -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION pulse" || fail "CREATE EXTENSION"
export PGDATABASE=$db PGTZ=UTC
q() { psql -XAtq -v ON_ERROR_STOP=1 -F ' ' -c "$1"; }

python3 "$src/demo/generate.py" --out "$work/sample" --quiet || fail "generate.py"
"$src/demo/load_sample.sh" "$work/sample" --bin "$bin" --timeout 120 >"$work/load.log" 2>&1 \
  || fail "load_sample.sh: $(tail -5 "$work/load.log")"
manifest() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): m = m[k]
print(m)' "$work/sample/manifest.json" "$1"; }
[ "$(q "SELECT count(*) FROM pulse.tweets")" = "$(manifest tweets)" ] || fail "tweets loaded"
[ "$(manifest planted.new_tag.hashtag)" = 불장 ] && [ "$(manifest planted.surge.hashtag)" = etf ] || fail "manifest planted"

# The lead-lag answer of the README.
best=$(q "SELECT lag, n, round(corr::numeric, 3) FROM pulse.lead_lag('upbit', 'KRW-BTC', '2024-03-11', '2024-03-12', 15, '1 minute')
          ORDER BY corr DESC NULLS LAST LIMIT 1")
[ "$best" = "3 1437 0.830" ] || fail "lead_lag best: $best, want 3 1437 0.830"

# Trending at 14:20: the hour of the new tag, 40 minutes of the surge;
# baseline: the 12 hours before (the day holds 13h20 before the window).
trend() { q "SELECT row_number() OVER (), hashtag, tweets, round(baseline_rate::numeric, 1), round(score::numeric, 1), is_new,
                    to_char(first_seen, 'HH24:MI')
               FROM pulse.trending_hashtags('2024-03-11 $1+00', '1 hour', '12 hours', 10)" | tee "$work/trend_$1"; }
trend 14:20 >/dev/null
read -r rank tag tweets base score new first <"$work/trend_14:20"
[ "$tag" = 불장 ] && [ "$new" = t ] && [ "$first" = 13:20 ] && [ "$base" = 0.0 ] ||
  fail "trending at 14:20: first row $(head -1 "$work/trend_14:20"), want 불장, new, first seen 13:20"
[ "$(grep -c ' t [0-9:]*$' "$work/trend_14:20")" = 1 ] || fail "trending at 14:20: more than one new tag: $(cat "$work/trend_14:20")"
read -r rank tag tweets base score new first < <(grep ' etf ' "$work/trend_14:20")
[ "${rank:-99}" -le 3 ] && [ "$new" = f ] || fail "#etf at 14:20: rank ${rank:-none}"
python3 -c 'import sys; t, b, s = map(float, sys.argv[1:]); sys.exit(not (t >= 2.5 * b and s >= 10))' "$tweets" "$base" "$score" ||
  fail "#etf at 14:20: $tweets tweets against a baseline of $base, score $score (want >= 2.5x and >= 10)"
# ... and before its surge it is nothing special.
trend 13:40 >/dev/null
etf_before=$(grep ' etf ' "$work/trend_13:40" | cut -d' ' -f5)
python3 -c 'import sys; sys.exit(not (sys.argv[1] == "" or float(sys.argv[1]) < 3))' "$etf_before" ||
  fail "#etf at 13:40 (before the surge) scores $etf_before"
grep -q ' 불장 ' "$work/trend_13:40" && [ "$(grep ' 불장 ' "$work/trend_13:40" | cut -d' ' -f6)" = t ] ||
  fail "#불장 is not new at 13:40: $(cat "$work/trend_13:40")"

# Sentiment: the planted signs, hour by hour.
sent() { q "SELECT round(sentiment::numeric, 3) FROM pulse.hashtag_sentiment('2024-03-11', '2024-03-12', '1 hour', 50)
             WHERE hashtag = '$1' AND bucket = '2024-03-11 $2+00'"; }
for h in 13:00 14:00; do
  s=$(sent 불장 $h)
  python3 -c 'import sys; sys.exit(not (sys.argv[1] and float(sys.argv[1]) > 0.5))' "$s" || fail "#불장 sentiment at $h: '$s', want > 0.5"
done
[ -z "$(sent 불장 12:00)" ] || fail "#불장 has tweets before 13:20"
s=$(sent etf 14:00)
rest=$(q "SELECT round((sum(sentiment * tweets) / sum(tweets))::numeric, 3) FROM pulse.hashtag_sentiment('2024-03-11', '2024-03-12', '1 hour', 50)
           WHERE hashtag = 'etf' AND (bucket < '2024-03-11 13:00+00' OR bucket >= '2024-03-11 15:00+00') AND tweets > 0")
python3 -c 'import sys; s, r = map(float, sys.argv[1:]); sys.exit(not (s < -0.5 and s < r - 0.3))' "$s" "$rest" ||
  fail "#etf sentiment at 14:00: $s, outside the surge $rest (want < -0.5 and 0.3 below)"

# What scripts/demo prints after the answer (dashboard.py --print-answer).
python3 "$src/demo/dashboard.py" --from 2024-03-11T00:00:00Z --until 2024-03-12T00:00:00Z --max-lag 15 \
  --trending-at "$(manifest planted.new_tag.until)" --out "$work/dash.html" --print-answer >"$work/answer" || fail "dashboard.py"
grep -q "at lag +3: .*Pearson r = 0.830 over n = 1437 minute pairs" "$work/answer" || fail "answer: $(cat "$work/answer")"
grep -q "^Trending at 2024-03-11 14:20 UTC .*: #불장 NEW, [0-9]* tweets .*; #etf [0-9.]*x its baseline" "$work/answer" ||
  fail "trending line: $(cat "$work/answer")"
grep -q "^Sentiment .*the most negative: #etf -0\.[5-9][0-9] at 1[34]:00, the most positive: #불장 +0\.[5-9][0-9] at 1[34]:00" "$work/answer" ||
  fail "sentiment line: $(cat "$work/answer")"
dropdb "$db"
echo "ok: the demo's sample day answers lag +3 (r = 0.830, n = 1437), #불장 new and first at 14:20, #etf surging, the planted sentiment signs"
