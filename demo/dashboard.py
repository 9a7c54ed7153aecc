#!/usr/bin/env python3
"""Writes Pulse's dashboard: ONE self-contained HTML file (inline CSS, SVG and
a little JS; nothing fetched from the network) drawn from SQL results.

Every chart is a query run through `psql --csv` (the connection comes from
--db or libpq's PG* variables), so what the page shows is what SQL answers:
  tweets/min vs volume/min     pulse.activity()
  price high/low per minute    pulse.activity()
  rolling correlation          pulse.rolling_correlation()
  lead-lag bars                pulse.lead_lag()
  most retweeted tweets        pulse.tweets
  top hashtags                 pulse.hashtags_hourly
  trending hashtags now        pulse.trending_hashtags() at --trending-at (new tags marked NEW)
  sentiment of top hashtags    pulse.hashtag_sentiment()

  demo/dashboard.py [--db CONNINFO] [--exchange upbit] [--market KRW-BTC]
                    [--from T --until T] [--max-lag 30] [--window '1 hour']
                    [--keyword K] [--out .pulse/dashboard.html] [--print-answer]
                    [--trending-at T] [--trending-window '1 hour'] [--trending-baseline I]

Without --from/--until it shows the last UTC day with candles for the market.
Trending is at --trending-at (default: the end of the range) over the window
before it, against a baseline of what the range holds before the window (at
most 24 hours, at least the window) unless --trending-baseline says.
Standard library only; numbers are turned into floats only to place pixels.
"""

import argparse
import csv
import datetime as dt
import html
import io
import json
import math
import os
import subprocess
import sys

W, H = 960, 280
ML, MR, MT, MB = 72, 78, 16, 44
COLORS = {"tweets": "#2563eb", "volume": "#ea580c", "band": "#94a3b8", "close": "#0f172a",
          "corr": "#7c3aed", "pos": "#16a34a", "neg": "#dc2626", "best": "#f59e0b", "tag": "#0891b2",
          "trend": "#db2777", "new": "#e11d48"}
# One colour per hashtag line of the sentiment chart.
PALETTE = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777",
           "#4b5563", "#65a30d", "#0d9488", "#7c2d12"]


class Psql:
    def __init__(self, db):
        self.db = db

    def query(self, sql, **variables):
        cmd = ["psql", "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1"]
        if self.db:
            cmd += ["-d", self.db]
        for k, v in variables.items():
            cmd += ["-v", "%s=%s" % (k, "" if v is None else v)]
        cmd += ["-f", "-"]
        p = subprocess.run(cmd, input=sql, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit("dashboard.py: psql failed: " + p.stderr.strip())
        return list(csv.DictReader(io.StringIO(p.stdout)))


def num(v):
    return None if v is None or v == "" else float(v)


def ts(v):
    # psql prints timestamptz in the session's DateStyle; we set ISO and UTC.
    v = v.strip()
    if v.endswith("+00"):
        v = v[:-3] + "+00:00"
    return dt.datetime.fromisoformat(v)


def units(exchange, market):
    """(base, quote) of a market as each exchange spells it."""
    if "-" in market:  # Upbit and Coinone: QUOTE-BASE
        quote, base = market.split("-", 1)
        return base, quote
    for q in ("USDT", "FDUSD", "USDC", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY", "KRW"):
        if market.endswith(q) and len(market) > len(q):
            return market[:-len(q)], q
    return market, "quote"


def nice_ticks(lo, hi, n=5):
    if lo is None or hi is None:
        return []
    if hi == lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + step * 1e-9:
        out.append(round(v, 10))
        v += step
    return out


def fmt_num(v):
    a = abs(v)
    if a >= 1e9:
        return "%gG" % round(v / 1e9, 3)
    if a >= 1e6:
        return "%gM" % round(v / 1e6, 3)
    if a >= 1e4:
        return "%gk" % round(v / 1e3, 3)
    if a == int(a):
        return "%d" % v
    return ("%.3f" % v).rstrip("0").rstrip(".")


def time_ticks(t0, t1):
    span = (t1 - t0).total_seconds()
    for step in (60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800):
        if span / step <= 8:
            break
    first = math.ceil(t0.timestamp() / step) * step
    out = []
    v = first
    while v <= t1.timestamp():
        out.append(dt.datetime.fromtimestamp(v, tz=dt.timezone.utc))
        v += step
    return out, step


class Frame:
    """Maps data to one chart's pixels and draws its axes."""

    def __init__(self, x0, x1, y0, y1, y2=None):
        self.x0, self.x1, self.y0, self.y1, self.y2 = x0, x1, y0, y1, y2
        self.parts = []

    def px(self, x):
        return ML + (x - self.x0) / ((self.x1 - self.x0) or 1) * (W - ML - MR)

    def py(self, y, rng=None):
        lo, hi = rng or (self.y0, self.y1)
        return H - MB - (y - lo) / ((hi - lo) or 1) * (H - MT - MB)

    def axes(self, x_labels, y_label, y2_label=None, y_ticks=None, y2_ticks=None):
        p = self.parts
        p.append('<rect class="plot" x="%d" y="%d" width="%d" height="%d"/>' % (ML, MT, W - ML - MR, H - MT - MB))
        for v in y_ticks or nice_ticks(self.y0, self.y1):
            y = self.py(v)
            p.append('<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>' % (ML, W - MR, y, y))
            p.append('<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>' % (ML - 6, y + 4, fmt_num(v)))
        if self.y2:
            for v in y2_ticks or nice_ticks(*self.y2):
                y = self.py(v, self.y2)
                p.append('<text class="tick y2" x="%d" y="%.1f">%s</text>' % (W - MR + 6, y + 4, fmt_num(v)))
        for x, label in x_labels:
            X = self.px(x)
            p.append('<line class="tickmark" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>' % (X, X, H - MB, H - MB + 5))
            p.append('<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>' % (X, H - MB + 18, html.escape(label)))
        p.append('<text class="axis-label" transform="translate(16,%d) rotate(-90)" text-anchor="middle">%s</text>'
                 % ((H - MB + MT) // 2, html.escape(y_label)))
        if y2_label:
            p.append('<text class="axis-label" transform="translate(%d,%d) rotate(90)" text-anchor="middle">%s</text>'
                     % (W - 14, (H - MB + MT) // 2, html.escape(y2_label)))

    def svg(self, label):
        return ('<svg viewBox="0 0 %d %d" role="img" aria-label="%s">%s</svg>'
                % (W, H, html.escape(label), "".join(self.parts)))


def path_of(points, frame, rng=None):
    d, pen = [], False
    for x, y in points:
        if y is None:
            pen = False
            continue
        d.append("%s%.1f %.1f" % ("L" if pen else "M", frame.px(x), frame.py(y, rng)))
        pen = True
    return " ".join(d)


def span(values, pad=0.05, zero=False):
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    lo, hi = min(vals), max(vals)
    if zero:
        lo = min(lo, 0)
    d = (hi - lo) or abs(hi) or 1
    return (lo if zero else lo - d * pad), hi + d * pad


def time_axis(frame, t0, t1):
    ticks, step = time_ticks(t0, t1)
    fmt = "%H:%M" if step < 86400 else "%m-%d"
    return [(t.timestamp(), t.strftime(fmt)) for t in ticks]


def figure(key, title, subtitle, points, body, legend=""):
    if points == 0:
        body = '<p class="no-data">no data</p>'
    return ('<figure class="chart" id="%s" data-chart="%s" data-points="%d">'
            '<figcaption><h2>%s</h2><p>%s</p>%s</figcaption>%s</figure>'
            % (key, key, points, html.escape(title), html.escape(subtitle), legend, body))


def legend(items):
    return '<div class="legend">' + "".join(
        '<span><i style="background:%s"></i>%s</span>' % (c, html.escape(t)) for t, c in items) + "</div>"


def chart_tweets_volume(rows, base, exchange, market, t0, t1):
    pts = [(ts(r["bucket"]).timestamp(), num(r["tweets"]), num(r["volume"])) for r in rows]
    n = sum(1 for p in pts if p[1] is not None or p[2] is not None)
    if not n:
        return figure("tweets_volume", "Tweets per minute vs traded volume per minute", "", 0, "")
    ylo, yhi = span([p[1] for p in pts], zero=True)
    vlo, vhi = span([p[2] for p in pts], zero=True)
    f = Frame(t0.timestamp(), t1.timestamp(), ylo, yhi, (vlo, vhi))
    f.axes(time_axis(f, t0, t1), "tweets per minute", "volume per minute (%s)" % base)
    f.parts.append('<path class="series tweets" d="%s" stroke="%s"/>' % (path_of([(p[0], p[1]) for p in pts], f), COLORS["tweets"]))
    f.parts.append('<path class="series volume" d="%s" stroke="%s"/>' % (path_of([(p[0], p[2]) for p in pts], f, (vlo, vhi)), COLORS["volume"]))
    return figure("tweets_volume", "Tweets per minute vs traded volume per minute",
                  "%s %s, minutes in UTC; left axis tweets, right axis volume in %s" % (exchange, market, base),
                  n, f.svg("tweets and volume per minute"),
                  legend([("tweets / min", COLORS["tweets"]), ("volume / min (%s)" % base, COLORS["volume"])]))


def chart_price(rows, quote, exchange, market, t0, t1):
    pts = [(ts(r["bucket"]).timestamp(), num(r["high"]), num(r["low"]), num(r["close"])) for r in rows]
    pts = [p for p in pts if p[1] is not None and p[2] is not None]
    if not pts:
        return figure("price", "Price high / low per minute", "", 0, "")
    lo, hi = span([p[2] for p in pts] + [p[1] for p in pts])
    f = Frame(t0.timestamp(), t1.timestamp(), lo, hi)
    f.axes(time_axis(f, t0, t1), "price (%s)" % quote)
    upper = " ".join("%s%.1f %.1f" % ("L" if i else "M", f.px(p[0]), f.py(p[1])) for i, p in enumerate(pts))
    lower = " ".join("L%.1f %.1f" % (f.px(p[0]), f.py(p[2])) for p in reversed(pts))
    f.parts.append('<path class="series band" d="%s %s Z" fill="%s" stroke="none"/>' % (upper, lower, COLORS["band"]))
    f.parts.append('<path class="series close" d="%s" stroke="%s"/>' % (path_of([(p[0], p[3]) for p in pts], f), COLORS["close"]))
    return figure("price", "Price high / low per minute",
                  "%s %s in %s; band from each minute's low to its high, line at the close" % (exchange, market, quote),
                  len(pts), f.svg("price high and low"),
                  legend([("high-low range", COLORS["band"]), ("close", COLORS["close"])]))


def chart_rolling(rows, window, t0, t1):
    if rows:
        keys = list(rows[0].keys())
        tcol = keys[0]
        ccol = "corr" if "corr" in keys else keys[-1]
    pts = [(ts(r[tcol]).timestamp(), num(r[ccol])) for r in rows] if rows else []
    n = sum(1 for p in pts if p[1] is not None)
    if not n:
        return figure("rolling_corr", "Rolling correlation", "", 0, "")
    f = Frame(t0.timestamp(), t1.timestamp(), -1.0, 1.0)
    f.axes(time_axis(f, t0, t1), "Pearson r", y_ticks=[-1, -0.5, 0, 0.5, 1])
    f.parts.append('<line class="zero" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>' % (ML, W - MR, f.py(0), f.py(0)))
    f.parts.append('<path class="series corr" d="%s" stroke="%s"/>' % (path_of(pts, f), COLORS["corr"]))
    return figure("rolling_corr", "Rolling correlation of tweets/min and volume/min",
                  "Pearson r over the trailing %s, per minute (UTC); -1..1, same minute" % window,
                  n, f.svg("rolling correlation"))


def chart_lead_lag(rows, best):
    pts = [(int(r["lag"]), num(r["corr"]), int(r["n"] or 0)) for r in rows if num(r["corr"]) is not None]
    if not pts:
        return figure("lead_lag", "Lead-lag", "", 0, "")
    lags = [p[0] for p in pts]
    lo, hi = min(lags) - 0.5, max(lags) + 0.5
    ylo, yhi = span([p[1] for p in pts] + [0.0], pad=0.08)
    ylo, yhi = min(ylo, 0), max(yhi, 0)
    f = Frame(lo, hi, ylo, yhi)
    step = max(1, int(math.ceil(len(pts) / 16.0)))
    f.axes([(l, str(l)) for l in lags if l % step == 0], "Pearson r")
    bw = max(1.0, (W - ML - MR) / (hi - lo) * 0.8)
    for lag, c, n in pts:
        x = f.px(lag) - bw / 2
        y0, y1 = f.py(max(c, 0)), f.py(min(c, 0))
        color = COLORS["best"] if best and lag == best[0] else (COLORS["pos"] if c >= 0 else COLORS["neg"])
        f.parts.append('<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>lag %d min: r = %.4f (n = %d)</title></rect>'
                       % (x, y0, bw, max(0.5, y1 - y0), color, lag, c, n))
    f.parts.append('<line class="zero" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>' % (ML, W - MR, f.py(0), f.py(0)))
    f.parts.append('<text class="axis-label" x="%d" y="%d" text-anchor="middle">lag in minutes (positive: tweets lead volume)</text>'
                   % ((ML + W - MR) // 2, H - 6))
    return figure("lead_lag", "Lead-lag: tweets/min against volume/min k minutes later",
                  "pulse.lead_lag(); the highlighted bar is the best lag", len(pts), f.svg("lead-lag bars"),
                  legend([("best lag", COLORS["best"]), ("r > 0", COLORS["pos"]), ("r < 0", COLORS["neg"])]))


def chart_hashtags(rows):
    pts = [(r["hashtag"], int(r["tweets"])) for r in rows]
    if not pts:
        return figure("hashtags", "Top hashtags", "", 0, "")
    h = 26 * len(pts) + 40
    top = max(p[1] for p in pts)
    left, right = 150, W - 90
    parts = []
    for v in nice_ticks(0, top, 5):
        x = left + v / top * (right - left)
        parts.append('<line class="grid" x1="%.1f" x2="%.1f" y1="10" y2="%d"/>' % (x, x, h - 26))
        parts.append('<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x, h - 10, fmt_num(v)))
    for i, (tag, n) in enumerate(pts):
        y = 12 + i * 26
        wbar = max(1.0, n / top * (right - left))
        parts.append('<text class="label" x="%d" y="%d" text-anchor="end">#%s</text>' % (left - 8, y + 15, html.escape(tag)))
        parts.append('<rect class="bar" x="%d" y="%d" width="%.1f" height="18" fill="%s"><title>#%s: %d tweets</title></rect>'
                     % (left, y + 2, wbar, COLORS["tag"], html.escape(tag), n))
        parts.append('<text class="value" x="%.1f" y="%d">%d</text>' % (left + wbar + 6, y + 15, n))
    svg = '<svg viewBox="0 0 %d %d" role="img" aria-label="top hashtags">%s</svg>' % (W, h, "".join(parts))
    return figure("hashtags", "Top hashtags", "tweets using each hashtag in the range (retweets included), from pulse.hashtags_hourly",
                  len(pts), svg)


def table_trending(rows, at, window, baseline):
    """pulse.trending_hashtags as a table: one row per tag with a bar for its
    score (negative scores in red, from the same zero), NEW on new tags."""
    sub = ("pulse.trending_hashtags at %s UTC: tweets in the %s before, against the rate of the %s before that; "
           "score = (tweets - baseline) / sqrt(baseline + 1); NEW = first seen inside the window"
           % (at.strftime("%Y-%m-%d %H:%M"), window, baseline))
    if not rows:
        return figure("trending", "Trending hashtags now", sub, 0, "")
    top = max([abs(num(r["score"])) for r in rows] + [1e-9])
    body = ['<table class="trending"><thead><tr><th>#</th><th>hashtag</th><th class="n">tweets</th><th class="n">authors</th>'
            '<th class="n">baseline</th><th class="n">score</th><th class="bars"></th><th>first seen</th><th>example</th>'
            '</tr></thead><tbody>']
    for i, r in enumerate(rows, 1):
        sc = num(r["score"])
        new = r["is_new"] == "t"
        body.append(
            '<tr class="trend" data-hashtag="%s" data-new="%s"><td>%d</td><td class="tag">#%s%s</td><td class="n">%s</td>'
            '<td class="n">%s</td><td class="n">%.1f</td><td class="n">%.1f</td>'
            '<td class="bars"><span class="scorebar" style="width:%.1f%%;background:%s" title="score %.2f"></span></td>'
            '<td class="when">%s</td><td class="example">%s</td></tr>'
            % (html.escape(r["hashtag"]), "true" if new else "false", i, html.escape(r["hashtag"]),
               ' <span class="badge-new" title="first seen inside the window">NEW</span>' if new else "",
               html.escape(r["tweets"]), html.escape(r["authors"]), num(r["baseline_rate"]), sc,
               max(1.0, abs(sc) / top * 100), COLORS["trend"] if sc >= 0 else COLORS["neg"], sc,
               html.escape(ts(r["first_seen"]).strftime("%m-%d %H:%M") if r["first_seen"] else ""),
               html.escape(r["example"] or "")))
    body.append("</tbody></table>")
    return figure("trending", "Trending hashtags now", sub, len(rows), "".join(body))


def chart_sentiment(rows, bucket, t0, t1):
    """pulse.hashtag_sentiment: one line per hashtag over the buckets (a gap
    where a tag had no tweet), a dot per bucket with tweets."""
    tags = []
    for r in rows:
        if r["hashtag"] not in tags:
            tags.append(r["hashtag"])
    pts = [r for r in rows if num(r["sentiment"]) is not None]
    sub = ("mean VADER compound sentiment (-1..1) of the tweets using each hashtag, per %s (UTC), from "
           "pulse.hashtag_sentiment: the range's most used hashtags and the ones trending" % bucket)
    if not pts:
        return figure("sentiment", "Sentiment of the top hashtags over time", sub, 0, "")
    half = (ts(rows[1]["bucket"]) - ts(rows[0]["bucket"])).total_seconds() / 2 if len({r["bucket"] for r in rows}) > 1 else 0
    f = Frame(t0.timestamp(), t1.timestamp(), -1.0, 1.0)
    f.axes(time_axis(f, t0, t1), "mean sentiment", y_ticks=[-1, -0.5, 0, 0.5, 1])
    f.parts.append('<line class="zero" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>' % (ML, W - MR, f.py(0), f.py(0)))
    colour = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(tags)}
    for t in tags:
        line = [(ts(r["bucket"]).timestamp() + half, num(r["sentiment"])) for r in rows if r["hashtag"] == t]
        if any(y is not None for _, y in line):
            f.parts.append('<path class="series sentiment" data-hashtag="%s" d="%s" stroke="%s"/>'
                           % (html.escape(t), path_of(line, f), colour[t]))
    for r in pts:
        x, y = ts(r["bucket"]).timestamp() + half, num(r["sentiment"])
        f.parts.append('<circle class="pt" cx="%.1f" cy="%.1f" r="2.6" fill="%s"><title>#%s %s: %+.3f (%s tweets)</title></circle>'
                       % (f.px(x), f.py(y), colour[r["hashtag"]], html.escape(r["hashtag"]),
                          ts(r["bucket"]).strftime("%H:%M"), y, html.escape(r["tweets"])))
    return figure("sentiment", "Sentiment of the top hashtags over time", sub, len(pts), f.svg("sentiment per hashtag"),
                  legend([("#" + t, colour[t]) for t in tags]))


def trending_text(rows, at, window, baseline):
    if not rows:
        return "Trending at %s UTC: no hashtags in the %s before." % (at.strftime("%Y-%m-%d %H:%M"), window)
    parts = []
    for r in rows[:3]:
        e, n = num(r["baseline_rate"]), int(r["tweets"])
        how = "NEW" if r["is_new"] == "t" else ("%.1fx its baseline" % (n / e) if e else "no baseline")
        parts.append("#%s %s, %d tweets (score %.1f)" % (r["hashtag"], how, n, num(r["score"])))
    return ("Trending at %s UTC (the %s before, against the %s before that): %s."
            % (at.strftime("%Y-%m-%d %H:%M"), window, baseline, "; ".join(parts)))


def sentiment_text(rows, bucket, k=6):
    """Mean sentiment per hashtag over the range (weighted by tweets), and the
    most negative and most positive bucket with at least 10 tweets."""
    tot = {}
    for r in rows:
        s = num(r["sentiment"])
        if s is not None:
            n, acc = tot.get(r["hashtag"], (0, 0.0))
            tot[r["hashtag"]] = (n + int(r["tweets"]), acc + s * int(r["tweets"]))
    if not tot:
        return "Sentiment: no hashtags in the range."
    top = sorted(tot.items(), key=lambda kv: (-kv[1][0], kv[0]))[:k]
    text = "Sentiment (mean VADER compound, -1..1) over the range: " + ", ".join(
        "#%s %+.2f" % (t, acc / n) for t, (n, acc) in top)
    full = [r for r in rows if num(r["sentiment"]) is not None and int(r["tweets"]) >= 10]
    if full:
        lo = min(full, key=lambda r: (num(r["sentiment"]), r["bucket"], r["hashtag"]))
        hi = max(full, key=lambda r: (num(r["sentiment"]), r["bucket"], r["hashtag"]))
        text += "; per %s, the most negative: #%s %+.2f at %s, the most positive: #%s %+.2f at %s" % (
            bucket, lo["hashtag"], num(lo["sentiment"]), ts(lo["bucket"]).strftime("%H:%M"),
            hi["hashtag"], num(hi["sentiment"]), ts(hi["bucket"]).strftime("%H:%M"))
    return text + "."


def table_retweeted(rows):
    if not rows:
        return figure("most_retweeted", "Most retweeted tweets", "", 0, "")
    body = ['<table><thead><tr><th>#</th><th>author</th><th>tweet</th><th class="n">retweets seen</th>'
            '<th class="n">retweet_count</th><th>tweet id</th></tr></thead><tbody>']
    for i, r in enumerate(rows, 1):
        body.append('<tr><td>%d</td><td>@%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td class="id">%s</td></tr>'
                    % (i, html.escape(r["author"] or "?"), html.escape(r["text"] or ""), html.escape(r["retweets_seen"]),
                       html.escape(r["retweet_count_reported"] or ""), html.escape(r["tweet_id"])))
    body.append("</tbody></table>")
    return figure("most_retweeted", "Most retweeted tweets",
                  "retweets received in the range per original tweet; retweet_count is the highest count X reported",
                  len(rows), "".join(body))


CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 {FONTS};color:#0f172a;background:#f1f5f9}
header{padding:20px 32px;background:#0f172a;color:#f8fafc}header h1{margin:0 0 4px;font-size:22px}header p{margin:4px 0;color:#cbd5e1;max-width:1100px}
header .answer{color:#fde68a;font-size:15px}main{display:grid;grid-template-columns:repeat(auto-fit,minmax(620px,1fr));gap:18px;padding:18px 32px}
figure.chart{margin:0;background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 14px}
figcaption h2{margin:0;font-size:16px}figcaption p{margin:2px 0 6px;color:#475569;font-size:12px}
svg{width:100%;height:auto;display:block}.plot{fill:#fff;stroke:#cbd5e1}.grid{stroke:#e2e8f0}.tickmark{stroke:#94a3b8}
.tick,.label,.value{font-size:11px;fill:#334155}.label{font-size:12px}.axis-label{font-size:12px;fill:#475569}
.series{fill:none;stroke-width:1.3}.band{fill-opacity:.45}.zero{stroke:#64748b;stroke-dasharray:4 3}
.legend span{margin-right:14px;font-size:12px;color:#334155}.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;border-radius:2px}
table{width:100%;border-collapse:collapse;font-size:12.5px}th,td{text-align:left;padding:5px 6px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{color:#475569;font-weight:600}td.n,th.n{text-align:right}td.id{font-family:ui-monospace,monospace;font-size:11px;color:#64748b}
.badge-new{display:inline-block;margin-left:6px;padding:0 5px;border-radius:3px;background:{NEW};color:#fff;font-size:10px;font-weight:700;letter-spacing:.04em;vertical-align:1px}
figure#trending{grid-column:1/-1}td.bars{width:18%;min-width:140px}.scorebar{display:block;height:12px;border-radius:2px;margin-top:3px}td.tag{font-weight:600;white-space:nowrap}td.when{white-space:nowrap;color:#475569}td.example{color:#334155}
.no-data{padding:40px;text-align:center;color:#b91c1c;font-weight:600}
#tip{position:fixed;pointer-events:none;background:#0f172a;color:#fff;font-size:12px;padding:3px 7px;border-radius:4px;display:none}
footer{padding:8px 32px 24px;color:#64748b;font-size:12px}
"""
# Latin first, then the fonts that have Hangul (and the rest of CJK) and
# colour emoji, which hashtags and tweets use (Debian: fonts-noto-cjk,
# fonts-noto-color-emoji); the browser picks per character down this list.
FONTS = ('system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans","Noto Sans CJK KR","Noto Sans KR",'
         '"Apple SD Gothic Neo","Malgun Gothic","Noto Color Emoji","Apple Color Emoji","Segoe UI Emoji",sans-serif')
CSS = CSS.replace("{FONTS}", FONTS).replace("{NEW}", COLORS["new"])

# Hover read-out for the time-series charts: maps the cursor to the nearest
# minute of the data embedded below (no library, works offline).
JS = """
(function(){
  var data = JSON.parse(document.getElementById('series').textContent);
  var tip = document.getElementById('tip');
  document.querySelectorAll('figure.chart[data-series]').forEach(function(fig){
    var s = data[fig.dataset.series]; var svg = fig.querySelector('svg');
    if (!s || !svg || !s.t.length) return;
    svg.addEventListener('mousemove', function(ev){
      var r = svg.getBoundingClientRect(); var x = (ev.clientX - r.left) / r.width * %(W)d;
      var f = (x - %(ML)d) / (%(W)d - %(ML)d - %(MR)d); if (f < 0 || f > 1) { tip.style.display='none'; return; }
      var i = Math.min(s.t.length - 1, Math.max(0, Math.round(f * (s.t.length - 1))));
      tip.textContent = s.t[i] + '  ' + s.cols.map(function(c, k){ return c + ' ' + s.v[k][i]; }).join('  ');
      tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px'; tip.style.display = 'block';
    });
    svg.addEventListener('mouseleave', function(){ tip.style.display='none'; });
  });
  document.body.dataset.rendered = document.querySelectorAll('figure.chart').length;
})();
""" % {"W": W, "ML": ML, "MR": MR}


def answer_text(best, exchange, market, t0, t1, lead_rows):
    if not best:
        return "No answer: pulse.lead_lag() returned no correlation for %s %s in this range." % (exchange, market)
    lag, c, n = best
    zero = next((num(r["corr"]) for r in lead_rows if int(r["lag"]) == 0), None)
    if lag > 0:
        who = "tweets lead trading volume by %d minute%s" % (lag, "" if lag == 1 else "s")
    elif lag < 0:
        who = "trading volume leads tweets by %d minute%s" % (-lag, "" if lag == -1 else "s")
    else:
        who = "tweets and trading volume move in the same minute"
    text = ("From %s to %s, tweets per minute correlate best with %s %s volume per minute at lag %+d: "
            "%s (Pearson r = %.3f over n = %d minute pairs"
            % (t0.strftime("%Y-%m-%d %H:%M"), t1.strftime("%Y-%m-%d %H:%M UTC"), exchange, market, lag, who, c, n))
    if zero is not None and lag != 0:
        text += ", against r = %.3f in the same minute" % zero
    return text + ")."


def main(argv=None):
    p = argparse.ArgumentParser(description="Write Pulse's self-contained HTML dashboard from SQL results.")
    p.add_argument("--db", default=os.environ.get("PULSE_DB", ""), help="libpq connection string (default: PG* variables)")
    p.add_argument("--exchange", default="upbit")
    p.add_argument("--market", default="KRW-BTC")
    p.add_argument("--from", dest="t_from", help="start (timestamptz); default: the last UTC day with candles")
    p.add_argument("--until", dest="t_until", help="end, exclusive; default: --from + 1 day")
    p.add_argument("--max-lag", type=int, default=30)
    p.add_argument("--window", default="1 hour", help="rolling correlation window (default '1 hour')")
    p.add_argument("--keyword", default="", help="only tweets with this word or hashtag")
    p.add_argument("--title", default="Pulse: does bitcoin chatter on X move the market?")
    p.add_argument("--note", default="", help="a line under the title (e.g. that the data is synthetic)")
    p.add_argument("--out", default=".pulse/dashboard.html")
    p.add_argument("--trending-at", default="", help="time of the trending panel (default: the end of the range)")
    p.add_argument("--trending-window", default="1 hour", help="trending window before --trending-at (default '1 hour')")
    p.add_argument("--trending-baseline", default="",
                   help="baseline before the window (default: what the range holds before it, 24 hours at most)")
    p.add_argument("--print-answer", action="store_true",
                   help="also print the one-paragraph answer, and a line each on trending hashtags and sentiment")
    a = p.parse_args(argv)

    db = Psql(a.db)
    v = {"exchange": a.exchange, "market": a.market, "from": a.t_from or "", "until": a.t_until or ""}
    rng = db.query("""
        SET TimeZone = 'UTC'; SET DateStyle = 'ISO';
        WITH d AS (
          SELECT coalesce(nullif(:'from', '')::timestamptz,
                          date_bin('1 day', (SELECT max(bucket_start) FROM pulse.candles
                                              WHERE exchange = :'exchange' AND market = :'market'),
                                   timestamptz '1970-01-01 00:00:00+00'),
                          date_bin('1 day', now(), timestamptz '1970-01-01 00:00:00+00')) AS f)
        SELECT f AS t_from, coalesce(nullif(:'until', '')::timestamptz, f + interval '1 day') AS t_until FROM d;
        """, **v)[0]
    v["from"], v["until"] = rng["t_from"], rng["t_until"]
    t0, t1 = ts(v["from"]), ts(v["until"])
    v.update(tat=a.trending_at, twindow=a.trending_window, tbaseline=a.trending_baseline)
    trend = db.query("""
        SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'postgres_verbose';
        WITH d AS (SELECT coalesce(nullif(:'tat', '')::timestamptz, :'until'::timestamptz) AS at)
        SELECT at, :'twindow'::interval AS twindow,
               coalesce(nullif(:'tbaseline', '')::interval,
                        least(interval '24 hours', greatest(:'twindow'::interval,
                                                            at - :'twindow'::interval - :'from'::timestamptz))) AS tbaseline
          FROM d;""", **v)[0]
    v.update(tat=trend["at"], twindow=trend["twindow"], tbaseline=trend["tbaseline"])
    t_at = ts(v["tat"])
    show = lambda i: i.replace("@ ", "").replace(" ago", "")  # postgres_verbose: '@ 1 hour'
    v.update(max_lag=a.max_lag, window=a.window, keyword=a.keyword)
    pre = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO';\n"
    kw = "nullif(:'keyword', '')"

    activity = db.query(pre + """
        SELECT bucket, tweets, volume, high, low, close
          FROM pulse.activity(:'exchange', :'market', :'from', :'until', interval '1 minute', %s)
         ORDER BY bucket;""" % kw, **v)
    rolling = db.query(pre + """
        SELECT * FROM pulse.rolling_correlation(:'exchange', :'market', :'from', :'until',
                                                :'window'::interval, interval '1 minute', %s)
         ORDER BY 1;""" % kw, **v)
    lead = db.query(pre + """
        SELECT lag, n, corr
          FROM pulse.lead_lag(:'exchange', :'market', :'from', :'until', :max_lag, interval '1 minute', %s)
         ORDER BY lag;""" % kw, **v)
    retweeted = db.query(pre + """
        SELECT r.retweeted_id AS tweet_id,
               substring(min(r.text) FROM '^RT @([A-Za-z0-9_]+):') AS author,
               count(*) AS retweets_seen, max(r.retweet_count) AS retweet_count_reported,
               left(coalesce(o.text, regexp_replace(min(r.text), '^RT @[A-Za-z0-9_]+: ', '')), 140) AS text
          FROM pulse.tweets r LEFT JOIN pulse.tweets o ON o.id = r.retweeted_id
         WHERE r.is_retweet AND r.created_at >= :'from' AND r.created_at < :'until'
         GROUP BY r.retweeted_id, o.text
         ORDER BY retweets_seen DESC, retweet_count_reported DESC NULLS LAST, tweet_id LIMIT 10;""", **v)
    hashtags = db.query(pre + """
        SELECT hashtag, sum(tweets) AS tweets
          FROM pulse.hashtags_hourly
         WHERE hour >= date_bin('1 hour', :'from'::timestamptz, timestamptz '1970-01-01 00:00:00+00')
           AND hour < :'until'
         GROUP BY hashtag ORDER BY 2 DESC, 1 LIMIT 12;""", **v)
    # Each trending tag with the most retweeted original tweet using it in the window.
    trending = db.query(pre + """
        SELECT t.hashtag, t.tweets, t.authors, t.baseline_rate, t.score, t.first_seen, t.is_new,
               (SELECT left(x.text, 120) FROM pulse.tweets x
                 WHERE x.created_at >= :'tat'::timestamptz - :'twindow'::interval AND x.created_at < :'tat'
                   AND x.hashtags @> ARRAY[t.hashtag] AND NOT x.is_retweet
                 ORDER BY x.retweet_count DESC NULLS LAST, x.id LIMIT 1) AS example
          FROM pulse.trending_hashtags(:'tat', :'twindow', :'tbaseline', 10) t
         ORDER BY t.score DESC, t.tweets DESC, t.hashtag;""", **v)
    # The 6 most used hashtags of the range and the 3 most trending (up to
    # 9 lines), per hour; per 15 minutes for ranges of 6 hours or less.
    v["sbucket"] = "15 minutes" if (t1 - t0).total_seconds() <= 6 * 3600 else "1 hour"
    sentiment = db.query(pre + """
        WITH s AS (SELECT * FROM pulse.hashtag_sentiment(:'from', :'until', :'sbucket'::interval, 50)),
             pick AS ((SELECT hashtag FROM s GROUP BY hashtag ORDER BY sum(tweets) DESC, hashtag LIMIT 6)
                      UNION
                      (SELECT hashtag FROM pulse.trending_hashtags(:'tat', :'twindow', :'tbaseline', 3)))
        SELECT s.bucket, s.hashtag, s.tweets, s.sentiment
          FROM s JOIN pick USING (hashtag)
         ORDER BY s.bucket, (SELECT sum(tweets) FROM s s2 WHERE s2.hashtag = s.hashtag) DESC, s.hashtag;""", **v)

    scored = [(int(r["lag"]), num(r["corr"]), int(r["n"] or 0)) for r in lead if num(r["corr"]) is not None]
    best = max(scored, key=lambda s: (s[1], -abs(s[0]))) if scored else None
    answer = answer_text(best, a.exchange, a.market, t0, t1, lead)
    base, quote = units(a.exchange, a.market)

    series = {
        "tv": {"t": [ts(r["bucket"]).strftime("%H:%M") for r in activity], "cols": ["tweets", "volume"],
               "v": [[r["tweets"] for r in activity], [r["volume"] for r in activity]]},
        "px": {"t": [ts(r["bucket"]).strftime("%H:%M") for r in activity], "cols": ["high", "low", "close"],
               "v": [[r["high"] for r in activity], [r["low"] for r in activity], [r["close"] for r in activity]]},
    }
    if rolling:
        keys = list(rolling[0].keys())
        ccol = "corr" if "corr" in keys else keys[-1]
        series["rc"] = {"t": [ts(r[keys[0]]).strftime("%H:%M") for r in rolling], "cols": ["r"],
                        "v": [[(("%.3f" % float(r[ccol])) if r[ccol] else "") for r in rolling]]}
    charts = [
        chart_tweets_volume(activity, base, a.exchange, a.market, t0, t1).replace('data-chart=', 'data-series="tv" data-chart=', 1),
        chart_price(activity, quote, a.exchange, a.market, t0, t1).replace('data-chart=', 'data-series="px" data-chart=', 1),
        chart_rolling(rolling, a.window, t0, t1).replace('data-chart=', 'data-series="rc" data-chart=', 1),
        chart_lead_lag(lead, best),
        table_retweeted(retweeted),
        chart_hashtags(hashtags),
        table_trending(trending, t_at, show(v["twindow"]), show(v["tbaseline"])),
        chart_sentiment(sentiment, v["sbucket"], t0, t1),
    ]
    page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>%(title)s</title><style>%(css)s</style></head>
<body><header><h1>%(title)s</h1><p>%(range)s%(kw)s</p>%(note)s<p class="answer">%(answer)s</p></header>
<main>%(charts)s</main>
<footer>Generated %(now)s by demo/dashboard.py from SQL results (pulse.activity, pulse.rolling_correlation, pulse.lead_lag, pulse.tweets, pulse.hashtags_hourly, pulse.trending_hashtags, pulse.hashtag_sentiment). Times in UTC. Self-contained: no network needed.</footer>
<div id="tip"></div>
<script type="application/json" id="series">%(series)s</script>
<script>%(js)s</script>
</body></html>
""" % {
        "title": html.escape(a.title), "css": CSS, "js": JS,
        "range": html.escape("%s %s, %s to %s (UTC)" % (a.exchange, a.market, t0.strftime("%Y-%m-%d %H:%M"), t1.strftime("%Y-%m-%d %H:%M"))),
        "kw": html.escape(", tweets matching '%s'" % a.keyword) if a.keyword else "",
        "note": '<p class="note">%s</p>' % html.escape(a.note) if a.note else "",
        "answer": html.escape(answer), "charts": "\n".join(charts),
        "now": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "series": json.dumps(series, separators=(",", ":")).replace("</", "<\\/"),
    }
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, a.out)
    if a.print_answer:
        print(answer)
        print(trending_text(trending, t_at, show(v["twindow"]), show(v["tbaseline"])))
        print(sentiment_text(sentiment, v["sbucket"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
