#!/usr/bin/env python3
"""The SQL's house rules, checked on the sources: no file under sql/install
or sql/code over 500 lines, no function body over 100 lines, every CREATE of
a function, view or aggregate in sql/code is CREATE OR REPLACE (code/ is
replayed by every upgrade), every GRANT/REVOKE is in sql/code/90_privileges.sql,
and every non-C function pins search_path in its own definition unless it is
an internal SQL helper the planner inlines (declared with "-- inlined"
right above it). Prints the largest sizes it saw."""
import os, re, sys

root = os.environ.get('PULSE_SOURCE_DIR') or os.path.join(os.path.dirname(__file__), '..', '..')
sqldir = os.path.join(root, 'sql')
files = []
for sub in ('install', 'code'):
    d = os.path.join(sqldir, sub)
    files += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith('.sql')]
problems = []
biggest_file = (0, '')
biggest_fn = (0, '')
create_re = re.compile(r'^CREATE (OR REPLACE )?(FUNCTION|AGGREGATE|VIEW|PROCEDURE) ([^\s(]+)', re.M)
for path in files:
    rel = os.path.relpath(path, root)
    text = open(path, encoding='utf-8').read()
    lines = text.split('\n')
    biggest_file = max(biggest_file, (len(lines), rel))
    if len(lines) > 500:
        problems.append(f'{rel}: {len(lines)} lines (at most 500)')
    if re.search(r'^\s*(GRANT|REVOKE)\b', text, re.M) and not rel.endswith('90_privileges.sql'):
        problems.append(f'{rel}: GRANT/REVOKE outside sql/code/90_privileges.sql')
    for m in create_re.finditer(text):
        start = text.count('\n', 0, m.start())
        name = m.group(3)
        if rel.startswith('sql/code') and not m.group(1):
            problems.append(f'{rel}:{start + 1}: CREATE {m.group(2)} {name} without OR REPLACE')
        if m.group(2) != 'FUNCTION':
            continue
        # the statement ends at the first line that ends with ';' after the body
        body_end = start
        depth_tag = None
        header = []
        for i in range(start, len(lines)):
            header.append(lines[i])
            tags = re.findall(r'\$[a-zA-Z_]*\$', lines[i])
            for t in tags:
                depth_tag = None if depth_tag == t else (depth_tag or t)
            if depth_tag is None and lines[i].rstrip().endswith(';'):
                body_end = i
                break
        stmt = '\n'.join(lines[start:body_end + 1])
        size = body_end - start + 1
        biggest_fn = max(biggest_fn, (size, f'{rel}:{start + 1} {name}'))
        if size > 100:
            problems.append(f'{rel}:{start + 1}: function {name} is {size} lines (at most 100)')
        lang = re.search(r'LANGUAGE\s+(\w+)', stmt)
        lang = lang.group(1).lower() if lang else '?'
        if lang in ('plpgsql', 'sql') and 'SET search_path' not in stmt:
            prev = lines[start - 1] if start > 0 else ''
            inlined = prev.strip() == '-- inlined' and name.startswith('pulse_internal.') and lang == 'sql'
            # a SECURITY INVOKER entry point that resolves names the caller
            # wrote (a query text) in the caller's search_path, as CREATE VIEW does
            callers = prev.strip() == "-- caller's search_path" and 'SECURITY DEFINER' not in stmt
            if not (inlined or callers):
                problems.append(f'{rel}:{start + 1}: function {name} does not pin search_path')
for p in problems:
    print('FAIL ' + p)
print(f'largest file: {biggest_file[1]} ({biggest_file[0]} lines); largest function: {biggest_fn[1]} ({biggest_fn[0]} lines)')
sys.exit(1 if problems else 0)
