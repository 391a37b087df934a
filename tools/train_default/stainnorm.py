"""Per-image stain normalisation (Macenko et al., ISBI 2009), batched in torch, for the LISC diagnosis (diagnose_lisc.py).

Each crop's two stain colours (haematoxylin-like: nuclei; eosin-like: cytoplasm and red cells) are
estimated from its own optical densities, its stain amounts are unmixed with them, scaled so that their
99th percentiles match a reference, and mixed back with the reference colours. A crop from a paler or
pinker smear then reaches the network in PBC's colours, while what differs *within* a crop (granules,
chromatin, cytoplasm against nucleus) is kept.

    x_norm = macenko(x, ref)          # x: N×3×H×W in [0, 1]; ref = reference(x_pbc)

Crops with too few stained pixels to estimate both colours are returned unchanged (`ok` False).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

BETA = 0.15          # mean OD over the channels below this: background, not used to estimate stains
ALPHA = 1.0          # percentile of the angle distribution taken as each stain's direction
MIN_PIXELS = 200     # fewer stained pixels than this: no estimate


@dataclass
class StainRef:
    he: torch.Tensor      # 3×2, columns: stain 1 (haematoxylin-like), stain 2 (eosin-like), unit length
    max_c: torch.Tensor   # 2: 99th-percentile stain amounts

    def as_dict(self) -> dict:
        return {"he": self.he.T.tolist(), "max_c": self.max_c.tolist()}


def _od(x: torch.Tensor) -> torch.Tensor:
    return -torch.log((x * 255.0 + 1.0) / 256.0)


def estimate(od: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """od: 3×P (all pixels of one crop) -> (HE 3×2, max concentrations 2), or None."""
    # (The original rule, every channel above BETA, drops pure pale stains: a thin eosin-like cytoplasm
    # absorbs green only.)
    mask = od.mean(dim=0) > BETA
    v = od[:, mask]
    if v.shape[1] < MIN_PIXELS:
        return None
    cov = v @ v.T / v.shape[1]
    _, vec = torch.linalg.eigh(cov)          # ascending: the plane of the two largest
    e1, e2 = vec[:, 2], vec[:, 1]
    if e1.sum() < 0:
        e1 = -e1
    if e2.sum() < 0:
        e2 = -e2
    phi = torch.atan2(e2 @ v, e1 @ v)
    lo = torch.quantile(phi, ALPHA / 100)
    hi = torch.quantile(phi, 1 - ALPHA / 100)
    a = e1 * torch.cos(lo) + e2 * torch.sin(lo)
    b = e1 * torch.cos(hi) + e2 * torch.sin(hi)
    he = torch.stack([a, b], 1).abs()
    he = he / he.norm(dim=0, keepdim=True)
    c = torch.linalg.lstsq(he, v).solution    # 2×P stained pixels
    # Stain 1 is the nucleus's: the one that dominates the darkest pixels. (The usual rule, "haematoxylin
    # absorbs red most", fails across labs: LISC's red cells are bluer than its nuclei.)
    dark = v.sum(0) >= torch.quantile(v.sum(0), 0.95)
    if c[0, dark].mean() < c[1, dark].mean():
        he, c = he.flip(1), c.flip(0)
    max_c = torch.quantile(c, 0.99, dim=1).clamp(min=1e-3)
    return he, max_c


def reference(x: torch.Tensor) -> StainRef:
    """The median stain colours and amounts of a set of crops (N×3×H×W in [0, 1])."""
    hes, maxes = [], []
    for i in range(x.shape[0]):
        r = estimate(_od(x[i]).reshape(3, -1))
        if r is not None:
            hes.append(r[0])
            maxes.append(r[1])
    he = torch.stack(hes).median(dim=0).values
    return StainRef(he / he.norm(dim=0, keepdim=True), torch.stack(maxes).median(dim=0).values)


def macenko(x: torch.Tensor, ref: StainRef) -> tuple[torch.Tensor, torch.Tensor]:
    """x: N×3×H×W in [0, 1] -> (normalised x, ok per crop)."""
    out = x.clone()
    ok = torch.zeros(x.shape[0], dtype=torch.bool)
    n, _, h, w = x.shape
    for i in range(n):
        od = _od(x[i]).reshape(3, -1)
        r = estimate(od)
        if r is None:
            continue
        he, max_c = r
        c = torch.linalg.lstsq(he, od).solution                  # 2×P, every pixel
        c = c * (ref.max_c / max_c).view(2, 1)
        od_n = ref.he @ c
        out[i] = torch.exp(-od_n).clamp(0, 1).reshape(3, h, w)
        ok[i] = True
    return out, ok
