#!/usr/bin/env bash
# clang-tidy with the root's .clang-tidy over every C++ file of this tree
# that the build in BUILD compiles (its compile_commands.json), JOBS at a
# time. Prints the findings; exits non-zero if there is any.
# Usage: scripts/tidy.sh [BUILD [JOBS]]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
jobs=${2:-$(nproc)}
db="$build/compile_commands.json"
if [ ! -f "$db" ]; then
  echo "tidy: no $db: configure that build first (make build)" >&2
  exit 2
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
/usr/bin/python3 -c 'import json, sys; print("\n".join(e["file"] for e in json.load(open(sys.argv[1]))))' "$db" |
  grep "^$root/" | sort -u |
  xargs -P "$jobs" -n 1 clang-tidy-14 -p "$build" --quiet >"$out" 2>&1 || status=$?
# Each file also reports how many warnings (of other code) were suppressed.
grep -v -e ' warnings\? generated\.$' -e '^Suppressed [0-9]* warnings' -e '^Use -header-filter' "$out" || true
if [ "$status" -ne 0 ]; then
  echo "tidy: findings above (checks and reasons: .clang-tidy)" >&2
  exit 1
fi
