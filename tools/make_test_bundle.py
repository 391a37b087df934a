"""Write the tiny random-weight test bundle used by the app's tests: public/models/test-tiny-dinov2/.

    python3 tools/make_test_bundle.py [--out public/models/test-tiny-dinov2]

A genuine DINOv2 layout (patch 14, 224 input, pos_embed [1, 257, D], LayerScale, qkv bias, final
LayerNorm, CLS output) but tiny (D=32, 2 blocks, 2 heads) with seeded random weights, plus a seeded
random linear head over the 8 PBC classes. It goes through the real converter: the state dict is
saved as a flat (HF-style) checkpoint in a temp dir and converted + verified by
tools.dinobloom.convert. Weights (and head.json) are identical on every run; ONNX bytes may differ.
NOT A REAL MODEL - never use it on patients.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tools.dinobloom.convert import convert, preprocess_pil, torch_embed  # noqa: E402
from tools.dinobloom.vit import DinoVisionTransformer, ViTConfig, random_state_dict  # noqa: E402

ID = "test-tiny-dinov2"
NAME = "Test model (random weights) — not for diagnosis"
PBC_CLASSES = ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]
DIM, DEPTH, HEADS = 32, 2, 2
SEED = 20240405
HEAD_SCALE = 2.5  # logits spread so that some synthetic cells clear the 0.5 threshold and some do not


def synthetic_cells(n: int, seed: int) -> np.ndarray:
    """Seeded cell-like crops (a purple disc with a paler rim on a pink background), preprocessed
    exactly like the app does, to centre the random head on the encoder's embedding distribution."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:96, 0:96]
    out = []
    for _ in range(n):
        bg = np.array([230, 200, 210]) + rng.integers(-25, 25, 3)
        cy, cx = rng.uniform(30, 66, 2)
        r = rng.uniform(12, 34)
        d = np.hypot(yy - cy, xx - cx)
        nucleus = np.array([110, 60, 150]) + rng.integers(-40, 40, 3)
        img = np.where((d < r * rng.uniform(0.4, 0.9))[..., None], nucleus,
                       np.where((d < r)[..., None], (bg + nucleus) / 2, bg))
        img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
        out.append(preprocess_pil(Image.fromarray(img, "RGB")))
    return np.stack(out)


def tiny_head(sd: dict, seed: int = SEED) -> dict:
    """Seeded random linear head, standardised on synthetic cells (folded into weight/bias, as the
    bundle contract requires), so the test model spreads its predictions over the classes."""
    model = DinoVisionTransformer(ViTConfig(dim=DIM, depth=DEPTH, num_heads=HEADS))
    model.load_state_dict(sd)
    emb = torch_embed(model.eval(), synthetic_cells(64, seed)).astype(np.float64)
    mean, std = emb.mean(0), emb.std(0) + 1e-6
    rng = np.random.default_rng(seed + 1)
    w = HEAD_SCALE * rng.standard_normal((len(PBC_CLASSES), DIM)) / np.sqrt(DIM) / std
    b = -w @ mean + 0.1 * rng.standard_normal(len(PBC_CLASSES))
    # rounded so that tiny float differences between machines cannot change head.json
    return {"classes": PBC_CLASSES, "weight": np.round(w, 3), "bias": np.round(b, 3),
            "trainedOn": "nothing: seeded random weights (test model)"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO_ROOT / "public" / "models" / ID))
    ap.add_argument("--skip-fp16", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    sd = random_state_dict(DIM, DEPTH, HEADS, seed=SEED)
    with tempfile.TemporaryDirectory() as td:
        ckpt = Path(td) / "tiny_flat.bin"
        torch.save(sd, ckpt)
        res = convert(ckpt, a.out, name=NAME, model_id=ID, version="1.0.0-test", num_heads=HEADS,
                      overwrite=True, skip_fp16=a.skip_fp16, bench_runs=3, source_label="random-init",
                      variant_label="vit_tiny_test_patch14", test_model=True, head=tiny_head(sd),
                      description="Tiny DINOv2-layout ViT (D=32, 2 blocks, 2 heads, patch 14, 224 px) and linear "
                                  "head with seeded random weights, for automated tests of DinoBloom Web. It "
                                  "classifies nothing: NOT FOR DIAGNOSIS. Made by tools/make_test_bundle.py.")
    total = sum(p.stat().st_size for p in Path(a.out).iterdir())
    print(f"test bundle: {a.out} ({total / 1024:.0f} KiB in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
