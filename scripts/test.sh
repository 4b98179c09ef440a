#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs every test suite in release
# mode (numeric code is 10–100× slower in debug builds). `swift test` also builds the `runner`
# binary the CLI tests drive, so nothing is built twice.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift test -c release
