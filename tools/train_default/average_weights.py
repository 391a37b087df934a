"""Average the EMA weights of training checkpoints of one lineage (weight-space ensembling).

    python3 tools/train_default/average_weights.py runs/d3-dsu-8ep/epoch6.pt:0.5 runs/d4-dsu-strong/epoch3.pt:0.5 \
        --out runs/s1-soup/best.pt

Why: a fine-tune with strong feature-statistics noise (d4) gains on other labs' cells and loses on PBC;
its starting point (v3) is the reverse. Both come from one run, so they sit in one loss basin and a
weighted mean of their weights is itself a good network that lands between them (Wortsman et al.,
"Robust fine-tuning of zero-shot models", CVPR 2022, and "Model soups", ICML 2022) — at the cost of
one network, unlike a logit ensemble that would halve throughput.

Every floating-point tensor, BatchNorm running statistics included, is averaged with the given weights
(normalised to sum 1); integer buffers (num_batches_tracked) come from the first checkpoint. The
result is a checkpoint like train.py's best.pt (evaluate_shifts.py, export_bundle.py, --init read it)
with `averaged_from` saying what went in. The checkpoints must share widths, stem, classes and input
policy; anything else is refused.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

SAME = ("widths", "stem", "classes", "size", "resize", "margin", "input_norm")


def parse_part(spec: str) -> tuple[Path, float]:
    path, sep, w = spec.rpartition(":")
    if not sep:
        return Path(spec), 1.0
    return Path(path), float(w)


def average(parts: list[tuple[dict, float]]) -> dict:
    """Weighted mean of the checkpoints' EMA state dicts; metadata from the first."""
    first = parts[0][0]
    for ck, _ in parts[1:]:
        for k in SAME:
            if ck.get(k) != first.get(k):
                raise ValueError(f"checkpoints differ in {k}: {first.get(k)!r} vs {ck.get(k)!r}")
        if ck["ema"].keys() != first["ema"].keys():
            raise ValueError("checkpoints have different tensors")
    total = sum(w for _, w in parts)
    if total <= 0 or any(w < 0 for _, w in parts):
        raise ValueError("weights must be non-negative and not all zero")
    state = {}
    for name, t0 in first["ema"].items():
        if t0.is_floating_point():
            state[name] = sum(ck["ema"][name].double() * (w / total) for ck, w in parts).to(t0.dtype)
        else:
            state[name] = t0.clone()
    out = {k: first[k] for k in first if k not in ("ema", "val")}
    out["ema"] = state
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="+", help="checkpoint[:weight] (weight 1 when left out)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    specs = [parse_part(s) for s in a.parts]
    parts = [(torch.load(p, weights_only=False), w) for p, w in specs]  # our own training checkpoints
    ck = average(parts)
    total = sum(w for _, w in specs)
    ck["averaged_from"] = [{"checkpoint": str(p), "epoch": int(c["epoch"]), "weight": round(w / total, 4)}
                           for (p, w), (c, _) in zip(specs, parts)]
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ck, out)
    print(json.dumps({"out": str(out), "averaged_from": ck["averaged_from"]}))


if __name__ == "__main__":
    main()
