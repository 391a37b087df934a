"""A small CellNet (the default model's architecture, tools/train_default/model.py) and random images for the
tests of the training code: two stages of 8 and 16 channels keep a forward pass to milliseconds."""
from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "train_default"))
from model import CellNet  # noqa: E402


def tiny_cellnet(input_norm: str = "none", *, style_p: float = 0.0, trained_bn: bool = False) -> CellNet:
    """Seeded, in training mode. trained_bn: non-trivial BatchNorm running statistics, as after training
    (a fresh net's mean 0 / var 1 would hide a graph that skips them)."""
    torch.manual_seed(0)
    net = CellNet((8, 16), 8, 8, input_norm)
    net.style_p = style_p
    if trained_bn:
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 2.0)
    return net


def random_images(n: int = 4, size: int = 32) -> torch.Tensor:
    """Seeded images in [-1, 1], the range of normalised crops."""
    g = torch.Generator().manual_seed(1)
    return torch.rand(n, 3, size, size, generator=g) * 2 - 1


def trained_like_cellnet() -> CellNet:
    """The tiny net with non-trivial BatchNorm affine parameters and statistics, as after training (in training mode)."""
    net = tiny_cellnet(trained_bn=True)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    return net
