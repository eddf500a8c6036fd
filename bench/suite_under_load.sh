#!/usr/bin/env bash
# The suite's stability proof (issue 7): RUNS full runs of the README's test command in a fresh clone of COMMIT
# (default HEAD), in an empty folder with no ../shared beside it, while `yes` keeps one core busy the whole time.
# Stops at the first failing run. Prints one line per run; the logs stay in the work folder it names.
#
#   bench/suite_under_load.sh [RUNS] [COMMIT]        e.g. bench/suite_under_load.sh 10
set -euo pipefail
runs=${1:-10}
commit=$(git rev-parse "${2:-HEAD}")
repo=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
git clone -q "$repo" "$work/tvbridge"
cd "$work/tvbridge"
git checkout -q "$commit"
python3 -m venv .venv
.venv/bin/pip install -q -e ".[dev]"
# the load: one core of the machine's (here the last) is kept busy by another process for every run
taskset -c "$(( $(nproc) - 1 ))" yes > /dev/null &
load=$!
trap 'kill $load' EXIT
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, one kept busy by \`yes\` (pid $load); logs in $work"
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  rc=0
  PYTEST_DEBUG_TEMPROOT="$work" .venv/bin/pytest -q -p no:cacheprovider -rfE > "$work/run-$i.log" 2>&1 || rc=$?
  echo "run $i: exit $rc in $(( $(date +%s) - start )) s: $(tail -1 "$work/run-$i.log")"
  [ "$rc" -eq 0 ] || exit "$rc"
done
