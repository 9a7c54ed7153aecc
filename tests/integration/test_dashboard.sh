#!/usr/bin/env bash
# The dashboard checked like a person would: a generated 3-hour day is loaded
# through the replay server and pulse-load (demo/load_sample.sh, as the demo
# does), demo/dashboard.py writes the page, headless Chromium opens it with
# the network off, and we check the DOM after its scripts ran (every chart
# drawn with as many marks as SQL returned rows, no "no data" placeholder)
# and the screenshot (not blank: many colours, the bar colours present).
set -uo pipefail
bin=${PULSE_LOAD:?}
src=${PULSE_SOURCE_DIR:?}
work=$(mktemp -d)
fail() { echo "FAIL: $*"; exit 1; }
trap 'rm -rf "$work"' EXIT

if ! command -v chromium >/dev/null; then
  . "$src/scripts/deps.sh"
  pulse_install_deps "${PULSE_TEST_PKGS[@]}" || fail "could not install chromium"
fi

db=pulse_it_dashboard
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db" || fail "createdb"
psql -Xq -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION pulse" || fail "CREATE EXTENSION"
export PGDATABASE=$db
q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

python3 "$src/demo/generate.py" --seed 7 --start 2024-03-11T12:00:00Z --hours 3 --out "$work/sample" --quiet \
  || fail "generate.py"
"$src/demo/load_sample.sh" "$work/sample" --bin "$bin" --timeout 60 >"$work/load.log" 2>&1 \
  || fail "load_sample.sh: $(tail -5 "$work/load.log")"
tweets=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tweets"])' "$work/sample/manifest.json")
[ "$(q "SELECT count(*) FROM pulse.tweets")" = "$tweets" ] || fail "tweets loaded: $(q "SELECT count(*) FROM pulse.tweets") of $tweets"
[ "$(q "SELECT count(*) FROM pulse.candles")" = 360 ] || fail "candles loaded: $(q "SELECT count(*) FROM pulse.candles")"

from=2024-03-11T12:00:00Z until=2024-03-11T15:00:00Z
python3 "$src/demo/dashboard.py" --from "$from" --until "$until" --max-lag 10 --window '30 minutes' \
  --out "$work/dash.html" --print-answer >"$work/answer" || fail "dashboard.py"
grep -q "at lag +3: tweets lead trading volume by 3 minutes" "$work/answer" || fail "answer: $(cat "$work/answer")"
# What SQL says each chart must show.
minutes=$(q "SELECT count(*) FROM pulse.activity('upbit', 'KRW-BTC', '$from', '$until', '1 minute')")
lags=$(q "SELECT count(*) FROM pulse.lead_lag('upbit', 'KRW-BTC', '$from', '$until', 10, '1 minute') WHERE corr IS NOT NULL")
[ "$minutes" = 180 ] && [ "$lags" = 21 ] || fail "activity $minutes rows, lead_lag $lags rows"
grep -qiE '(src|href)="?(https?:)?//' "$work/dash.html" && fail "the page links to the network"

browse() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d "$work/profile.XXXX")" "$@" "file://$work/dash.html" 2>>"$work/chromium.log"
}
browse --virtual-time-budget=5000 --dump-dom >"$work/dom.html" || fail "chromium --dump-dom: $(tail -3 "$work/chromium.log")"
browse --screenshot="$work/shot.png" --window-size=1400,2000 --virtual-time-budget=5000 >/dev/null \
  || fail "chromium --screenshot: $(tail -3 "$work/chromium.log")"

python3 - "$work/dom.html" "$minutes" "$lags" <<'PY' || fail "DOM check (above)"
import sys
from html.parser import HTMLParser
dom, minutes, lags = open(sys.argv[1], encoding="utf-8").read(), int(sys.argv[2]), int(sys.argv[3])

class Charts(HTMLParser):
    """Per chart figure: its data-points and the elements drawn inside it."""
    def __init__(self):
        super().__init__()
        self.charts, self.cur, self.depth, self.rendered = {}, None, 0, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.rendered = a.get("data-rendered")
        if tag == "figure" and "data-chart" in a:
            self.cur = {"points": int(a["data-points"]), "tags": {}, "classes": {}, "empty_paths": 0}
            self.charts[a["data-chart"]] = self.cur
            self.depth = 0
        if self.cur is None:
            return
        if tag == "figure":
            self.depth += 1
        self.cur["tags"][tag] = self.cur["tags"].get(tag, 0) + 1
        for c in (a.get("class") or "").split():
            self.cur["classes"][c] = self.cur["classes"].get(c, 0) + 1
        if tag == "path" and not (a.get("d") or "").strip():
            self.cur["empty_paths"] += 1
    def handle_endtag(self, tag):
        if self.cur is not None and tag == "figure":
            self.depth -= 1
            if self.depth == 0:
                self.cur = None

p = Charts()
p.feed(dom)
want = {"tweets_volume": minutes, "price": minutes, "rolling_corr": None, "lead_lag": lags,
        "most_retweeted": None, "hashtags": None}
errors = []
if p.rendered != str(len(want)):
    errors.append("the page script did not run (body data-rendered=%r)" % p.rendered)
for key, points in want.items():
    c = p.charts.get(key)
    if c is None:
        errors.append("%s: missing" % key); continue
    if c["points"] <= 0 or c["classes"].get("no-data"):
        errors.append("%s: no data (%d points)" % (key, c["points"])); continue
    if points is not None and c["points"] != points:
        errors.append("%s: %d points, SQL has %d" % (key, c["points"], points))
    if key != "most_retweeted":
        drawn = sum(c["tags"].get(t, 0) for t in ("path", "rect", "line", "text"))
        if not c["tags"].get("svg") or drawn < 10:
            errors.append("%s: svg with %d elements" % (key, drawn))
        if c["empty_paths"]:
            errors.append("%s: %d empty paths" % (key, c["empty_paths"]))
cls = lambda k, name: p.charts.get(k, {}).get("classes", {}).get(name, 0)
checks = [("tweets_volume", "tweets", 1), ("tweets_volume", "volume", 1), ("price", "band", 1),
          ("price", "close", 1), ("rolling_corr", "corr", 1), ("lead_lag", "bar", lags),
          ("hashtags", "bar", p.charts.get("hashtags", {}).get("points", -1)),
          ("tweets_volume", "axis-label", 2), ("price", "axis-label", 1), ("lead_lag", "axis-label", 2)]
for key, name, n in checks:
    if cls(key, name) != n:
        errors.append("%s: %d .%s, want %d" % (key, cls(key, name), name, n))
rows = p.charts.get("most_retweeted", {}).get("tags", {}).get("tr", 0) - 1
if rows != p.charts.get("most_retweeted", {}).get("points", -1) or rows < 1:
    errors.append("most_retweeted: %d table rows" % rows)
if errors:
    print("\n".join(errors)); sys.exit(1)
print("DOM: %s" % ", ".join("%s %d" % (k, c["points"]) for k, c in sorted(p.charts.items())))
PY

# PNG decoding with zlib: the stdlib has no image module, and the check
# needs only the pixels (filters 0-4 undone per scanline).
python3 - "$work/shot.png" <<'PY' || fail "screenshot check (above)"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, hdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        hdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = hdr
assert depth == 8 and ctype in (2, 6) and interlace == 0, hdr
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours, plain = {}, 0
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        colours[px] = colours.get(px, 0) + 1
    prev = line
top = max(colours.values())
total = w * h
# The bar fills of dashboard.py: lead-lag r > 0, best lag, hashtags.
need = {"lead-lag green": "16a34a", "best lag": "f59e0b", "hashtag": "0891b2", "tweets line": "2563eb"}
missing = [k for k, v in need.items() if colours.get(bytes.fromhex(v), 0) < 20]
print("screenshot %dx%d: %d distinct colours, most common covers %.0f%%" % (w, h, len(colours), 100.0 * top / total))
assert len(colours) >= 200, "blank-looking screenshot: %d colours" % len(colours)
assert top < 0.9 * total, "one colour covers %.0f%% of the screenshot" % (100.0 * top / total)
assert not missing, "colours not on screen: %s" % missing
PY
echo "ok: dashboard rendered in headless Chromium with every chart drawn from SQL results"
