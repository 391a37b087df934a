"""Channel pruning of a trained CellNet to fewer channels (train.py --narrow), the counterpart of widen.py.

Why: averaging a cell's embedding over its quarter turns (test-time rotations) lifts PBC val and LISC together
(v3: 97.0 → 97.8 and 67.2 → 68.8), but it costs one encoder pass per rotation, and the browser throughput
budget of issue 14 allows about one pass of v3. A net with 0.7× the channels costs about half (MACs go with the
square of the width), so two rotations of it cost what one pass of v3 costs. Training such a net from scratch
takes hours here; pruning a trained one keeps most of what it has learnt, and a few epochs repair the rest.

How (after Li et al., "Pruning filters for efficient ConvNets", ICLR 2017, with the BatchNorm scale as the
importance, as in Liu et al., "Learning efficient convolutional networks through network slimming", ICCV 2017):
each channel group keeps the channels whose BatchNorm scale |γ| is largest. The residual add ties a stage's
block outputs and its skip to one set of channels, so a stage's output channels are chosen once for the whole
stage, by the sum of |γ| over every BN that writes into them; each block's inner channels (after c1) are their
own group. Kept channels keep their filters (restricted to the kept input channels), BN parameters and
statistics; every consumer (next conv, skip, head) keeps its weights on the kept channels. The pruned net does
*not* compute the old function (the dropped channels' contributions are gone): its BN statistics are re-estimated
on training batches before it trains (`reestimate_bn`).
"""
from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from model import CellNet


def _keep(importance: torch.Tensor, n: int) -> torch.Tensor:
    """Indices (ascending) of the n most important channels."""
    if n > importance.numel():
        raise ValueError(f"narrow: {n} channels > {importance.numel()}: narrowing cannot widen a layer (widen.py does)")
    if n < 1:
        raise ValueError("narrow: a layer needs at least one channel")
    return torch.sort(torch.topk(importance, n).indices).values


def _gamma(seq: nn.Sequential) -> torch.Tensor:
    return seq[1].weight.detach().abs()


def narrow(net: CellNet, widths: tuple[int, ...], stem: int) -> CellNet:
    """A CellNet with `widths` / `stem` channels (each ≤ the old one), its channels the old net's most important
    ones. Training-only settings (feature-statistics noise) are copied; `net` is not changed."""
    old_widths = tuple(b.c2[0].out_channels for b in net.stages[1::2])
    if len(widths) != len(old_widths):
        raise ValueError(f"narrow: {len(widths)} stage widths for a net with {len(old_widths)} stages")
    small = CellNet(tuple(widths), stem, net.head.out_features, net.input_norm)
    small.style_p, small.style_strength, small.style_at = net.style_p, net.style_strength, net.style_at

    def copy_conv_bn(old: nn.Sequential, new: nn.Sequential, keep_in: torch.Tensor | None, keep_out: torch.Tensor) -> None:
        w = old[0].weight.detach()[keep_out]
        if keep_in is not None:
            w = w[:, keep_in]
        new[0].weight.data.copy_(w)
        ob, nb = old[1], new[1]
        for attr in ("weight", "bias", "running_mean", "running_var"):
            getattr(nb, attr).data.copy_(getattr(ob, attr).detach()[keep_out])
        nb.num_batches_tracked.data.copy_(ob.num_batches_tracked)

    k_mid = _keep(_gamma(net.stem[0]), stem)
    copy_conv_bn(net.stem[0], small.stem[0], None, k_mid)
    k_in = _keep(_gamma(net.stem[1]), widths[0])
    copy_conv_bn(net.stem[1], small.stem[1], k_mid, k_in)
    for s in range(len(old_widths)):
        blocks = [net.stages[2 * s], net.stages[2 * s + 1]]
        importance = sum(_gamma(b.c2) for b in blocks)
        for b in blocks:
            if not isinstance(b.skip, nn.Identity):
                importance = importance + _gamma(b.skip)
        k_out = _keep(importance, widths[s])
        for j, ob in enumerate(blocks):
            nb = small.stages[2 * s + j]
            k_inner = _keep(_gamma(ob.c1), widths[s])
            copy_conv_bn(ob.c1, nb.c1, k_in, k_inner)
            copy_conv_bn(ob.c2, nb.c2, k_inner, k_out)
            if not isinstance(ob.skip, nn.Identity):
                copy_conv_bn(ob.skip, nb.skip, k_in, k_out)
            k_in = k_out
    small.head.weight.data.copy_(net.head.weight.detach()[:, k_in])
    small.head.bias.data.copy_(net.head.bias.detach())
    small.train(net.training)
    return small


@torch.no_grad()
def reestimate_bn(net: CellNet, batches: Iterable[torch.Tensor]) -> int:
    """Every BN's running statistics set to their average over `batches` (normalised inputs, train-mode
    forward passes with the feature noise off). Returns the number of images seen."""
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [(m.momentum, m.training) for m in bns]
    p = net.style_p
    net.style_p = 0.0
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
        m.train()
    n = 0
    try:
        for xb in batches:
            net.embed(xb)
            n += len(xb)
    finally:
        net.style_p = p
        for m, (mom, tr) in zip(bns, saved):
            m.momentum = mom
            m.train(tr)
    return n


def macs(widths: tuple[int, ...], stem: int, size: int) -> int:
    """Multiply-accumulates of one encoder pass (convs only; BN folds into them at export)."""
    total, h = 0, size // 2
    total += 3 * stem * 9 * h * h
    total += stem * widths[0] * 9 * h * h
    cin = widths[0]
    for w in widths:
        h //= 2
        total += cin * w * 9 * h * h + w * w * 9 * h * h + cin * w * h * h  # block 0: c1 (stride 2), c2, skip
        total += 2 * w * w * 9 * h * h  # block 1
        cin = w
    return total
