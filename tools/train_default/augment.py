"""Batched augmentations (torch, CPU) that imitate other labs' smears.

Stain/colour (per-channel gain, brightness, contrast, saturation, hue, gamma), any rotation (cells
have no "up"), flips, scale ±15 %, small shifts, Gaussian blur (focus), sensor noise. JPEG artefacts
come from the pre-encoded copy in the cache (see cache_dataset.py).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def normalise(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    return (x - mean) / std


def _u(n: int, lo: float, hi: float, g: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def _geometry(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    ang = _u(n, -math.pi, math.pi, g)
    scale = _u(n, 0.87, 1.15, g)
    flip = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * flip, cos
    theta[:, :, 2] = _u(2 * n, -0.06, 0.06, g).view(n, 2)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def _colour(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    v = lambda lo, hi: _u(n, lo, hi, g).view(n, 1, 1, 1)  # noqa: E731
    x = x * _u(3 * n, 0.9, 1.1, g).view(n, 3, 1, 1)          # stain balance per channel
    x = x * v(0.8, 1.2)                                         # brightness
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - m) * v(0.8, 1.2) + m                               # contrast
    grey = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    x = (x - grey) * v(0.7, 1.3) + grey                         # saturation
    # hue: rotate chroma in YIQ space
    h = _u(n, -0.25, 0.25, g)
    yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    rgb = torch.linalg.inv(yiq)
    c, s = torch.cos(h), torch.sin(h)
    rot = torch.zeros(n, 3, 3)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = c, -s, s, c
    mat = rgb @ rot @ yiq
    x = torch.einsum("nij,njhw->nihw", mat, x)
    x = x.clamp(0, 1) ** v(0.8, 1.25)                           # gamma
    return x


def _blur(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    sigma = float(_u(1, 0.3, 1.3, g))
    r = 3
    k = torch.exp(-(torch.arange(-r, r + 1, dtype=torch.float32) ** 2) / (2 * sigma * sigma))
    k = (k / k.sum()).view(1, 1, 1, -1).repeat(3, 1, 1, 1)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k, groups=3)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.transpose(2, 3), groups=3)


def augment_batch(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """x: N×3×H×W float in [0,1] -> augmented, same shape, in [0,1]."""
    x = _geometry(x, g)
    x = _colour(x, g)
    sel = torch.rand(x.shape[0], generator=g) < 0.3
    if sel.any():
        x[sel] = _blur(x[sel], g)
    noise = torch.rand(x.shape[0], generator=g) < 0.2
    if noise.any():
        x[noise] = x[noise] + 0.02 * torch.randn(x[noise].shape, generator=g)
    return x.clamp(0, 1)
