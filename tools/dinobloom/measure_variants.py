"""Measure the export choices behind convert.py on one checkpoint (accuracy vs torch, size, native
ORT ms/image), interleaving the candidates round-robin so a busy machine biases none of them.

    python3 -m tools.dinobloom.measure_variants CHECKPOINT [--rounds 7] [--threads 1] [--keep DIR]

Candidates: fp32 as exported vs with onnxruntime.transformers fusions (model_type "vit");
dynamic int8 per-tensor/per-channel x QInt8/QUInt8 weights (unfused), per-channel QInt8 on the fused
graph; fp16 with and without LayerNormalization kept in fp32.
"""
from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from . import bundle
from .checkpoints import load_checkpoint
from .convert import random_inputs, torch_embed


def fuse(src: Path, dst: Path, num_heads: int, dim: int) -> Path:
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    logging.disable(logging.WARNING)
    m = optimizer.optimize_model(str(src), model_type="vit", num_heads=num_heads, hidden_size=dim,
                                 optimization_options=FusionOptions("vit"), opt_level=0, use_gpu=False)
    logging.disable(logging.NOTSET)
    m.save_model_to_file(str(dst))
    return dst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--num-heads", type=int)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keep", help="write the candidate files here instead of a temp dir")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    ck = load_checkpoint(a.checkpoint, num_heads=a.num_heads)
    model = ck.build_model()
    x = random_inputs(4, seed=0)
    ref = torch_embed(model, x)
    cfg = ck.config
    with tempfile.TemporaryDirectory() as td:
        d = Path(a.keep or td)
        d.mkdir(parents=True, exist_ok=True)
        t = time.time()
        fp32 = bundle.export_onnx(model, d / "fp32.onnx", torch.from_numpy(x[:1]))
        print(f"export {time.time() - t:.1f}s")
        t = time.time()
        fused = fuse(fp32, d / "fp32_fused.onnx", cfg.num_heads, cfg.dim)
        print(f"fusion {time.time() - t:.1f}s: ops {bundle.graph_ops(fused)}")
        cands: dict[str, Path] = {"fp32 unfused": fp32, "fp32 fused": fused}
        for pc in (False, True):
            for wt in ("QInt8", "QUInt8"):
                name = f"int8 {'per-channel' if pc else 'per-tensor'} {wt}"
                t = time.time()
                cands[name] = bundle.quantize_int8(fp32, d / f"int8_{pc}_{wt}.onnx", per_channel=pc, weight_type=wt)
                print(f"{name}: quantised in {time.time() - t:.1f}s")
        cands["int8 per-channel QInt8, fused graph"] = bundle.quantize_int8(fused, d / "int8_fused.onnx")
        cands["fp16"] = bundle.convert_fp16(fp32, d / "fp16.onnx")
        cands["fp16, LayerNorm fp32"] = bundle.convert_fp16(fp32, d / "fp16_ln32.onnx", keep_fp32_ops=("LayerNormalization",))

        acc = {k: bundle.verify_onnx(p, x, ref, threads=a.threads) for k, p in cands.items()}
        sessions = {k: bundle._session(p, a.threads) for k, p in cands.items()}
        feed = {"pixel_values": x[:1]}
        times: dict[str, list[float]] = {k: [] for k in cands}
        for s in sessions.values():
            s.run(None, feed)
        for _ in range(a.rounds):
            for k, s in sessions.items():
                t = time.perf_counter()
                s.run(None, feed)
                times[k].append(1000 * (time.perf_counter() - t))
        print(f"\n{ck.variant} ({ck.path.name}); native onnxruntime CPU EP, batch 1, {a.threads} thread(s), "
              f"median of {a.rounds} interleaved rounds")
        print(f"  {'candidate':38s} {'MB':>7s} {'maxAbsDiff':>10s} {'minCosine':>10s} {'ms/img':>8s}")
        for k, p in cands.items():
            print(f"  {k:38s} {p.stat().st_size / 1e6:7.2f} {acc[k]['maxAbsDiff']:10.3g} {acc[k]['minCosine']:10.6f} "
                  f"{np.median(times[k]):8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
