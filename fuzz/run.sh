#!/usr/bin/env bash
# Builds every libFuzzer target (fuzz/build.sh) and fuzzes each for [seconds] (default 20), starting
# from its committed seed corpus fuzz/corpus/<target>/. Fails on any finding: a crash, a trap, an
# ASan report, a timeout (> 10 s for one input) or an input that needs more than 2 GB.
# New interesting inputs go to .build-fuzz/corpus/<target>/ (not the committed seeds); crashing
# inputs to .build-fuzz/findings/<target>/. Usage: fuzz/run.sh [seconds] [target…]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}; shift || true
fuzz/build.sh "$@"
out=${FUZZ_BUILD_DIR:-$PWD/.build-fuzz}
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in fuzz/targets/*.swift; do targets+=("$(basename "$f" .swift)"); done
fi
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t" "$out/findings/$t"
  log=$out/$t.log
  echo "fuzz/run.sh: $t for ${seconds}s"
  # stdin from /dev/null: libFuzzer must not wait on a terminal.
  if ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0 "$out/$t" \
       -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$out/findings/$t/" \
       "$out/corpus/$t" "fuzz/corpus/$t" </dev/null >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov:' "$log" | tail -3 | sed "s/^/  $t: /"
  else
    echo "fuzz/run.sh: $t FAILED; last lines of $log:" >&2
    tail -40 "$log" >&2
    failed+=("$t")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz/run.sh: findings in: ${failed[*]} (inputs under $out/findings/)" >&2
  exit 1
fi
echo "fuzz/run.sh: no findings in ${#targets[@]} targets"
