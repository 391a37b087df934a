#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to find: types, unit, Python, build, e2e.
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

echo "== typecheck"; npx tsc -b
# The Python suite (mostly checkpoint conversions, each one core-bound process) runs beside vitest and
# the build in two halves of about equal CPU time, so that neither core idles once vitest and the build
# are done: the ViT-S conversions and templates in one; the ViT-B conversion, the B template and
# everything else in the other (a new test file lands in the second). Their output is printed when both end.
pylog_s="$(mktemp)"; pylog_rest="$(mktemp)"
python3 -m pytest -q tools/tests/test_convert.py tools/tests/test_templates.py \
  -k "not test_b_converts_and_verifies and not B-768" >"$pylog_s" 2>&1 &
pypid_s=$!
python3 -m pytest -q tools/tests \
  -k "not test_convert.py and not test_templates.py or test_b_converts_and_verifies or B-768" >"$pylog_rest" 2>&1 &
pypid_rest=$!
trap 'kill "$pypid_s" "$pypid_rest" 2>/dev/null || true; rm -f "$pylog_s" "$pylog_rest"' EXIT
echo "== unit (vitest)"; npx vitest run
echo "== build"; npx vite build --logLevel warn
echo "== python (pytest in two halves, started after the typecheck)"
py_ok=1
wait "$pypid_s" || py_ok=0
wait "$pypid_rest" || py_ok=0
cat "$pylog_s" "$pylog_rest"
if [ "$py_ok" = 0 ]; then echo "pytest failed" >&2; exit 1; fi
echo "== e2e (playwright, $chromium)"; npx playwright test
