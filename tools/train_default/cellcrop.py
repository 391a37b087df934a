"""Cell-centred framing, the Python mirror of src/core/cellCrop.ts (input.resize = "cell-centred-v1").

Both implementations must give the same box, the same padding colour and therefore (with Pillow's
resize, which src/core/preprocess.ts reproduces bit-exactly) the same model input. Everything up to the
box is integer arithmetic (block sums, sorted-integer percentiles, connected components as sets), so
there is nothing to round differently; the one floating-point step (centroid distance) uses the same
IEEE double operations in the same order in both. src/core/cellCrop.test.ts compares the two on the
fixtures made by tools/fixtures/make_cellcrop_fixture.py.

The finder, on an analysis grid of b×b-pixel blocks (b = ceil(longest side / 64)):
  1. stain score per block  s = ΣR + ΣB − 2ΣG  (purple/blue nuclei and cytoplasm score high; pink or pale
     red cells, background and black padding score low, in PBC's and in LISC's colours);
  2. med = median block score, hi = the 99.5th percentile; when (hi − med) < MIN_CONTRAST·b² nothing is
     stained enough to be a white cell → no cell;
  3. mask = s > med + (hi − med)/2, dilated once (3×3), 8-connected components;
  4. candidates: components with at least 1/5 of the largest one's mask blocks (and ≥ MIN_BLOCKS); the one
     whose centroid is nearest the crop centre wins (two cells → the central one);
  5. box = the square around that component's mask blocks, side = longest side × (1 + 2·margin), at least
     MIN_SIDE px, centred on it; the part outside the crop is filled with the median colour of the
     brightest tenth of the blocks (plausible background).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

POLICY = "cell-centred-v1"
GRID = 64            # analysis grid: at most GRID blocks along the longest side
MIN_CROP = 32        # smaller crops are resized whole (as with whole-bilinear-antialias)
MIN_CONTRAST = 48    # per pixel, in units of R + B − 2G
MIN_BLOCKS = 2       # a component needs at least this many mask blocks
MIN_SIDE = 32        # px, smallest box side
HI_PERMILLE = 995    # the percentile used as "most stained"

NOTE_SMALL = "Crop under 32 px: the whole crop was used."
NOTE_NO_CELL = "No stained cell found: the whole crop was used."


@dataclass(frozen=True)
class Framing:
    cell_found: bool
    note: str | None
    # square box in source pixels (may extend past the crop), only when cell_found
    left: int = 0
    top: int = 0
    side: int = 0
    fill: tuple[int, int, int] = (0, 0, 0)


def margin_permille(margin: float) -> int:
    # Math.round in TS: half up; margins are validated to [0, 2] so both agree on x.5 cases (none in practice)
    return int(np.floor(margin * 1000 + 0.5))


def _components(mask: np.ndarray) -> np.ndarray:
    """8-connected component labels (0 = background); labels are arbitrary, only the sets matter."""
    from scipy import ndimage  # noqa: PLC0415 - scipy only where the finder runs

    lab, _ = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    return lab


def find_cell(rgb: np.ndarray, margin: float) -> Framing:
    """rgb: H×W×3 (or ×4, alpha ignored) uint8 → framing."""
    h, w = rgb.shape[:2]
    if min(w, h) < MIN_CROP:
        return Framing(False, NOTE_SMALL)
    b = (max(w, h) + GRID - 1) // GRID
    gw, gh = w // b, h // b
    blocks = rgb[: gh * b, : gw * b, :3].astype(np.int64).reshape(gh, b, gw, b, 3).sum(axis=(1, 3))
    sr, sg, sb = blocks[..., 0], blocks[..., 1], blocks[..., 2]
    score = sr + sb - 2 * sg
    flat = np.sort(score.ravel())
    n = flat.size
    med = int(flat[(n - 1) // 2])
    hi = int(flat[(n - 1) * HI_PERMILLE // 1000])
    contrast = hi - med
    if contrast < MIN_CONTRAST * b * b:
        return Framing(False, NOTE_NO_CELL)
    mask = score > med + contrast // 2
    dil = np.zeros((gh + 2, gw + 2), dtype=bool)
    for dy in range(3):
        for dx in range(3):
            dil[dy:dy + gh, dx:dx + gw] |= mask
    lab = _components(dil[1:gh + 1, 1:gw + 1])
    ids = lab[mask]
    if ids.size == 0:
        return Framing(False, NOTE_NO_CELL)
    ys, xs = np.nonzero(mask)
    counts = np.bincount(ids)
    largest = int(counts.max())
    best = None
    for cid in np.unique(ids):
        sel = ids == cid
        area = int(counts[cid])
        if area < MIN_BLOCKS or area * 5 < largest:
            continue
        cx, cy = xs[sel], ys[sel]
        # centroid in doubled grid units (block centre = 2i + 1) vs the grid centre (gw, gh)
        dx = float(int((2 * cx + 1).sum())) / area - gw
        dy = float(int((2 * cy + 1).sum())) / area - gh
        dist = dx * dx + dy * dy
        first = int((cy * gw + cx).min())
        key = (dist, -area, first)
        if best is None or key < best[0]:
            best = (key, int(cx.min()), int(cx.max()), int(cy.min()), int(cy.max()))
    if best is None:
        return Framing(False, NOTE_NO_CELL)
    _, x0, x1, y0, y1 = best
    px0, px1, py0, py1 = x0 * b, (x1 + 1) * b, y0 * b, (y1 + 1) * b
    side = max(px1 - px0, py1 - py0)
    side += 2 * (side * margin_permille(margin) // 1000)
    side = max(side, MIN_SIDE)
    left = (px0 + px1 - side) // 2
    top = (py0 + py1 - side) // 2
    # padding colour: per-channel median block mean over the brightest tenth of the blocks (background)
    bright = (sr + sg + sb).ravel()
    bsorted = np.sort(bright)
    sel = bright >= bsorted[(n - 1) * 900 // 1000]
    fill = []
    for ch in (sr, sg, sb):
        v = np.sort(ch.ravel()[sel] // (b * b))
        fill.append(int(v[(v.size - 1) // 2]))
    return Framing(True, None, left, top, side, (fill[0], fill[1], fill[2]))


def crop_square(rgb: np.ndarray, f: Framing) -> np.ndarray:
    """The framing's square (side×side×3 uint8), filled with f.fill outside the crop."""
    h, w = rgb.shape[:2]
    out = np.empty((f.side, f.side, 3), dtype=np.uint8)
    out[:] = np.array(f.fill, dtype=np.uint8)
    x0, y0 = max(0, f.left), max(0, f.top)
    x1, y1 = min(w, f.left + f.side), min(h, f.top + f.side)
    if x1 > x0 and y1 > y0:
        out[y0 - f.top:y1 - f.top, x0 - f.left:x1 - f.left] = rgb[y0:y1, x0:x1, :3]
    return out


def frame(rgb: np.ndarray, size: int, margin: float) -> tuple[np.ndarray, Framing]:
    """The model input (size×size×3 uint8) under cell-centred-v1, and how it was framed."""
    f = find_cell(rgb, margin)
    src = crop_square(rgb, f) if f.cell_found else np.ascontiguousarray(rgb[..., :3])
    return np.asarray(Image.fromarray(src).resize((size, size), Image.BILINEAR)), f


def whole(rgb: np.ndarray, size: int) -> np.ndarray:
    """whole-bilinear-antialias: the whole crop resized straight to size×size."""
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb[..., :3])).resize((size, size), Image.BILINEAR))
