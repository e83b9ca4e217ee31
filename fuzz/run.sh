#!/usr/bin/env bash
# Runs each fuzz target for FUZZ_SECONDS (default 30) over a copy of its seed
# corpus, FUZZ_JOBS (default 2) at a time. Called by `make fuzz`.
#   fuzz/run.sh BUILD_DIR [TARGET...]     (targets: bencode http_request ...)
# The committed seeds are never written: the working corpus, which grows from
# run to run, is BUILD_DIR/corpus/<target>; logs are BUILD_DIR/logs/<target>.log;
# a crash, leak, timeout or OOM leaves its input in BUILD_DIR/artifacts/ and
# makes the script exit non-zero.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: fuzz/run.sh BUILD_DIR [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then  # every fuzz/<target>_fuzz.cpp
  for src in "$here"/*_fuzz.cpp; do targets+=("$(basename "$src" _fuzz.cpp)"); done
fi
seconds=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-2}

# Big enough to cross every limit the parser enforces, no bigger: longer
# inputs only slow the mutator down.
max_len() {
  case $1 in
    http_request) echo 24700 ;;         # max_head 16384 and max_body 8192
    http_reply) echo 8300 ;;            # kMaxReplyHead is 8192
    http_query) echo 8300 ;;            # a query is inside an 8192-byte request line
    udp_*|rendezvous_udp|krpc) echo 1600 ;;  # kMaxPacket is 1500
    rendezvous_record) echo 1100 ;;     # kMaxBody is 1040
    rendezvous_json) echo 9000 ;;       # http.max_body is 8192
    *) echo 4096 ;;
  esac
}

export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
[ -x /usr/bin/llvm-symbolizer-14 ] && export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14

run_one() {
  local t=$1 corpus=$build/corpus/$1 log=$build/logs/$1.log dict=()
  mkdir -p "$corpus" "$build/artifacts" "$build/logs"
  cp "$here/corpus/$t/"* "$corpus/"
  [ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
  "$build/fuzz/${t}_fuzz" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=5 \
    -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" "${dict[@]}" "$corpus" >"$log" 2>&1
  echo $? >"$build/logs/$t.status"
}

echo "fuzzing ${targets[*]} for ${seconds}s each, $jobs at a time"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  run_one "$t" &
done
wait

failed=0
for t in "${targets[@]}"; do
  log=$build/logs/$t.log
  status=$(cat "$build/logs/$t.status" 2>/dev/null || echo 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -1)
  if [ "$status" = 0 ]; then
    echo "fuzz.$t: ok, ${execs:-?} runs, $cov"
  else
    failed=1
    echo "fuzz.$t: FAILED (exit $status); log $log"
    # The report's head (what and where), not the shadow-byte map below it.
    grep -m1 -A30 -E '^==[0-9]+==ERROR|runtime error|^ALARM|out-of-memory' "$log" || tail -n 40 "$log"
    ls "$build/artifacts/$t-"* 2>/dev/null | sed 's/^/  artifact: /'
  fi
done
exit $failed
