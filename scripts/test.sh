#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs every test suite in release
# mode (numeric code is 10–100× slower in debug builds).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product runner
swift test -c release --parallel 2>&1 | tee .build/test.log
