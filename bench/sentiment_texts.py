#!/usr/bin/env python3
"""The sentiment benchmark's texts: N real-shaped tweet texts, one a line.

Usage: bench/sentiment_texts.py N TEXTS_FILE [JSONL_FILE]

The demo's tweet templates (English, Korean, Spanish, Japanese, with emoji,
cashtags and hashtags), the test set's hand-written tweets, mentions, t.co
URLs and retweet prefixes, one to three pieces each, at most 280 characters;
the same texts on every run (fixed seed). With JSONL_FILE, also the same
texts as X API v2 lines for `pulse-load tweets --source file`. Used by
bench/sentiment_bench.sh and bench/vader_micro (the scorer alone).
"""
import datetime
import json
import os
import random
import sys

src = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
n, texts_path = int(sys.argv[1]), sys.argv[2]
jsonl_path = sys.argv[3] if len(sys.argv) > 3 else None
sys.path.insert(0, os.path.join(src, 'demo'))
import generate as g  # noqa: E402

rnd = random.Random(15)
hand = []
for line in open(os.path.join(src, 'tests/data/vader_sentences.txt'), encoding='utf-8'):
    if not line.startswith('#') and '\\' not in line and line.strip():
        hand.append(line.rstrip('\n'))
templates = g.EN_TEMPLATES * 6 + g.KO_TEMPLATES * 2 + g.ES_TEMPLATES + g.JA_TEMPLATES
extras = ['https://t.co/%s' % ''.join(rnd.choice('abcdefghijkmnpqrstuvwxyz0123456789') for _ in range(10))
          for _ in range(50)]


def one():
    parts = []
    for _ in range(rnd.choice((1, 1, 2, 2, 3))):
        if rnd.random() < 0.5:
            usd = rnd.randrange(20000, 110000)
            parts.append(rnd.choice(templates).format(
                usd=f'{usd:,}', krw=f'{usd * 1350:,}', level=f'{usd // 500 * 500:,}', pct=f'{rnd.random() * 9:.1f}',
                dir=rnd.choice(('up', 'down')), kdir=rnd.choice(('상승', '하락')),
                es_dir=rnd.choice(('subiendo', 'bajando')),
                mood=rnd.choice(g.MOODS), emoji=rnd.choice(g.EMOJI), adj=rnd.choice(g.ADJ)))
        else:
            parts.append(rnd.choice(hand))
    if rnd.random() < 0.3:
        parts.insert(0, '@%s' % rnd.choice(('CryptoDesk', 'satoshi_fan', 'kimchi_premium', 'trader_jo')))
    if rnd.random() < 0.3:
        parts.append(rnd.choice(extras))
    text = ' '.join(parts)
    if rnd.random() < 0.15:
        text = 'RT @%s: %s' % (rnd.choice(('elonmusk', 'news', 'whale_alert')), text)
    return text[:280]


base = 1724796000000000000
with open(texts_path, 'w', encoding='utf-8') as tf:
    jf = open(jsonl_path, 'w', encoding='utf-8') if jsonl_path else None
    for k in range(n):
        t = one()
        tf.write(t + '\n')
        if jf:
            i = base + k * 86 * (1 << 22)
            ms = (i >> 22) + 1288834974657
            ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z')
            jf.write(json.dumps({'data': {'id': str(i), 'created_at': ts, 'author_id': str(1000 + k % 5000),
                                          'lang': 'en', 'text': t}}, ensure_ascii=False) + '\n')
    if jf:
        jf.close()
