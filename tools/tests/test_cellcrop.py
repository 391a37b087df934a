"""The Python side of the cell-centred input (tools/train_default/cellcrop.py) against the committed parity
fixtures that src/core/cellCrop.test.ts checks the TypeScript side against: if one side changes, the
fixtures must be regenerated (tools/fixtures/make_cellcrop_fixture.py) and both tests rerun."""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
import cellcrop  # noqa: E402
from shifts import SHIFTS, apply_shift  # noqa: E402

FIX = ROOT / "src" / "core" / "__fixtures__" / "cellcrop"
INDEX = json.loads((FIX / "index.json").read_text())


def _input(key: str) -> np.ndarray:
    m = INDEX["inputs"][key]
    return np.frombuffer(gzip.decompress((FIX / m["file"]).read_bytes()), np.uint8).reshape(m["height"], m["width"], 3)


@pytest.mark.parametrize("case", INDEX["cases"], ids=[c["name"] for c in INDEX["cases"]])
def test_fixture_matches_the_training_code(case: dict) -> None:
    img, f = cellcrop.frame(_input(case["input"]), INDEX["size"], case["margin"])
    assert f.cell_found == case["cellFound"]
    if f.cell_found:
        assert {"left": f.left, "top": f.top, "side": f.side, "fill": list(f.fill)} == case["window"]
    else:
        assert f.note == case["note"]
    assert hashlib.sha256(img.tobytes()).hexdigest() == case["imageSha256"]


def test_two_cells_frames_the_central_one() -> None:
    a = _input("two_cells")
    f = cellcrop.find_cell(a, 0.5)
    assert f.left + f.side / 2 > a.shape[1] / 2


def test_shifts_are_seeded_per_image() -> None:
    a = _input("lymphocyte_half")
    for name in SHIFTS:
        one, two = apply_shift(name, a, "x/a.jpg"), apply_shift(name, a, "x/a.jpg")
        assert np.array_equal(one, two), name
    assert not np.array_equal(apply_shift("stain", a, "x/a.jpg"), apply_shift("stain", a, "x/b.jpg"))
