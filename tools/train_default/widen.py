"""Function-preserving widening of a trained CellNet (Net2WiderNet, Chen, Goodfellow & Shlens, ICLR 2016).

Why: within the shipped 1.6 M-parameter net, PBC accuracy and stain robustness (LISC) trade along one line
(v3's model card). Whether more capacity lifts that line is the question; training a wider net from scratch
takes hours here, so the wider net starts as the trained one, computing exactly the same function, and only
then trains (train.py --widen).

How: every channel of the wider net is a copy of one channel of the old net (the first `old` channels are the
originals, the new ones copies of randomly chosen originals). A copy gets its source's incoming filter and
BatchNorm parameters and statistics, so it carries the same activation, in eval mode and in train mode (its
batch statistics are its source's). Each consumer (the next conv, the residual add, the pooled embedding and
the head) splits the weight it had on a source channel among that channel's copies with random shares that sum
to 1: the sum it computes is unchanged, and because the shares differ the copies get different gradients, so
they can grow apart in training (the paper adds noise instead, which changes the function).

Channel groups: the residual add ties a stage's block outputs and skip to one set of channels, so a stage's
output channels are widened once for all its blocks; each block's inner channels (after c1) are their own group.
"""
from __future__ import annotations

import torch

from model import CellNet


def _copies(old: int, new: int, gen: torch.Generator) -> torch.Tensor:
    """Index of the source channel of each of `new` channels: 0..old-1, then random sources."""
    if new < old:
        raise ValueError(f"widen: {new} channels < {old}: widening cannot narrow a layer")
    return torch.cat([torch.arange(old), torch.randint(0, old, (new - old,), generator=gen)])


def _shares(src: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """For each new channel, its share of its source channel's outgoing weight: positive, summing to 1 over
    the copies of each source."""
    raw = 0.5 + torch.rand(len(src), generator=gen)
    total = torch.zeros(int(src.max()) + 1).index_add_(0, src, raw)
    return raw / total[src]


def widen(net: CellNet, widths: tuple[int, ...], stem: int, seed: int = 0) -> CellNet:
    """A CellNet with `widths` / `stem` channels (each ≥ the old one) that computes what `net` computes.
    Training-only settings (feature-statistics noise) are copied; `net` is not changed."""
    old_widths = tuple(b.c2[0].out_channels for b in net.stages[1::2])
    if len(widths) != len(old_widths):
        raise ValueError(f"widen: {len(widths)} stage widths for a net with {len(old_widths)} stages")
    gen = torch.Generator().manual_seed(seed)
    wide = CellNet(tuple(widths), stem, net.head.out_features, net.input_norm)
    wide.style_p, wide.style_strength, wide.style_at = net.style_p, net.style_strength, net.style_at

    groups: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}  # name -> (source index, share) per new channel

    def group(name: str, old: int, new: int) -> tuple[torch.Tensor, torch.Tensor]:
        if name not in groups:
            src = _copies(old, new, gen)
            groups[name] = (src, _shares(src, gen))
        return groups[name]

    def copy_conv_bn(old: torch.nn.Sequential, new: torch.nn.Sequential, gin, gout) -> None:
        w = old[0].weight.detach()
        if gin is not None:  # split the weight on each input channel among its copies
            w = w[:, gin[0]] * gin[1].view(1, -1, 1, 1)
        new[0].weight.data.copy_(w[gout[0]])
        ob, nb = old[1], new[1]
        for attr in ("weight", "bias", "running_mean", "running_var"):
            getattr(nb, attr).data.copy_(getattr(ob, attr).detach()[gout[0]])
        nb.num_batches_tracked.data.copy_(ob.num_batches_tracked)

    g_mid = group("stem.mid", net.stem[0][0].out_channels, stem)
    copy_conv_bn(net.stem[0], wide.stem[0], None, g_mid)
    g_in = group("stem.out", net.stem[1][0].out_channels, widths[0])
    copy_conv_bn(net.stem[1], wide.stem[1], g_mid, g_in)
    for i, (ob, nb) in enumerate(zip(net.stages, wide.stages)):
        stage = i // 2
        g_out = group(f"stage{stage}.out", old_widths[stage], widths[stage])
        g_inner = group(f"block{i}.inner", old_widths[stage], widths[stage])
        copy_conv_bn(ob.c1, nb.c1, g_in, g_inner)
        copy_conv_bn(ob.c2, nb.c2, g_inner, g_out)
        if not isinstance(ob.skip, torch.nn.Identity):
            copy_conv_bn(ob.skip, nb.skip, g_in, g_out)
        g_in = g_out
    wide.head.weight.data.copy_(net.head.weight.detach()[:, g_in[0]] * g_in[1].view(1, -1))
    wide.head.bias.data.copy_(net.head.bias.detach())
    wide.train(net.training)
    return wide


def parse_widen(spec: str, flag: str = "--widen") -> tuple[tuple[int, ...], int]:
    """train.py --widen / --narrow 'W0,W1,W2,W3:STEM' -> ((W0, W1, W2, W3), STEM)."""
    try:
        ws, stem = spec.split(":")
        return tuple(int(w) for w in ws.split(",")), int(stem)
    except ValueError:
        raise SystemExit(f"{flag} {spec!r}: give the new stage widths and stem as W0,W1,W2,W3:STEM, e.g. 36,72,144,288:24")
