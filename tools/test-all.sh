#!/usr/bin/env bash
# Every test of the project: types, unit (with the Python suite beside it), build, e2e; the Python
# results are printed after the e2e. A failure in any of them fails the run.
# This is what `npm test` runs and what .ci/run runs after installing.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "Chromium not found at $chromium: install it (apt-get install chromium) or set CHROMIUM_PATH." >&2
  exit 1
fi
if ! python3 -c "import torch, onnx, onnxruntime, jsonschema, safetensors, sklearn, PIL, pytest" 2>/dev/null; then
  echo "Python tool requirements missing: pip install -r tools/requirements.txt" >&2
  exit 1
fi

# Each phase's header says how far into the run it starts (the CI budget is 20 minutes in all).
phase() { echo "== $1 (at $SECONDS s)"; }
phase typecheck; npx tsc -b
# The Python suite (mostly checkpoint conversions, each one core-bound process) runs beside vitest, the
# build and the first e2e tests, in two halves of about equal CPU time, so that no core idles: the ViT-S
# conversions and templates in one; the ViT-B conversion, the B template and everything else in the
# other (a new test file lands in the second). Their output is printed when both end, after the e2e.
pylog_s="$(mktemp)"; pylog_rest="$(mktemp)"
python3 -m pytest -q tools/tests/test_convert.py tools/tests/test_templates.py \
  -k "not test_b_converts_and_verifies and not B-768" >"$pylog_s" 2>&1 &
pypid_s=$!
python3 -m pytest -q tools/tests \
  -k "not test_convert.py and not test_templates.py or test_b_converts_and_verifies or B-768" >"$pylog_rest" 2>&1 &
pypid_rest=$!
trap 'kill "$pypid_s" "$pypid_rest" 2>/dev/null || true; rm -f "$pylog_s" "$pylog_rest"' EXIT
phase "unit (vitest)"; npx vitest run
phase build; npx vite build --logLevel warn
# The e2e starts without waiting for the Python halves: when vitest and the build end first, the core
# one half leaves idle goes to the browser instead (the e2e's first tests are short, single-page ones).
phase "e2e (playwright, $chromium)"
e2e_ok=1
npx playwright test || e2e_ok=0
if [ "$e2e_ok" = 0 ]; then
  # A CI log is often all there is of a failure: each failed test's page snapshot (its ARIA tree at
  # the moment it failed) goes into it, so that a rare failure can be read without its trace.
  for f in test-results/*/error-context.md; do
    [ -f "$f" ] || continue
    echo "---- $f"; head -c 12000 "$f"; echo
  done
fi
phase "python (pytest in two halves, started after the typecheck)"
py_ok=1
wait "$pypid_s" || py_ok=0
wait "$pypid_rest" || py_ok=0
cat "$pylog_s" "$pylog_rest"
phase done
if [ "$py_ok" = 0 ]; then echo "pytest failed" >&2; fi
if [ "$e2e_ok" = 0 ]; then echo "e2e failed" >&2; fi
if [ "$py_ok" = 0 ] || [ "$e2e_ok" = 0 ]; then exit 1; fi
