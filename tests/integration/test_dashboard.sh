#!/usr/bin/env bash
# The dashboard checked like a person would: a generated 3-hour day is loaded
# through the replay server and pulse-load (demo/load_sample.sh, as the demo
# does), demo/dashboard.py writes the page, headless Chromium opens it with
# the network off, and we check the DOM after its scripts ran (every chart
# drawn with as many marks as SQL returned rows, no "no data" placeholder;
# the trending table with a NEW badge on each new tag, the planted #불장
# among them) and the screenshot (not blank: many colours, the bar colours
# present). Korean and emoji must render as real glyphs (see the glyph probe
# below), with the fonts scripts/deps.sh installs.
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
# Trending at 14:20, the end of the planted new tag's hour (generate.py).
at=2024-03-11T14:20:00Z
python3 "$src/demo/dashboard.py" --from "$from" --until "$until" --max-lag 10 --window '30 minutes' \
  --trending-at "$at" --out "$work/dash.html" --print-answer >"$work/answer" || fail "dashboard.py"
grep -q "at lag +3: tweets lead trading volume by 3 minutes" "$work/answer" || fail "answer: $(cat "$work/answer")"
grep -q "^Trending at 2024-03-11 14:20 UTC .*: #불장 NEW" "$work/answer" || fail "trending line: $(cat "$work/answer")"
# What SQL says each chart must show.
minutes=$(q "SELECT count(*) FROM pulse.activity('upbit', 'KRW-BTC', '$from', '$until', '1 minute')")
lags=$(q "SELECT count(*) FROM pulse.lead_lag('upbit', 'KRW-BTC', '$from', '$until', 10, '1 minute') WHERE corr IS NOT NULL")
[ "$minutes" = 180 ] && [ "$lags" = 21 ] || fail "activity $minutes rows, lead_lag $lags rows"
# The trending panel's baseline is what the range holds before the window:
# 12:00 to 13:20. The sentiment panel: per 15 minutes (a 3-hour range), the
# range's 6 most used hashtags and the 3 most trending, a dot per bucket
# with tweets.
trend_rows=$(q "SELECT count(*) FROM pulse.trending_hashtags('$at', '1 hour', '80 minutes', 10)")
trend_new=$(q "SELECT string_agg(hashtag, ',' ORDER BY hashtag) FROM pulse.trending_hashtags('$at', '1 hour', '80 minutes', 10) WHERE is_new")
sent_points=$(q "WITH s AS (SELECT * FROM pulse.hashtag_sentiment('$from', '$until', '15 minutes', 50)),
  pick AS ((SELECT hashtag FROM s GROUP BY hashtag ORDER BY sum(tweets) DESC, hashtag LIMIT 6)
           UNION (SELECT hashtag FROM pulse.trending_hashtags('$at', '1 hour', '80 minutes', 3)))
  SELECT count(*) || ' ' || count(DISTINCT hashtag) FROM s JOIN pick USING (hashtag) WHERE sentiment IS NOT NULL")
read -r sent_points sent_lines <<<"$sent_points"
[ "$trend_rows" = 10 ] && [ "$trend_new" = 불장 ] && [ "$sent_lines" -ge 6 ] ||
  fail "trending $trend_rows rows, new: $trend_new; sentiment $sent_points points in $sent_lines lines"
grep -qiE '(src|href)="?(https?:)?//' "$work/dash.html" && fail "the page links to the network"

browse() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d "$work/profile.XXXX")" "$@" "file://$work/dash.html" 2>>"$work/chromium.log"
}
browse --virtual-time-budget=5000 --dump-dom >"$work/dom.html" || fail "chromium --dump-dom: $(tail -3 "$work/chromium.log")"
browse --screenshot="$work/shot.png" --window-size=1400,2800 --virtual-time-budget=5000 >/dev/null \
  || fail "chromium --screenshot: $(tail -3 "$work/chromium.log")"

python3 - "$work/dom.html" "$minutes" "$lags" "$trend_rows" "$trend_new" "$sent_points" "$sent_lines" <<'PY' || fail "DOM check (above)"
import sys
from html.parser import HTMLParser
dom, minutes, lags = open(sys.argv[1], encoding="utf-8").read(), int(sys.argv[2]), int(sys.argv[3])
trend_rows, trend_new, sent_points, sent_lines = int(sys.argv[4]), sys.argv[5].split(","), int(sys.argv[6]), int(sys.argv[7])

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
            self.cur = {"points": int(a["data-points"]), "tags": {}, "classes": {}, "empty_paths": 0, "new": []}
            self.charts[a["data-chart"]] = self.cur
            self.depth = 0
        if self.cur is None:
            return
        if tag == "figure":
            self.depth += 1
        self.cur["tags"][tag] = self.cur["tags"].get(tag, 0) + 1
        for c in (a.get("class") or "").split():
            self.cur["classes"][c] = self.cur["classes"].get(c, 0) + 1
        if tag == "tr" and a.get("data-new") == "true":
            self.cur["new"].append(a.get("data-hashtag"))
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
        "most_retweeted": None, "hashtags": None, "trending": trend_rows, "sentiment": sent_points}
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
    if key not in ("most_retweeted", "trending"):
        drawn = sum(c["tags"].get(t, 0) for t in ("path", "rect", "line", "text"))
        if not c["tags"].get("svg") or drawn < 10:
            errors.append("%s: svg with %d elements" % (key, drawn))
        if c["empty_paths"]:
            errors.append("%s: %d empty paths" % (key, c["empty_paths"]))
cls = lambda k, name: p.charts.get(k, {}).get("classes", {}).get(name, 0)
checks = [("tweets_volume", "tweets", 1), ("tweets_volume", "volume", 1), ("price", "band", 1),
          ("price", "close", 1), ("rolling_corr", "corr", 1), ("lead_lag", "bar", lags),
          ("hashtags", "bar", p.charts.get("hashtags", {}).get("points", -1)),
          ("tweets_volume", "axis-label", 2), ("price", "axis-label", 1), ("lead_lag", "axis-label", 2),
          ("trending", "trend", trend_rows), ("trending", "scorebar", trend_rows),
          ("trending", "badge-new", len(trend_new)), ("sentiment", "pt", sent_points),
          ("sentiment", "sentiment", sent_lines), ("sentiment", "axis-label", 1)]
for key, name, n in checks:
    if cls(key, name) != n:
        errors.append("%s: %d .%s, want %d" % (key, cls(key, name), name, n))
rows = p.charts.get("most_retweeted", {}).get("tags", {}).get("tr", 0) - 1
if rows != p.charts.get("most_retweeted", {}).get("points", -1) or rows < 1:
    errors.append("most_retweeted: %d table rows" % rows)
if sorted(p.charts.get("trending", {}).get("new", [])) != sorted(trend_new):
    errors.append("trending: rows marked new %r, SQL says %r" % (p.charts.get("trending", {}).get("new"), trend_new))
if errors:
    print("\n".join(errors)); sys.exit(1)
print("DOM: %s" % ", ".join("%s %d" % (k, c["points"]) for k, c in sorted(p.charts.items())))
PY

# Korean and emoji must render as glyphs, not as empty boxes ("tofu"). Not
# by timing and not by pixel positions in the screenshot: a copy of the page
# gets a probe script that, after the page's own script, takes the NEW tag's
# cell in the trending table (the planted Korean #불장) and the first emoji
# of its example tweet, and draws each character alone on a canvas with that
# cell's computed font (the page's CSS font stack). A missing glyph draws the
# same .notdef box whatever the character, so: each Hangul syllable must have
# ink and a bitmap unlike the other's and unlike an unassigned code point's
# (U+0378); the emoji must be drawn in colour (a colour emoji font), i.e.
# have many pixels whose channels differ, although it is filled in black.
# The fonts are checked too: fontconfig must know Noto Sans CJK and Noto
# Color Emoji, and the page's font stack must name them.
grep -q 'Noto Sans CJK' <<<"$(fc-list ':lang=ko' family)" || fail "fontconfig has no Noto Sans CJK (fonts-noto-cjk)"
grep -q 'Noto Color Emoji' <<<"$(fc-list : family)" || fail "fontconfig has no Noto Color Emoji (fonts-noto-color-emoji)"
grep -q '"Noto Sans CJK KR".*"Noto Color Emoji"' "$work/dash.html" || fail "the page's font stack names neither font"
python3 - "$work/dash.html" "$work/probe.html" <<'PY' || fail "probe page"
import sys
page = open(sys.argv[1], encoding="utf-8").read()
probe = r"""<script>
(function(){
  var out = {};
  function draw(ch, font) {
    var c = document.createElement('canvas'); c.width = 96; c.height = 64;
    var g = c.getContext('2d'); g.font = font; g.fillStyle = '#000'; g.textBaseline = 'middle';
    g.fillText(ch, 8, 32);
    var d = g.getImageData(0, 0, c.width, c.height).data, ink = 0, colour = 0, bits = '';
    for (var i = 0; i < d.length; i += 4) {
      var on = d[i + 3] > 96; ink += on; bits += on ? '1' : '0';
      if (d[i + 3] > 96 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) colour++;
    }
    return {ink: ink, colour: colour, bits: bits, width: g.measureText(ch).width};
  }
  var cell = document.querySelector('tr.trend[data-new="true"] td.tag');
  if (!cell) { document.body.dataset.glyphs = JSON.stringify({error: 'no new tag row'}); return; }
  var cs = getComputedStyle(cell), font = cs.fontWeight + ' 40px ' + cs.fontFamily;
  var tag = cell.parentNode.dataset.hashtag;
  var hangul = Array.from(tag).filter(function(ch){ return /[가-힣]/.test(ch); });
  var example = cell.parentNode.querySelector('td.example').textContent;
  var emoji = (example.match(/\p{Extended_Pictographic}/u) || [''])[0];
  var tofu = draw('͸', font);
  out.font = cs.fontFamily; out.tag = tag; out.emoji = emoji;
  out.hangul = hangul.map(function(ch){ var r = draw(ch, font);
    return {ch: ch, ink: r.ink, same_as_tofu: r.bits === tofu.bits, bits: r.bits, width: r.width}; });
  out.distinct = hangul.length < 2 || out.hangul[0].bits !== out.hangul[1].bits;
  out.hangul.forEach(function(h){ delete h.bits; });
  var e = emoji ? draw(emoji, font) : {ink: 0, colour: 0};
  out.emoji_ink = e.ink; out.emoji_colour = e.colour;
  document.body.dataset.glyphs = JSON.stringify(out);
})();
</script>"""
assert page.count("</body>") == 1
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("</body>", probe + "</body>"))
PY
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d "$work/profile.XXXX")" --virtual-time-budget=5000 --dump-dom \
  "file://$work/probe.html" >"$work/probe_dom.html" 2>>"$work/chromium.log" || fail "chromium probe: $(tail -3 "$work/chromium.log")"
python3 - "$work/probe_dom.html" <<'PY' || fail "Korean/emoji glyph check (above)"
import json, sys
from html.parser import HTMLParser
class Body(HTMLParser):
    glyphs = None
    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.glyphs = dict(attrs).get("data-glyphs")
b = Body(); b.feed(open(sys.argv[1], encoding="utf-8").read())
assert b.glyphs, "the probe did not run"
g = json.loads(b.glyphs)
print("glyphs: #%s %s, emoji %s: %d px inked, %d in colour"
      % (g.get("tag"), ", ".join("%s %d px%s" % (h["ch"], h["ink"], " TOFU" if h["same_as_tofu"] else "") for h in g.get("hangul", [])),
         g.get("emoji"), g.get("emoji_ink", 0), g.get("emoji_colour", 0)))
assert "error" not in g, g
assert len(g["hangul"]) >= 2, "the new tag has no Hangul: %r" % g["tag"]
for h in g["hangul"]:
    assert h["ink"] >= 40 and not h["same_as_tofu"], "%s is not drawn as a glyph: %r" % (h["ch"], h)
assert g["distinct"], "the Hangul syllables draw the same bitmap (boxes)"
assert g["emoji"], "no emoji in the new tag's example tweet"
assert g["emoji_colour"] >= 50, "emoji %s not drawn in colour: %d coloured pixels" % (g["emoji"], g["emoji_colour"])
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
need = {"lead-lag green": "16a34a", "best lag": "f59e0b", "hashtag": "0891b2", "tweets line": "2563eb",
        "trending score bar": "db2777", "NEW badge": "e11d48"}
missing = [k for k, v in need.items() if colours.get(bytes.fromhex(v), 0) < 20]
print("screenshot %dx%d: %d distinct colours, most common covers %.0f%%" % (w, h, len(colours), 100.0 * top / total))
assert len(colours) >= 200, "blank-looking screenshot: %d colours" % len(colours)
assert top < 0.9 * total, "one colour covers %.0f%% of the screenshot" % (100.0 * top / total)
assert not missing, "colours not on screen: %s" % missing
PY
echo "ok: dashboard rendered in headless Chromium with every chart drawn from SQL results"
