"""Which factor costs how much on LISC? Re-scores LISC after undoing one difference at a time.

    python3 tools/train_default/diagnose_lisc.py public/models/<id> [--precision int8]

Variants (each applied to the LISC crop before the model's own preprocessing; none of this is used by
the app, it only attributes the LISC loss to colour or scale):
    as-is          the crop as the app gets it
    colour→PBC     per-channel mean and standard deviation of each crop matched to PBC val's average
                   (Reinhard-style transfer in RGB): undoes most of the stain/illuminant difference
    zoom ×z        the crop zoomed by z (z > 1: central 1/z enlarged; z < 1: shrunk, surroundings mirrored)
    colour + zoom  both, at the zoom that scored best
    density ×k     every pixel's optical density multiplied by k (k > 1: a darker stain; LISC's nuclei
                   have about half the optical density of PBC's)
    hue ±h         chroma rotated by h radians in YIQ (the stain's hue)
    greyscale      luma only (how much the model leans on colour at all)
    white→PBC      each crop divided by its own 97th-percentile colour (its background) and multiplied by
                   PBC val's median one: the illuminant / white balance alone
    stain→PBC      per-crop Macenko stain normalisation to PBC val's median stain colours and amounts
                   (stainnorm.py): the two stains' colours alone, keeping what differs within the crop
Prints a markdown table (balanced accuracy as the app scores it, 8-class argmax over LISC's 5 classes).
"""
from __future__ import annotations

import argparse
import os
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

import evaluate_shifts as ev
import stainnorm

ZOOMS = (0.7, 0.85, 1.2, 1.45)


def zoom(a: np.ndarray, z: float) -> np.ndarray:
    h, w = a.shape[:2]
    if z >= 1:
        ch, cw = round(h / z), round(w / z)
        y0, x0 = (h - ch) // 2, (w - cw) // 2
        return np.asarray(Image.fromarray(a[y0:y0 + ch, x0:x0 + cw]).resize((w, h), Image.BILINEAR))
    small = np.asarray(Image.fromarray(a).resize((round(w * z), round(h * z)), Image.BILINEAR))
    py, px = h - small.shape[0], w - small.shape[1]
    return np.pad(small, ((py // 2, py - py // 2), (px // 2, px - px // 2), (0, 0)), mode="symmetric")


def colour_match(a: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    x = a.astype(np.float64)
    m, s = x.reshape(-1, 3).mean(0), x.reshape(-1, 3).std(0) + 1e-6
    return np.clip((x - m) / s * std + mean + 0.5, 0, 255).astype(np.uint8)


def density(a: np.ndarray, k: float) -> np.ndarray:
    od = -np.log(np.clip(a.astype(np.float64) / 255, 1 / 255, 1))
    return np.clip(255 * np.exp(-od * k) + 0.5, 0, 255).astype(np.uint8)


_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def hue(a: np.ndarray, h: float) -> np.ndarray:
    c, s = np.cos(h), np.sin(h)
    m = np.linalg.inv(_YIQ) @ np.array([[1, 0, 0], [0, c, -s], [0, s, c]]) @ _YIQ
    return np.clip(a.astype(np.float64) @ m.T + 0.5, 0, 255).astype(np.uint8)


def greyscale(a: np.ndarray) -> np.ndarray:
    g = np.clip(a.astype(np.float64) @ _YIQ[0] + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=-1)


def white_balance(a: np.ndarray, white: np.ndarray) -> np.ndarray:
    x = a.astype(np.float64)
    w = np.quantile(x.reshape(-1, 3), 0.97, axis=0) + 1e-6
    return np.clip(x / w * white + 0.5, 0, 255).astype(np.uint8)


def _stats(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with Image.open(path) as im:
        x = np.asarray(im.convert("RGB"), dtype=np.float64).reshape(-1, 3)
    return x.mean(0), x.std(0), np.quantile(x, 0.97, axis=0)


def stain_normalised(x_u8: np.ndarray, ref: "stainnorm.StainRef") -> tuple[np.ndarray, float]:
    import torch  # noqa: PLC0415

    x = torch.from_numpy(x_u8).permute(0, 3, 1, 2).float() / 255
    y, ok = stainnorm.macenko(x, ref)
    return (y.permute(0, 2, 3, 1) * 255).round().clamp(0, 255).byte().numpy(), float(ok.float().mean())


def _prep(job: tuple) -> tuple[np.ndarray, bool]:
    path, policy, z, mean, std, colour = job
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"))
    if colour is not None:
        kind, v = colour
        a = (density(a, v) if kind == "density" else hue(a, v) if kind == "hue"
             else white_balance(a, v) if kind == "white" else greyscale(a))
    if mean is not None:
        a = colour_match(a, mean, std)
    if z != 1.0:
        a = zoom(a, z)
    return ev.model_input(a, policy)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", help="bundle folder or training checkpoint (.pt)")
    ap.add_argument("--precision", default="int8")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    path = Path(a.model).resolve()
    model = ev.CheckpointModel(path, a.workers) if path.suffix == ".pt" else ev.BundleModel(path, a.precision, a.workers)
    files, y = ev.list_split(ev.DATA / "lisc", ev.LISC_CLASSES)
    val_files, _ = ev.list_split(ev.DATA / "pbc/val", ev.CLASSES)
    with Pool(a.workers) as pool:
        st = pool.map(_stats, val_files, chunksize=64)
        mean, std = np.mean([s[0] for s in st], 0), np.mean([s[1] for s in st], 0)
        white = np.median([s[2] for s in st], 0)

        def inputs(names: list[str], z: float, colour: bool, other: tuple | None = None) -> np.ndarray:
            res = pool.map(_prep, [(f, model.policy, z, mean if colour else None, std, other) for f in names], chunksize=32)
            return np.stack([r[0] for r in res])

        def run(z: float, colour: bool, other: tuple | None = None) -> dict:
            return ev.lisc_scores(y, model.logits(inputs(files, z, colour, other)))

        # stain normalisation acts on the model's input (the framed cell), as it would in the app
        import torch  # noqa: PLC0415
        ref = stainnorm.reference(torch.from_numpy(inputs(val_files[::5], 1.0, False)).permute(0, 3, 1, 2).float() / 255)
        x_norm, stain_ok = stain_normalised(inputs(files, 1.0, False), ref)

        rows = [("as-is", run(1.0, False)), ("colour→PBC", run(1.0, True))]
        zs = [(f"zoom ×{z}", run(z, False), z) for z in ZOOMS]
        rows += [(n, r) for n, r, _ in zs]
        best = max(zs + [("", rows[0][1], 1.0)], key=lambda t: t[1]["bal8"])[2]
        rows.append((f"colour→PBC + zoom ×{best}", run(best, True)))
        rows += [(f"density ×{k}", run(1.0, False, ("density", k))) for k in (1.5, 2.0)]
        rows += [(f"hue {h:+.1f}", run(1.0, False, ("hue", h))) for h in (-0.3, 0.3)]
        rows.append(("greyscale", run(1.0, False, ("grey", 0))))
        rows.append(("white→PBC", run(1.0, False, ("white", white))))
        rows.append((f"stain→PBC (Macenko; {100 * stain_ok:.0f} % of crops estimated)", ev.lisc_scores(y, model.logits(x_norm))))
    print(f"LISC diagnosis, {model.describe.get('id', model.describe['model'])} {model.describe['precision']}\n")
    print("| LISC variant | bal. acc. | " + " | ".join(ev.LISC_CLASSES) + " |")
    print("|---|---|" + "---|" * len(ev.LISC_CLASSES))
    for n, r in rows:
        print(f"| {n} | {100 * r['bal8']:.1f} | " + " | ".join(f"{100 * r['recall8'][c]:.1f}" for c in ev.LISC_CLASSES) + " |")


if __name__ == "__main__":
    main()
