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
# The Python suite (mostly checkpoint conversions, one core-bound process at a time) runs beside vitest
# and the build, which leave a core idle much of the time; its output is printed when it ends.
pylog="$(mktemp)"
python3 -m pytest -q tools/tests >"$pylog" 2>&1 &
pypid=$!
trap 'kill "$pypid" 2>/dev/null || true; rm -f "$pylog"' EXIT
echo "== unit (vitest)"; npx vitest run
echo "== build"; npx vite build --logLevel warn
echo "== python (pytest, started after the typecheck)"
if ! wait "$pypid"; then cat "$pylog"; echo "pytest failed" >&2; exit 1; fi
cat "$pylog"
echo "== e2e (playwright, $chromium)"; npx playwright test
