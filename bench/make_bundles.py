"""Random-weight DinoBloom-S / DinoBloom-B bundles for `npm run bench`, made by the real converter.

    python3 bench/make_bundles.py --out bench/.cache/bundles [--sizes s,b] [--fp16]

Each size: a seeded random official-layout state dict (tools.dinobloom.vit.random_state_dict) is saved
as a flat (Hugging Face layout) checkpoint and converted + verified by tools.dinobloom.convert, with a
seeded random linear head over the 8 PBC classes so the app can load it. The weights are random: the
bundles measure speed only. A size whose bundle already exists (manifest.json present) is skipped.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.dinobloom.convert import convert  # noqa: E402
from tools.dinobloom.vit import random_state_dict  # noqa: E402

SIZES = {"s": (384, 12, 6), "b": (768, 12, 12)}
PBC_CLASSES = ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]
SEED = 1234


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "bench" / ".cache" / "bundles"))
    ap.add_argument("--sizes", default="s,b")
    ap.add_argument("--fp16", action="store_true", help="also write the fp16 (WebGPU) variant")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(max(1, a.threads))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for size in [s.strip().lower() for s in a.sizes.split(",") if s.strip()]:
        dim, depth, heads = SIZES[size]
        dst = out / f"dinobloom-{size}-random"
        if (dst / "manifest.json").exists():
            print(f"{dst}: exists, skipped", flush=True)
            continue
        t = time.time()
        sd = random_state_dict(dim, depth, heads, seed=SEED)
        rng = np.random.default_rng(SEED)
        head = {"classes": PBC_CLASSES, "weight": np.round(rng.standard_normal((len(PBC_CLASSES), dim)) / np.sqrt(dim), 4),
                "bias": np.zeros(len(PBC_CLASSES)), "trainedOn": "nothing: seeded random weights (benchmark model)"}
        with tempfile.TemporaryDirectory() as td:
            ckpt = Path(td) / f"pytorch_model_{size}.bin"
            torch.save(sd, ckpt)
            convert(ckpt, dst, model_id=f"bench-dinobloom-{size}-random", name=f"DinoBloom-{size.upper()} (random weights, benchmark)",
                    version="0.0.0-bench", overwrite=True, skip_fp16=not a.fp16, bench_runs=0, threads=a.threads,
                    n_random=2, head=head, test_model=True, source_label="random-init",
                    description=f"DinoBloom-{size.upper()} architecture with seeded random weights, made by bench/make_bundles.py "
                                f"to measure speed. It classifies nothing.")
        print(f"{dst}: made in {time.time() - t:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
