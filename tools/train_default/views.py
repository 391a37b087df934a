"""Training views: a PBC crop changed the way other labs' crops differ, then framed by the model's policy.

Geometry and resolution have to be changed on the full-resolution crop, before the framing (the
cell-centred policy looks for the cell in whatever it is given), so cache_dataset.py renders a few
random views per training crop once, and train.py draws one of them per epoch (then rotates, flips
and recolours it online, augment.py). View 0 is always the plain crop.

One random view:
  - zoom z, log-uniform in 0.4–2.5 (z < 1: shrunk, its surroundings mirrored around it, at a random
    offset; z > 1: a window of 1/z of the crop around a point near the centre, enlarged back);
  - p 0.25: cropped tight around the cell (the stained region's box grown by 5–50 % per side, each side
    on its own, so the cell can touch an edge);
  - p 0.3: resolution lowered (the longest side to 40–128 px, then back up);
  - p 0.25: JPEG re-encoded at quality 25–80.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

import cellcrop


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    return np.asarray(Image.fromarray(a).resize((max(1, w), max(1, h)), Image.BILINEAR))


def random_view(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = a.shape[:2]
    z = float(np.exp(rng.uniform(np.log(0.4), np.log(2.5))))
    if z < 1:
        small = _resize(a, round(w * z), round(h * z))
        py, px = h - small.shape[0], w - small.shape[1]
        oy, ox = int(rng.integers(0, py + 1)), int(rng.integers(0, px + 1))
        a = np.pad(small, ((oy, py - oy), (ox, px - ox), (0, 0)), mode="symmetric")
    elif z > 1:
        cw, ch = max(8, round(w / z)), max(8, round(h / z))
        cx = w / 2 + rng.uniform(-0.1, 0.1) * w
        cy = h / 2 + rng.uniform(-0.1, 0.1) * h
        x0 = int(np.clip(round(cx - cw / 2), 0, w - cw))
        y0 = int(np.clip(round(cy - ch / 2), 0, h - ch))
        a = _resize(np.ascontiguousarray(a[y0:y0 + ch, x0:x0 + cw]), w, h)
    if rng.random() < 0.25:
        f = cellcrop.find_cell(a, 0.0)
        if f.cell_found:
            g = rng.uniform(0.05, 0.5, 4) * f.side
            x0, y0 = max(0, round(f.left - g[0])), max(0, round(f.top - g[1]))
            x1 = min(a.shape[1], round(f.left + f.side + g[2]))
            y1 = min(a.shape[0], round(f.top + f.side + g[3]))
            if x1 - x0 >= 32 and y1 - y0 >= 32:
                a = np.ascontiguousarray(a[y0:y1, x0:x1])
    if rng.random() < 0.3:
        hh, ww = a.shape[:2]
        s = rng.uniform(40, 128) / max(hh, ww)
        if s < 1:
            a = _resize(_resize(a, round(ww * s), round(hh * s)), ww, hh)
    if rng.random() < 0.25:
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, format="JPEG", quality=int(rng.integers(25, 81)))
        buf.seek(0)
        a = np.asarray(Image.open(buf).convert("RGB"))
    return a


def frame(a: np.ndarray, policy: str, size: int, margin: float) -> np.ndarray:
    if policy == cellcrop.POLICY:
        return cellcrop.frame(a, size, margin)[0]
    return cellcrop.whole(a, size)
