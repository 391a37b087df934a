"""Temperature scaling for the default model's linear head (fitted on held-in data, never on LISC).

softmax(z / T) with one T > 0 fitted by minimising the negative log-likelihood on half of PBC val (a
seeded split, stratified by class); the other half and LISC measure the expected calibration error
(ECE: 15 equal-width confidence bins, |accuracy − confidence| weighted by the bin's share) before and
after. export_bundle.py folds T into head.json (weight / T, bias / T), so the head stays linear-softmax.

    python3 tools/train_default/calibrate.py tools/train_default/runs/<run>/best.pt
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SPLIT_SEED = 7


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def nll(logits: np.ndarray, y: np.ndarray, t: float) -> float:
    z = logits / t
    z = z - z.max(1, keepdims=True)
    return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(1))).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """argmin_T NLL, golden-section search on log T in [0.05, 20] (NLL is unimodal in T)."""
    lo, hi = np.log(0.05), np.log(20.0)
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(logits, y, np.exp(a)), nll(logits, y, np.exp(b))
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(logits, y, np.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(logits, y, np.exp(b))
    return float(np.exp((lo + hi) / 2))


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    conf, pred = probs.max(1), probs.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for i in range(bins):
        sel = (conf > edges[i]) & (conf <= edges[i + 1])
        if sel.any():
            total += sel.mean() * abs(float((pred[sel] == y[sel]).mean()) - float(conf[sel].mean()))
    return float(total)


def split_halves(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded halves of PBC val: (fit, check) index arrays."""
    rng = np.random.default_rng(SPLIT_SEED)
    fit, check = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.nonzero(y == c)[0])
        fit.append(idx[: len(idx) // 2])
        check.append(idx[len(idx) // 2:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(check))


def calibration_report(val_logits: np.ndarray, val_y: np.ndarray, lisc_logits: np.ndarray | None, lisc_y: np.ndarray | None,
                       threshold: float) -> dict:
    fit, check = split_halves(val_y)
    t = fit_temperature(val_logits[fit], val_y[fit])
    rep: dict = {"temperature": round(t, 4), "fit": "PBC val, stratified half (seed 7), NLL",
                 "eceValCheckBefore": ece(softmax(val_logits[check]), val_y[check]),
                 "eceValCheckAfter": ece(softmax(val_logits[check] / t), val_y[check])}
    if lisc_logits is not None and lisc_y is not None:
        rep["eceLiscBefore"] = ece(softmax(lisc_logits), lisc_y)
        rep["eceLiscAfter"] = ece(softmax(lisc_logits / t), lisc_y)
        rep["unidentifiedLisc"] = float((softmax(lisc_logits / t).max(1) < threshold).mean())
    p = softmax(val_logits / t)
    rep["unidentifiedVal"] = float((p.max(1) < threshold).mean())
    rep["unidentifiedValBefore"] = float((softmax(val_logits).max(1) < threshold).mean())
    keep = p.max(1) >= threshold
    rep["valAccuracyOnIdentified"] = float((p.argmax(1)[keep] == val_y[keep]).mean())
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in rep.items()}


def main() -> None:
    import evaluate_shifts as ev  # noqa: PLC0415

    ap = argparse.ArgumentParser()
    ap.add_argument("model", help="checkpoint (.pt) or bundle folder")
    ap.add_argument("--threshold", type=float, default=0.5)
    a = ap.parse_args()
    path = Path(a.model).resolve()
    model = ev.CheckpointModel(path, 2) if path.suffix == ".pt" else ev.BundleModel(path, "int8", 2)
    vf, vy = ev.list_split(ev.DATA / "pbc/val", ev.CLASSES)
    lf, ly = ev.list_split(ev.DATA / "lisc", ev.LISC_CLASSES)
    vl = model.logits(ev.prepare(vf, None, model.policy, 2)[0])
    ll = model.logits(ev.prepare(lf, None, model.policy, 2)[0])
    print(calibration_report(vl, vy, ll, ly, a.threshold))


if __name__ == "__main__":
    main()
