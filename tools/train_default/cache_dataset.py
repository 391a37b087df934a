"""Decode the PBC crops once and cache them, resized exactly as the app resizes them.

The app resizes the *whole* crop straight to the bundle's input size with antialiased bilinear
(PIL's Image.resize(BILINEAR), which is what torchvision's Resize does on a PIL image). Caching the
training images through the very same call means train-time and app-time pixels agree; augmentation
then happens on these cached tensors. A second copy of each training image is re-encoded as JPEG at
a random low quality so the model also sees compression artefacts of other labs' scanners.
"""
from __future__ import annotations

import argparse
import io
import os
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]


def _load(args: tuple[str, int, int]) -> tuple[np.ndarray, np.ndarray]:
    path, size, seed = args
    rng = np.random.default_rng(seed)
    with Image.open(path) as im:
        im = im.convert("RGB")
        # JPEG re-encode at the source resolution (where scanners compress), then resize.
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=int(rng.integers(25, 80)))
        buf.seek(0)
        jpg = Image.open(buf).convert("RGB")
        a = np.asarray(im.resize((size, size), Image.BILINEAR), dtype=np.uint8)
        b = np.asarray(jpg.resize((size, size), Image.BILINEAR), dtype=np.uint8)
    return a, b


def cache_split(root: Path, split: str, size: int, out: Path, seed: int) -> None:
    files: list[str] = []
    labels: list[int] = []
    for ci, c in enumerate(CLASSES):
        for f in sorted((root / split / c).iterdir()):
            if f.suffix.lower() in {".jpg", ".jpeg", ".png"}:
                files.append(str(f))
                labels.append(ci)
    with Pool(os.cpu_count() or 1) as pool:
        pairs = pool.map(_load, [(f, size, seed * 1_000_003 + i) for i, f in enumerate(files)], chunksize=64)
    x = np.stack([p[0] for p in pairs])
    xj = np.stack([p[1] for p in pairs])
    np.savez(out, x=x, x_jpeg=xj, y=np.array(labels, dtype=np.int64),
             files=np.array([os.path.relpath(f, root) for f in files]), classes=np.array(CLASSES))
    print(f"{split}: {len(files)} images -> {out} {x.shape}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/datasets/pbc")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--out", default="tools/train_default/.cache")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val"):
        target = out / f"{split}_{a.size}.npz"
        if target.exists():
            print(f"{split}: cached at {target}")
            continue
        cache_split(Path(a.data), split, a.size, target, a.seed)


if __name__ == "__main__":
    main()
