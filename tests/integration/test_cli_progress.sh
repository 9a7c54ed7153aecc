#!/usr/bin/env bash
# What pulse-load prints while it runs: text log lines with a UTC timestamp;
# without a terminal a progress line every --progress-interval seconds (rate,
# position, share done, ETA), as text or JSON; on a terminal one status line
# redrawn in place; under journald priority prefixes instead of timestamps;
# a summary that keeps pages (responses fetched) apart from records (landed)
# and rows (typed). The replay server answers each page after 400 ms, so a
# backfill of 5 pages runs about 2 s.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/candles_lib.sh"
new_db pulse_it_cli_progress
start_server --delay-ms 400
range=(--exchange upbit --market KRW-BTC --since 2020-02-19T18:40:00Z --until 2020-02-20T11:20:00Z --api-url "$api")
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

# 1. Text, not a terminal: timestamps on every line, progress lines each second.
"$bin" candles "${range[@]}" --stream text --progress-interval 1 2>"$work/text" || fail "text run exit $?: $(cat "$work/text")"
bad=$(grep -Ev "^$ts pulse-load: " "$work/text") && fail "lines without timestamp and program: $bad"
grep -Eq "^$ts pulse-load: summary: pages 5, records 1000, rejected 0; rows inserted 1000, updated 0, unchanged 0; batches [0-9]+, [0-9.]+ s, [0-9]+ records/s$" \
  "$work/text" || fail "summary: $(tail -1 "$work/text")"
prog='progress: records [0-9]+ \([0-9]+/s\), rejected 0, pages [0-5], at 2020-02-(19|20)T[0-9:]{8}Z, [0-9]+%, ETA ([0-9]+:[0-9]{2}:[0-9]{2}|\?); rows inserted [0-9]+, updated 0, unchanged 0; batches [0-9]+$'
n=$(grep -Ec "^$ts pulse-load: $prog" "$work/text")
[ "$n" -ge 1 ] || fail "no progress line in a 2 s run with --progress-interval 1: $(cat "$work/text")"
[ "$n" = "$(grep -c 'progress:' "$work/text")" ] || fail "malformed progress lines: $(grep 'progress:' "$work/text")"
# Upbit pages newest first: the position moves back from --until, the share done only grows.
python3 - "$work/text" <<'PY' || fail "progress positions and shares: $(grep progress: "$work/text")"
import re, sys
rows = [(m.group(1), int(m.group(2))) for m in re.finditer(r"at (\S+)Z, (\d+)%", open(sys.argv[1]).read())]
assert rows, "no positions"
assert [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True), rows
assert [r[1] for r in rows] == sorted(r[1] for r in rows) and all(0 <= r[1] <= 100 for r in rows), rows
PY

# 2. JSON: every line an object; progress objects carry numbers.
"$bin" candles "${range[@]}" --stream json --progress-interval 1 --log-format json 2>"$work/json" || fail "json run exit $?"
python3 - "$work/json" <<'PY' || fail "JSON progress: $(head -3 "$work/json")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
prog = [o for o in objs if o["msg"] == "progress"]
assert prog, "no progress object"
for o in prog:
    assert o["level"] == "info" and o["ts"].endswith("Z"), o
    assert isinstance(o["read"], int) and isinstance(o["pages"], int) and isinstance(o["records_per_s"], float), o
    assert 0 <= o["done"] <= 1 and o["position"].startswith("2020-02-"), o
summary = [o for o in objs if o["msg"] == "summary"]
assert len(summary) == 1 and summary[0]["pages"] == 5 and summary[0]["read"] == 1000 and summary[0]["unchanged"] == 1000, summary
PY

# 3. --progress-interval 0 and --quiet: no progress line.
"$bin" candles "${range[@]}" --stream off --progress-interval 0 2>"$work/off" || fail "interval 0 exit $?"
grep -q "progress" "$work/off" && fail "--progress-interval 0 printed progress: $(cat "$work/off")"
"$bin" candles "${range[@]}" --stream quiet --progress-interval 1 --quiet 2>"$work/quiet" || fail "quiet exit $?"
[ "$(wc -l <"$work/quiet")" = 1 ] && grep -q "summary: pages 5," "$work/quiet" || fail "--quiet: $(cat "$work/quiet")"
"$bin" candles "${range[@]}" --progress-interval -1 2>"$work/neg"; [ $? = 2 ] || fail "--progress-interval -1 must exit 2"

# 4. A terminal (script(1) gives the loader a pty): one status line redrawn
# in place, with rate, position and ETA; no progress log lines.
script -qec "stty cols 200; '$bin' candles ${range[*]} --stream tty --db dbname=$PGDATABASE" /dev/null >"$work/tty" 2>&1 \
  || fail "terminal run exit $?: $(tr '\r' '\n' <"$work/tty" | tail -3)"
grep -q $'\r\033\[Krecords [0-9]* ([0-9]*/s), rejected 0, pages [0-9], at 2020-02-' "$work/tty" \
  || fail "no redrawn status line: $(cat -v "$work/tty" | head -c 600)"
grep -q "ETA" "$work/tty" || fail "the status line has no ETA"
grep -q "progress:" "$work/tty" && fail "a terminal got progress log lines"
tr '\r' '\n' <"$work/tty" | grep -Eq "^(.\[K)?$ts pulse-load: summary: pages 5, records 1000," || fail "terminal summary: $(cat -v "$work/tty" | tail -c 400)"

# 5. journald: stderr is the stream $JOURNAL_STREAM names -> "<6>" / "<3>"
# priority prefixes, no timestamp (journald keeps its own).
: >"$work/journal"
jstream=$(stat -c '%d:%i' "$work/journal")
JOURNAL_STREAM=$jstream "$bin" candles "${range[@]}" --stream journal --progress-interval 1 2>>"$work/journal" || fail "journal run exit $?"
grep -q "^<6>summary: pages 5, records 1000," "$work/journal" || fail "journal summary: $(cat "$work/journal")"
grep -q "^<6>progress: records " "$work/journal" || fail "journal progress: $(cat "$work/journal")"
grep -Eq "$ts" "$work/journal" && fail "timestamps under journald: $(cat "$work/journal")"
JOURNAL_STREAM=$jstream "$bin" candles "${range[@]}" --db "host=127.0.0.1 port=1 connect_timeout=2" 2>>"$work/journal"
[ $? = 4 ] || fail "unreachable database must exit 4"
grep -q "^<3>error: cannot connect to the database" "$work/journal" || fail "journal error: $(tail -1 "$work/journal")"
# Another file than the one $JOURNAL_STREAM names gets timestamps again.
JOURNAL_STREAM=$jstream "$bin" candles "${range[@]}" --db "host=127.0.0.1 port=1 connect_timeout=2" 2>"$work/notjournal"
grep -Eq "^$ts pulse-load: error: cannot connect" "$work/notjournal" || fail "not the journal: $(cat "$work/notjournal")"
echo "ok: timestamps, progress lines (text, JSON), terminal status line, journald prefixes, pages apart from records"
