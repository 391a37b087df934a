"""Decode the PBC crops once and cache them as the model will see them (framed by its input policy).

    python3 tools/train_default/cache_dataset.py --policy cell-centred-v1 --margin 0.5 --size 128 --views 4

train: `views` renders per crop (views.py: view 0 the plain crop, the others with random zoom, tight
crops, lower resolution and JPEG), each framed by the policy exactly as the app frames a crop
("whole-bilinear-antialias": the whole crop resized with PIL's antialiased bilinear, which
src/core/preprocess.ts reproduces bit-exactly; "cell-centred-v1": cellcrop.py, the mirror of
src/core/cellCrop.ts) → x[N, views, size, size, 3] uint8.  val: the plain crops, framed → x[N, size, size, 3].
Files: .cache/{train,val}_<policy>_<size>[_m<margin>]_k<views>.npz (val without _k).
"""
from __future__ import annotations

import argparse
import os
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

import cellcrop
from views import frame, random_view

CLASSES = ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]
HERE = Path(__file__).resolve().parent


def cache_name(split: str, policy: str, size: int, margin: float, views: int) -> str:
    tag = "cell" if policy == cellcrop.POLICY else "whole"
    m = f"_m{margin:g}" if policy == cellcrop.POLICY else ""
    k = f"_k{views}" if split == "train" else ""
    return f"{split}_{tag}_{size}{m}{k}.npz"


def _render(job: tuple[str, str, int, float, int, int]) -> np.ndarray:
    path, policy, size, margin, views, seed = job
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"))
    out = np.empty((views, size, size, 3), dtype=np.uint8)
    out[0] = frame(a, policy, size, margin)
    for k in range(1, views):
        out[k] = frame(random_view(a, np.random.default_rng([seed, k])), policy, size, margin)
    return out


def list_files(root: Path, split: str) -> tuple[list[str], list[int]]:
    files: list[str] = []
    labels: list[int] = []
    for ci, c in enumerate(CLASSES):
        for f in sorted((root / split / c).iterdir()):
            if f.suffix.lower() in {".jpg", ".jpeg", ".png"}:
                files.append(str(f))
                labels.append(ci)
    return files, labels


def cache_split(root: Path, split: str, policy: str, size: int, margin: float, views: int, out: Path, seed: int) -> None:
    files, labels = list_files(root, split)
    k = views if split == "train" else 1
    x = np.empty((len(files), k, size, size, 3), dtype=np.uint8)
    jobs = [(f, policy, size, margin, k, seed * 1_000_003 + i) for i, f in enumerate(files)]
    with Pool(os.cpu_count() or 1) as pool:
        for i, v in enumerate(pool.imap(_render, jobs, chunksize=16)):
            x[i] = v
    if split != "train":
        x = x[:, 0]
    np.savez(out, x=x, y=np.array(labels, dtype=np.int64), files=np.array([os.path.relpath(f, root) for f in files]),
             classes=np.array(CLASSES), policy=policy, margin=margin, size=size)
    print(f"{split}: {len(files)} images -> {out} {x.shape}", flush=True)


def ensure_cache(data: Path, policy: str, size: int, margin: float, views: int, seed: int = 0) -> tuple[Path, Path]:
    cache = HERE / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    paths = []
    for split in ("train", "val"):
        target = cache / cache_name(split, policy, size, margin, views)
        if not target.exists():
            tmp = target.with_suffix(".tmp.npz")
            cache_split(data, split, policy, size, margin, views, tmp, seed)
            os.replace(tmp, target)
        paths.append(target)
    return paths[0], paths[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(HERE.parents[2] / "shared/datasets/pbc"))
    ap.add_argument("--policy", default=cellcrop.POLICY)
    ap.add_argument("--margin", type=float, default=0.5)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--views", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(ensure_cache(Path(a.data), a.policy, a.size, a.margin, a.views, a.seed))


if __name__ == "__main__":
    main()
