"""Evaluate a bundle or a training checkpoint on PBC val, on LISC (zero-shot) and on every synthetic shift.

    python3 tools/train_default/evaluate_shifts.py public/models/<id>            # bundle (int8 by default)
    python3 tools/train_default/evaluate_shifts.py public/models/<id> --precision fp32
    python3 tools/train_default/evaluate_shifts.py tools/train_default/runs/<run>/best.pt --label <what>

Preprocessing is the app's: the manifest's (or checkpoint's) input.resize policy — "whole-bilinear-antialias"
or "cell-centred-v1" (cellcrop.py, the mirror of src/core/cellCrop.ts) — then /255 and mean/std.
Metrics: balanced accuracy (mean per-class recall) and per-class recall. LISC (never trained on) is scored
the way the app shows it: the argmax over all 8 classes, over LISC's 5 true classes (a lymphocyte called
"erythroblast" is wrong); `bal5` is the same restricted to the 5 white-cell classes' logits.
Every call appends one record to tools/train_default/runs.jsonl and rewrites RUNS.md from it
(--no-log to skip). --save-logits writes the raw logits (for temperature fitting, calibrate.py).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import cellcrop  # noqa: E402
from shifts import SHIFTS, apply_shift  # noqa: E402

DATA = ROOT.parent / "shared/datasets"
CLASSES = ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]
LISC_CLASSES = ["basophil", "eosinophil", "lymphocyte", "monocyte", "neutrophil"]
LOG = HERE / "runs.jsonl"
RUNS_MD = HERE / "RUNS.md"
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp"}


def list_split(root: Path, classes: list[str]) -> tuple[list[str], np.ndarray]:
    files, labels = [], []
    for c in classes:
        d = root / c
        if not d.is_dir():
            continue
        for f in sorted(d.iterdir()):
            if f.suffix.lower() in IMAGE_EXT:
                files.append(str(f))
                labels.append(CLASSES.index(c))
    return files, np.array(labels, dtype=np.int64)


def model_input(rgb: np.ndarray, policy: dict) -> tuple[np.ndarray, bool]:
    """The app's preprocessing up to the uint8 size×size×3 image; returns (image, cell found)."""
    size = policy["size"]
    if policy["resize"] == cellcrop.POLICY:
        img, f = cellcrop.frame(rgb, size, policy["margin"])
        return img, f.cell_found
    return cellcrop.whole(rgb, size), True


def _prepare(job: tuple[str, str | None, dict]) -> tuple[np.ndarray, bool]:
    path, shift, policy = job
    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB"))
    if shift is not None:
        rgb = apply_shift(shift, rgb, os.path.relpath(path, DATA))
    return model_input(rgb, policy)


def _code_version() -> str:
    """Prepared inputs depend on the framing and shift code: their cache is keyed by it."""
    h = hashlib.sha1()
    for f in ("cellcrop.py", "shifts.py"):
        h.update((HERE / f).read_bytes())
    return h.hexdigest()[:10]


def prepare(files: list[str], shift: str | None, policy: dict, workers: int) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs (uint8) for `files` under `shift` and the policy; cached in .cache (same for every model
    with this policy), keyed by the file list, shift, policy and the framing/shift code."""
    key = hashlib.sha1(json.dumps([files, shift, policy, _code_version()]).encode()).hexdigest()[:16]
    cache = HERE / ".cache" / f"eval_{key}.npz"
    if cache.exists():
        d = np.load(cache)
        return d["x"], d["found"]
    with Pool(workers) as pool:
        res = pool.map(_prepare, [(f, shift, policy) for f in files], chunksize=32)
    x, found = np.stack([r[0] for r in res]), np.array([r[1] for r in res])
    cache.parent.mkdir(exist_ok=True)
    np.savez(cache.with_suffix(".tmp.npz"), x=x, found=found)
    os.replace(cache.with_suffix(".tmp.npz"), cache)
    return x, found


class BundleModel:
    def __init__(self, bundle: Path, precision: str, threads: int):
        import onnxruntime as ort  # noqa: PLC0415

        m = json.loads((bundle / "manifest.json").read_text())
        inp = m["input"]
        self.policy = {"resize": inp["resize"], "size": inp["size"], "margin": inp.get("margin", 0.0)}
        self.mean = np.array(inp["mean"], np.float32).reshape(1, 3, 1, 1)
        self.std = np.array(inp["std"], np.float32).reshape(1, 3, 1, 1)
        v = next(x for x in m["encoder"]["variants"] if x["precision"] == precision)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        self.sess = ort.InferenceSession(str(bundle / v["file"]), so, providers=["CPUExecutionProvider"])
        self.in_name, self.out_name = inp["name"], m.get("output", {}).get("name", "embedding")
        head = json.loads((bundle / m["head"]["file"]).read_text())
        self.classes = head["classes"]
        self.w, self.b = np.array(head["weight"], np.float32), np.array(head["bias"], np.float32)
        # encoder.secondView (src/core/secondView.ts): a second pass, turned, for the cells the head is unsure of
        self.second_view = m["encoder"].get("secondView")
        self.second_view_rows = 0
        # its gate: its own head file when the bundle's head was replaced (a lab head's bundle), else the head
        gate = json.loads((bundle / self.second_view["gate"]["file"]).read_text()) if self.second_view and "gate" in self.second_view else head
        self.gate_w, self.gate_b = np.array(gate["weight"], np.float32), np.array(gate["bias"], np.float32)
        self.describe = {"model": str(bundle.relative_to(ROOT) if bundle.is_relative_to(ROOT) else bundle),
                         "id": m["id"], "version": m["version"], "precision": precision,
                         **({"secondView": self.second_view} if self.second_view else {})}

    def embed(self, x: np.ndarray) -> np.ndarray:
        """Embeddings of normalised NCHW inputs, the app's way: one pass, and for the rows whose top probability
        is below secondView.belowConfidence the mean with the pass on the input turned (np.rot90 over H, W, as
        torch.rot90(x, k, dims=(2, 3)) and src/core/secondView.ts quarterTurn)."""
        e = self.sess.run([self.out_name], {self.in_name: x.astype(np.float32)})[0]
        if not self.second_view:
            return e
        z = e @ self.gate_w.T + self.gate_b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        rows = np.flatnonzero(~(p.max(1) >= self.second_view["belowConfidence"]))
        if len(rows):
            turned = np.ascontiguousarray(np.rot90(x[rows], self.second_view["quarterTurns"], axes=(2, 3)))
            e = e.copy()
            e[rows] = (e[rows] + self.sess.run([self.out_name], {self.in_name: turned.astype(np.float32)})[0]) / 2
        self.second_view_rows += len(rows)
        return e

    def logits(self, x_u8: np.ndarray, bs: int = 64) -> np.ndarray:
        out = []
        for i in range(0, len(x_u8), bs):
            x = (x_u8[i:i + bs].astype(np.float32).transpose(0, 3, 1, 2) / np.float32(255.0) - self.mean) / self.std
            out.append(self.embed(x) @ self.w.T + self.b)
        return np.concatenate(out)


class CheckpointModel:
    def __init__(self, ckpt: Path, threads: int):
        import torch  # noqa: PLC0415

        from model import IMAGENET_MEAN, IMAGENET_STD, build_model  # noqa: PLC0415

        torch.set_num_threads(threads)
        ck = torch.load(ckpt, weights_only=False)  # our own training checkpoint
        self.net = build_model(ck)
        self.net.load_state_dict(ck["ema"])
        self.net.eval()
        self.policy = {"resize": ck.get("resize", "whole-bilinear-antialias"), "size": int(ck["size"]),
                       "margin": float(ck.get("margin", 0.0))}
        self.classes = list(ck["classes"])
        self.mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        hp = ckpt.parent / "hparams.json"
        self.describe = {"model": str(ckpt.relative_to(ROOT) if ckpt.is_relative_to(ROOT) else ckpt),
                         "epoch": int(ck["epoch"]), "precision": "torch-fp32",
                         "hparams": json.loads(hp.read_text()) if hp.exists() else None}
        self.torch = torch

    def logits(self, x_u8: np.ndarray, bs: int = 128) -> np.ndarray:
        t = self.torch
        out = []
        with t.no_grad():
            for i in range(0, len(x_u8), bs):
                x = t.from_numpy(x_u8[i:i + bs]).permute(0, 3, 1, 2).float() / 255.0
                out.append(self.net((x - self.mean) / self.std).numpy())
        return np.concatenate(out)


def recalls(y: np.ndarray, pred: np.ndarray, classes: list[int]) -> dict[str, float]:
    return {CLASSES[c]: float((pred[y == c] == c).mean()) for c in classes if (y == c).any()}


def scores(y: np.ndarray, logits: np.ndarray) -> dict:
    present = sorted(set(y.tolist()))
    pred = logits.argmax(1)
    r = recalls(y, pred, present)
    return {"bal": round(float(np.mean(list(r.values()))), 4), "acc": round(float((pred == y).mean()), 4),
            "recall": {k: round(v, 4) for k, v in r.items()}}


def lisc_scores(y: np.ndarray, logits: np.ndarray) -> dict:
    s8 = scores(y, logits)
    idx = [CLASSES.index(c) for c in LISC_CLASSES]
    masked = np.full_like(logits, -np.inf)
    masked[:, idx] = logits[:, idx]
    s5 = scores(y, masked)
    return {"bal8": s8["bal"], "acc8": s8["acc"], "recall8": s8["recall"], "bal5": s5["bal"], "recall5": s5["recall"]}


def write_runs_md() -> None:
    recs = [json.loads(line) for line in LOG.read_text().splitlines() if line.strip()]
    names = list(SHIFTS)
    head = ("| # | label | model | policy | PBC val bal | LISC bal (8→5) | LISC bal5 | LISC min recall | "
            + " | ".join(names) + " | min shift |")
    lines = ["# Run log — default model (generated from runs.jsonl by evaluate_shifts.py; do not edit)", "",
             "Balanced accuracy, %. LISC = all 1,218 crops, zero-shot (never trained on), 8-class argmax scored",
             "over its 5 classes (what the app shows); bal5 = argmax over the 5 white-cell classes only.",
             "Shifts: tools/train_default/shifts.py, applied to PBC val (1,710). The hyper-parameters and",
             "per-class recalls of each record are in runs.jsonl.", "",
             head, "|" + "---|" * (head.count("|") - 1)]
    for i, r in enumerate(recs, 1):
        sh = r["shifts"]
        lisc = r["lisc"]
        pol = r["policy"]["resize"].replace("whole-bilinear-antialias", "whole").replace(cellcrop.POLICY, "cell")
        if pol == "cell":
            pol += f" m{r['policy']['margin']}"
        pol += f" {r['policy']['size']}px"
        cells = [f"{100 * sh[n]['bal']:.1f}" if n in sh else "–" for n in names]
        mins = min((sh[n]["bal"] for n in names if n in sh), default=None)
        min_cell = f"{100 * mins:.1f}" if mins is not None else "–"  # a run recorded without shifts
        model = r["model"].get("id") or Path(r["model"]["model"]).parent.name
        model += f" {r['model'].get('precision', '')}"
        lines.append(f"| {i} | {r['label']} | {model} | {pol} | {100 * r['pbc_val']['bal']:.1f} | "
                     f"{100 * lisc['bal8']:.1f} | {100 * lisc['bal5']:.1f} | {100 * min(lisc['recall8'].values()):.1f} | "
                     + " | ".join(cells) + f" | {min_cell} |")
    RUNS_MD.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="bundle folder (manifest.json) or training checkpoint (.pt)")
    ap.add_argument("--precision", default="int8", help="bundle encoder variant (default int8, what WASM runs)")
    ap.add_argument("--label", default=None, help="what this run is, for the log")
    ap.add_argument("--shifts", default=",".join(SHIFTS), help="comma-separated subset of shifts, or 'none'")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--save-logits", default=None, help="write logits (npz) for pbc_val, lisc and shifts")
    ap.add_argument("--no-log", action="store_true")
    a = ap.parse_args()
    path = Path(a.model).resolve()
    model = CheckpointModel(path, a.threads) if path.suffix == ".pt" else BundleModel(path, a.precision, a.threads)
    if model.classes != CLASSES:
        raise SystemExit(f"model classes {model.classes} are not the PBC classes {CLASSES}")
    t0 = time.time()
    val_files, val_y = list_split(DATA / "pbc/val", CLASSES)
    lisc_files, lisc_y = list_split(DATA / "lisc", LISC_CLASSES)
    rec: dict = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "label": a.label or model.describe["model"],
                 "model": model.describe, "policy": model.policy}
    saved: dict[str, np.ndarray] = {}

    def second_views(n: int) -> dict:
        """The share of the last set's cells that got the bundle's second view (and reset the count)."""
        k = getattr(model, "second_view_rows", 0)
        if getattr(model, "second_view", None):
            model.second_view_rows = 0
            return {"second_view": round(k / max(1, n), 4)}
        return {}

    def sv_note(r: dict) -> str:
        return f"  second view {100 * r['second_view']:.1f}%" if "second_view" in r else ""

    x, found = prepare(val_files, None, model.policy, a.workers)
    lg = model.logits(x)
    rec["pbc_val"] = scores(val_y, lg) | {"cell_found": round(float(found.mean()), 4)} | second_views(len(x))
    saved["pbc_val"], saved["pbc_val_y"] = lg, val_y
    print(f"PBC val        bal {100 * rec['pbc_val']['bal']:.2f}  acc {100 * rec['pbc_val']['acc']:.2f}  "
          f"cell found {100 * found.mean():.1f}%" + sv_note(rec["pbc_val"]), flush=True)

    x, found = prepare(lisc_files, None, model.policy, a.workers)
    lg = model.logits(x)
    rec["lisc"] = lisc_scores(lisc_y, lg) | {"cell_found": round(float(found.mean()), 4)} | second_views(len(x))
    saved["lisc"], saved["lisc_y"] = lg, lisc_y
    print(f"LISC           bal {100 * rec['lisc']['bal8']:.2f} (5-class {100 * rec['lisc']['bal5']:.2f})  recall "
          + ", ".join(f"{k} {100 * v:.1f}" for k, v in rec["lisc"]["recall8"].items()) + sv_note(rec["lisc"]), flush=True)

    rec["shifts"] = {}
    names = [] if a.shifts == "none" else a.shifts.split(",")
    for name in names:
        x, found = prepare(val_files, name, model.policy, a.workers)
        lg = model.logits(x)
        rec["shifts"][name] = scores(val_y, lg) | {"cell_found": round(float(found.mean()), 4)} | second_views(len(x))
        saved[f"shift_{name}"] = lg
        r = rec["shifts"][name]
        print(f"{name:<14} bal {100 * r['bal']:.2f}  worst " + min(r["recall"].items(), key=lambda kv: kv[1])[0]
              + f" {100 * min(r['recall'].values()):.1f}  cell found {100 * found.mean():.1f}%" + sv_note(r), flush=True)
    rec["eval_seconds"] = round(time.time() - t0)
    if a.save_logits:
        np.savez(a.save_logits, **saved)
    if not a.no_log:
        with open(LOG, "a") as f:
            f.write(json.dumps(rec) + "\n")
        write_runs_md()
        print(f"appended to {LOG.relative_to(ROOT)}; {RUNS_MD.relative_to(ROOT)} rewritten")


if __name__ == "__main__":
    main()
