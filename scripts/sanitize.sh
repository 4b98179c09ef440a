#!/usr/bin/env bash
# Runs the test suites under ThreadSanitizer or AddressSanitizer (release build, so the numeric
# suites finish), one test target at a time, each bounded by a timeout; docs/RELIABILITY.md.
#   scripts/sanitize.sh thread|address [TARGET…]     e.g. scripts/sanitize.sh thread ComputeTests DataTests
# No TARGET: every test target. Exit 1 if any suite fails or any sanitizer report is written.
# Env: SANITIZE_TIMEOUT (seconds per suite, default 1800), SANITIZE_SKIP_BUILD=1 (reuse the build).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

case "${1:-}" in
  thread)  short=tsan ;;
  address) short=asan ;;
  *) echo "usage: scripts/sanitize.sh thread|address [TestTarget…]" >&2; exit 2 ;;
esac
sanitizer=$1; shift
build=".build-$short"
logs="$build/sanitize-logs"
timeout_s=${SANITIZE_TIMEOUT:-1800}

all_targets=(BasicsTests RecipeTests PipelineTests ComputeTests QuantTests FormatsTests TokenizerTests
             ChatTemplateTests ModelsTests DataTests TrainingTests ReportsTests HubTests StagesTests
             BenchTests CLITests)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# Reports go to files (log_path), not stderr: the CLI tests run the sanitized `runner` as a child
# and compare its stderr, and a child's report would otherwise be swallowed by the test. The options
# reach those children through the environment, so paths are absolute.
if [ "$sanitizer" = thread ]; then
  # halt_on_error=0: keep going and report every race; exitcode=66 still fails the process (and so
  # a CLI test whose child raced).
  export TSAN_OPTIONS="suppressions=$root/scripts/sanitizers/tsan.supp halt_on_error=0 exitcode=66 second_deadlock_stack=1 history_size=4"
else
  # detect_leaks=0: LeakSanitizer reports Swift globals reachable only through enum payloads
  # (docs/RELIABILITY.md); every child `runner` would exit 23 on those.
  export ASAN_OPTIONS="detect_leaks=0 halt_on_error=1 exitcode=66 detect_stack_use_after_return=0"
fi

mkdir -p "$logs"
if [ "${SANITIZE_SKIP_BUILD:-0}" != 1 ]; then
  echo "sanitize: building ($sanitizer, release) into $build"
  start=$SECONDS
  # `swift test list` builds exactly what `swift test` runs (testable imports on; `swift build
  # --build-tests -c release` leaves them off), then lists the tests under the sanitizer.
  nice swift test list -c release --sanitize="$sanitizer" --build-path "$build" > "$logs/build.log" 2>&1 \
    || { tail -n 40 "$logs/build.log"; exit 1; }
  echo "sanitize: build took $((SECONDS - start)) s"
fi

status=0
summary=()
for target in "${targets[@]}"; do
  reports="$root/$logs/$target"
  rm -rf "$reports"; mkdir -p "$reports"
  if [ "$sanitizer" = thread ]; then
    export TSAN_OPTIONS="${TSAN_OPTIONS%% log_path=*} log_path=$reports/report"
  else
    export ASAN_OPTIONS="${ASAN_OPTIONS%% log_path=*} log_path=$reports/report"
  fi
  start=$SECONDS
  # The test bundle itself, as `swift test --skip-build` runs it (every suite is Swift Testing), but
  # without SwiftPM's lock on the build directory, so several invocations can run side by side.
  timeout "$timeout_s" nice "$build/release/runnerPackageTests.xctest" --testing-library swift-testing \
    --filter "^$target\." > "$logs/$target.log" 2>&1
  rc=$?
  took=$((SECONDS - start))
  count=$(cat "$reports"/report.* 2>/dev/null | grep -cE '^(WARNING: ThreadSanitizer|ERROR: AddressSanitizer|SUMMARY: UndefinedBehavior)' || true)
  passed=$(grep -oE 'Test run with [0-9]+ tests? (in [0-9]+ suites? )?passed' "$logs/$target.log" | tail -n 1)
  failed=$(grep -oE 'Test run with [0-9]+ tests? (in [0-9]+ suites? )?failed.*' "$logs/$target.log" | tail -n 1)
  verdict="clean"
  if [ "$rc" -eq 124 ]; then verdict="TIMEOUT after ${timeout_s}s"; status=1
  elif [ "$count" -gt 0 ]; then verdict="$count report(s): $reports"; status=1
  elif [ "$rc" -ne 0 ]; then verdict="FAILED (exit $rc): ${failed:-see $logs/$target.log}"; status=1
  fi
  line=$(printf '%-18s %5ss  %s  %s' "$target" "$took" "$verdict" "${passed}")
  echo "sanitize: $line"
  summary+=("$line")
done

echo
echo "sanitize ($sanitizer) summary:"
printf '  %s\n' "${summary[@]}"
exit $status
