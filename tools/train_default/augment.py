"""Batched online augmentations (torch, CPU) that imitate other labs' smears.

Any rotation (cells have no "up"), flips, a little scale and shift (the large zooms, tight crops, low
resolution and JPEG are in the cached views, views.py), stain/colour, Gaussian blur (focus), sensor noise.
Colour, `stain="basic"`: per-channel gain, brightness, contrast, saturation, hue, gamma (the v1 model's).
`stain="hed"` first re-stains in optical-density space: the image is unmixed with a randomly perturbed
haematoxylin/eosin/residual stain matrix, each stain's density scaled and shifted, and mixed back with
the standard one (random stain matrices, Tellez et al. 2019 style), then a random illuminant tint and
the basic jitter follow; `density` scales all stain densities of an image by one common factor (a paler
or darker smear as a whole); `grey` is the probability of a greyscale copy (colour only partly trusted).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def normalise(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    return (x - mean) / std


def _u(n: int, lo: float, hi: float, g: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def _geometry(x: torch.Tensor, g: torch.Generator, scale_range: tuple[float, float], shift: float) -> torch.Tensor:
    n = x.shape[0]
    ang = _u(n, -math.pi, math.pi, g)
    scale = _u(n, scale_range[0], scale_range[1], g)
    flip = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip, -sin
    theta[:, 1, 0], theta[:, 1, 1] = sin * flip, cos
    theta[:, :, 2] = _u(2 * n, -shift, shift, g).view(n, 2)
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


# Ruifrok & Johnston stain vectors (rows: haematoxylin, eosin, residual), unit length
_RGB_FROM_HED = torch.tensor([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]])
_RGB_FROM_HED = _RGB_FROM_HED / _RGB_FROM_HED.norm(dim=1, keepdim=True)


def _restain(x: torch.Tensor, g: torch.Generator, density: tuple[float, float] = (1.0, 1.0),
             mix_jitter: float = 0.0) -> torch.Tensor:
    n = x.shape[0]
    od = -torch.log(x.clamp(min=1 / 255))                                    # N×3×H×W optical density
    m = _RGB_FROM_HED.expand(n, 3, 3) + 0.05 * torch.randn(n, 3, 3, generator=g)
    m = m.abs() / m.abs().norm(dim=2, keepdim=True)                           # a perturbed stain matrix
    hed = torch.einsum("nchw,nck->nkhw", od, torch.linalg.inv(m))             # unmix with it
    hed = hed * _u(3 * n, 0.6, 1.4, g).view(n, 3, 1, 1) + _u(3 * n, -0.08, 0.08, g).view(n, 3, 1, 1)
    if density != (1.0, 1.0):  # one factor for all stains: a paler or darker smear (LISC is ~2x paler)
        hed = hed * _u(n, density[0], density[1], g).view(n, 1, 1, 1)
    if mix_jitter > 0:  # mix back with another lab's stain colours (a random matrix near the standard one)
        mix = _RGB_FROM_HED.expand(n, 3, 3) + mix_jitter * torch.randn(n, 3, 3, generator=g)
        mix = mix.clamp(min=0.01)
        mix = mix / mix.norm(dim=2, keepdim=True)
        od = torch.einsum("nkhw,nkc->nchw", hed, mix)
    else:
        od = torch.einsum("nkhw,kc->nchw", hed, _RGB_FROM_HED)                # mix back, standard stains
    tint = torch.stack([_u(n, 0.82, 1.05, g), _u(n, 0.85, 1.05, g), _u(n, 0.85, 1.1, g)], 1)  # rarely green
    tint = (tint / tint.max(dim=1, keepdim=True).values).view(n, 3, 1, 1)      # illuminant / white balance
    return (torch.exp(-od) * tint).clamp(0, 1)


def _randconv(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random convolution (Xu et al., "Robust and generalizable visual representation learning via random
    convolutions", ICLR 2021): each image goes through a freshly drawn k×k conv (k in 1, 3, 5), its output
    brought back to the image's own per-channel mean and std, and mixed with the image by a random weight.
    A 1×1 kernel re-mixes the colours; 3×3 and 5×5 also change local texture and sharpness, which is what
    differs between scanners and cameras beyond colour. Shape and large-scale layout are kept."""
    n = x.shape[0]
    k = (1, 3, 5)[int(torch.randint(0, 3, (1,), generator=g))]
    w = torch.randn(n * 3, 3, k, k, generator=g) / math.sqrt(3 * k * k)
    y = F.conv2d(x.reshape(1, n * 3, *x.shape[2:]), w, padding=k // 2, groups=n).view_as(x)
    mx, sx = x.mean(dim=(2, 3), keepdim=True), x.std(dim=(2, 3), keepdim=True)
    my, sy = y.mean(dim=(2, 3), keepdim=True), y.std(dim=(2, 3), keepdim=True)
    y = (y - my) / (sy + 1e-6) * sx + mx
    a = torch.rand(n, generator=g).view(n, 1, 1, 1)
    return (a * x + (1 - a) * y).clamp(0, 1)


def augment_batch(x: torch.Tensor, g: torch.Generator, scale_range: tuple[float, float] = (0.87, 1.15),
                  shift: float = 0.06, stain: str = "basic", grey: float = 0.0,
                  density: tuple[float, float] = (1.0, 1.0), mix_jitter: float = 0.0,
                  randconv: float = 0.0) -> torch.Tensor:
    """x: N×3×H×W float in [0,1] -> augmented, same shape, in [0,1]."""
    x = _geometry(x, g, scale_range, shift)
    if stain == "hed":
        x = _restain(x, g, density, mix_jitter)
    x = _colour(x, g)
    if randconv > 0:
        sel = torch.rand(x.shape[0], generator=g) < randconv
        if sel.any():
            x[sel] = _randconv(x[sel], g)
    if grey > 0:
        sel = torch.rand(x.shape[0], generator=g) < grey
        if sel.any():
            y = 0.299 * x[sel, 0:1] + 0.587 * x[sel, 1:2] + 0.114 * x[sel, 2:3]
            x[sel] = y.expand(-1, 3, -1, -1)
    sel = torch.rand(x.shape[0], generator=g) < 0.3
    if sel.any():
        x[sel] = _blur(x[sel], g)
    noise = torch.rand(x.shape[0], generator=g) < 0.2
    if noise.any():
        x[noise] = x[noise] + 0.02 * torch.randn(x[noise].shape, generator=g)
    return x.clamp(0, 1)
