"""The synthetic shifts of PBC val, defined once (seeded per image, so every run sees the same images).

Each shift turns a PBC crop (as decoded from its file) into what another lab's crop of the same cell
might look like; the model's own preprocessing (whole-crop or cell-centred resize) is applied afterwards,
exactly as the app would. Used by evaluate_shifts.py; the training augmentation is separate (augment.py),
so a shift is not a replay of a training transform.

    scale_0.5   the cell at half the size: the crop shrunk ×0.5, its surroundings mirrored around it
                (a lower-magnification field of view, same crop size)
    scale_2     the cell at twice the size: the central half of the crop enlarged ×2
    tight       cropped tight around the cell: the stained region's square box (cellcrop.find_cell, no
                margin) grown by 25 % on each side and clipped to the crop (the cell fills most of it)
    lowres      downsampled to s×s, s uniform in 64–100 px, and back up to the original size
    stain       other stain colours: haematoxylin/eosin/residual optical densities (Ruifrok–Johnston HED)
                scaled ×U(0.7, 1.3) and shifted ±0.05 each, then the illuminant tinted (per-channel
                gain U(0.85, 1.05), the largest set to 1)
    blur        Gaussian blur, radius 2 px at the source resolution (defocus)
    jpeg30      re-encoded as JPEG at quality 30
"""
from __future__ import annotations

import io
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from cellcrop import find_cell

SEED = 20240601

# Ruifrok & Johnston (2001) stain vectors, rows = haematoxylin, eosin, DAB (residual), as in skimage.
RGB_FROM_HED = np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]], dtype=np.float64)
RGB_FROM_HED = RGB_FROM_HED / np.linalg.norm(RGB_FROM_HED, axis=1, keepdims=True)
HED_FROM_RGB = np.linalg.inv(RGB_FROM_HED)


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    return np.asarray(Image.fromarray(a).resize((w, h), Image.BILINEAR))


def scale_half(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = a.shape[:2]
    small = _resize(a, max(1, w // 2), max(1, h // 2))
    py, px = h - small.shape[0], w - small.shape[1]
    return np.pad(small, ((py // 2, py - py // 2), (px // 2, px - px // 2), (0, 0)), mode="symmetric")


def scale_double(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = a.shape[:2]
    y0, x0 = h // 4, w // 4
    return _resize(a[y0:y0 + h // 2, x0:x0 + w // 2], w, h)


def tight(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = a.shape[:2]
    f = find_cell(a, 0.0)
    if not f.cell_found:
        return a
    grow = f.side // 4
    x0, y0 = max(0, f.left - grow), max(0, f.top - grow)
    x1, y1 = min(w, f.left + f.side + grow), min(h, f.top + f.side + grow)
    return np.ascontiguousarray(a[y0:y1, x0:x1])


def lowres(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = a.shape[:2]
    s = int(rng.integers(64, 101))
    return _resize(_resize(a, s, s), w, h)


def stain(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    od = -np.log(np.maximum(a.astype(np.float64), 1.0) / 255.0)
    hed = od.reshape(-1, 3) @ HED_FROM_RGB
    hed = hed * rng.uniform(0.7, 1.3, 3) + rng.uniform(-0.05, 0.05, 3)
    rgb = np.exp(-(hed @ RGB_FROM_HED)) * 255.0
    gain = rng.uniform(0.85, 1.05, 3)
    rgb = rgb * (gain / gain.max())
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8).reshape(a.shape)


def blur(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(Image.fromarray(a).filter(ImageFilter.GaussianBlur(radius=2)))


def jpeg30(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG", quality=30)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


SHIFTS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "scale_0.5": scale_half,
    "scale_2": scale_double,
    "tight": tight,
    "lowres": lowres,
    "stain": stain,
    "blur": blur,
    "jpeg30": jpeg30,
}


def apply_shift(name: str, a: np.ndarray, key: str) -> np.ndarray:
    """Shift `a` (H×W×3 uint8); `key` (the file's path) seeds the per-image randomness."""
    rng = np.random.default_rng([SEED, zlib.crc32(name.encode()), zlib.crc32(key.encode())])
    return SHIFTS[name](np.ascontiguousarray(a[..., :3]), rng)
