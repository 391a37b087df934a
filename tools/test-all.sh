#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to find: types, unit, Python, build, e2e.
# This is what `npm test` runs and what .ci/run runs after installing.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== typecheck"; npx tsc -b
echo "== unit (vitest)"; npx vitest run
echo "== python (pytest)"; python3 -m pytest -q tools/tests
echo "== build"; npx vite build --logLevel warn
echo "== e2e (playwright, /usr/bin/chromium)"; npx playwright test
