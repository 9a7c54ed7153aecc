#!/usr/bin/python3
"""Writes tests/data/vader_expected.tsv: the scores the reference VADER
implementation gives for this project's test sentences. Run with Debian's
python3 against a checkout of the reference (nothing of it is copied here):

  git clone https://github.com/cjhutto/vaderSentiment "$VADER_REF"
  git -C "$VADER_REF" checkout 44fc044cd877310ee8278a0eadf34bcd50d41d06
  /usr/bin/python3 tests/data/make_vader_expected.py "$VADER_REF" > tests/data/vader_expected.tsv

The sentences: tests/data/vader_sentences.txt (hand-written, one per rule),
generated cases (empty and white-space-only text, very long text, modifier x
word x punctuation combinations, the demo's tweet templates) and the tweet
texts of the X API fixtures in tests/fixtures/x_api. Each row has the scores
as the reference prints them (neg, neu, pos to 3 decimals, compound to 4) and
the same scores before rounding (the reference run once more with its
module's round() replaced by the identity), then the text, escaped."""
import base64, gzip, itertools, json, os, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, '..', '..'))


def unescape(line):
    return re.sub(r'\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|[tnr\\])',
                  lambda m: {'t': '\t', 'n': '\n', 'r': '\r', '\\': '\\'}.get(m.group(1)) or chr(int(m.group(1)[1:], 16)),
                  line)


def escape(text):
    out = []
    for ch in text:
        if ch == '\\':
            out.append('\\\\')
        elif ch == '\t':
            out.append('\\t')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\r':
            out.append('\\r')
        elif ch != ' ' and not ch.isprintable():
            out.append('\\u%04x' % ord(ch) if ord(ch) <= 0xFFFF else '\\U%08x' % ord(ch))
        else:
            out.append(ch)
    return ''.join(out)


def hand_written():
    with open(os.path.join(here, 'vader_sentences.txt'), encoding='utf-8') as f:
        return [unescape(l.rstrip('\n')) for l in f if not l.startswith('#')]


def generated():
    out = ['', ' ', '   ', '\t\n \r', '\u3000\u2003', '\u00a0']
    words = ['good', 'bad', 'happy', 'HORRIBLE', 'love', 'kind']
    mods = ['', 'very ', 'not ', 'kind of ', 'NOT ', 'never so ', 'no ', 'VERY ', 'hardly ', 'at least ',
            'not very ', 'never this ', 'no, ']
    puncts = ['', '!', '!!!', '??', '?']
    for m, w, p in itertools.product(mods, words, puncts):
        out.append(f'it is {m}{w}{p}')
    for a, b in itertools.product(['good', 'bad', 'GREAT'], ['sad', 'fun', 'TERRIBLE']):
        out.append(f'{a} but {b}')
        out.append(f'The {a} part was fine but the rest was {b}')
    # very long texts: about 70 kB, and one word 10k characters long
    out.append(' '.join(['The movie was great, but the ending was not good at all!'] * 1200))
    out.append('I love it ' * 3000 + 'but I hate it ' * 3000)
    out.append('😀😡' * 2000)
    out.append('a' * 10000 + ' good')
    # the demo's tweet shapes (demo/generate.py)
    sys.path.insert(0, os.path.join(root, 'demo'))
    import generate as g
    for i, tpl in enumerate(g.EN_TEMPLATES + g.KO_TEMPLATES + g.ES_TEMPLATES + g.JA_TEMPLATES):
        for j in range(3):
            k = i + j
            out.append(tpl.format(usd=f'{61234 + 97 * k:,}', krw=f'{84123000 + 1000 * k:,}', level='61,000',
                                  pct=f'{0.3 * k:.1f}', dir='up' if k % 2 else 'down', kdir='상승',
                                  es_dir='subiendo', mood=g.MOODS[k % len(g.MOODS)],
                                  emoji=g.EMOJI[k % len(g.EMOJI)], adj=g.ADJ[k % len(g.ADJ)]))
    return out


def fixture_tweets():
    texts = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ('text', 'full_text') and isinstance(v, str):
                    texts.append(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for x in o:
                walk(x)

    d = os.path.join(root, 'tests', 'fixtures', 'x_api')
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if name.endswith('.jsonl'):
            with open(path, encoding='utf-8') as f:
                for line in f:
                    walk(json.loads(line))
        elif name.endswith('.yaml'):
            text = open(path, encoding='utf-8').read()
            for m in re.finditer(r'!!binary \|\n((?:        \S+\n)+)', text):
                walk(json.loads(gzip.decompress(base64.b64decode(''.join(m.group(1).split())))))
    return texts


def main(reference):
    sys.path.insert(0, reference)
    from vaderSentiment import vaderSentiment as ref
    analyzer = ref.SentimentIntensityAnalyzer()
    commit = subprocess.run(['git', '-C', reference, 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout.strip()
    seen, rows = set(), []
    for text in hand_written() + generated() + fixture_tweets():
        if text in seen:
            continue
        seen.add(text)
        published = analyzer.polarity_scores(text)
        ref.round = lambda x, n=None: x
        try:
            exact = analyzer.polarity_scores(text)
        finally:
            del ref.round
        rows.append([repr(published[k]) for k in ('neg', 'neu', 'pos', 'compound')] +
                    [repr(exact[k]) for k in ('neg', 'neu', 'pos', 'compound')] + [escape(text)])
    print('# Expected VADER scores, from the reference implementation: github.com/cjhutto/vaderSentiment')
    print(f'# at commit {commit or "(unknown)"}, run with Python {sys.version.split()[0]}'
          ' by tests/data/make_vader_expected.py (see there for the command).')
    print('# neg neu pos compound (as published: rounded), then the same before rounding, then the text'
          ' (escapes: \\\\ \\t \\n \\r \\uXXXX \\UXXXXXXXX).')
    for r in rows:
        print('\t'.join(r))


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
