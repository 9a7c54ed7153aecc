#!/usr/bin/env bash
# Fails when a regression .sql file is not in the schedule (or the schedule
# names a test without its .sql or expected output).
set -euo pipefail
dir=${PULSE_SOURCE_DIR:?}/tests/regress
listed=$(sed -n 's/^test:[[:space:]]*//p' "$dir/schedule" | tr ' ' '\n' | sed '/^$/d' | sort)
present=$(cd "$dir/sql" && ls *.sql | sed 's/\.sql$//' | sort)
status=0
for t in $(comm -13 <(echo "$listed") <(echo "$present")); do echo "not in schedule: sql/$t.sql"; status=1; done
for t in $listed; do
  [ -f "$dir/sql/$t.sql" ] || { echo "schedule names $t but sql/$t.sql is missing"; status=1; }
  [ -f "$dir/expected/$t.out" ] || { echo "schedule names $t but expected/$t.out is missing"; status=1; }
done
[ "$status" = 0 ] && echo "schedule lists all $(echo "$present" | wc -l) regression tests"
exit "$status"
