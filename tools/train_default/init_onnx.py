"""Rebuild a trainable torch CellNet from a shipped bundle (encoder.fp32.onnx + head.json + manifest.json).

The v1 PyTorch weights were never kept; the bundle is. At export the BatchNorms were folded into the
convolutions (ONNX Conv with a bias), so each rebuilt Conv2d gets the folded kernel and the BatchNorm after
it carries the folded bias: weight 1, running mean 0, running var 1 − eps (so sqrt(var + eps) = 1), bias =
the folded conv bias. In eval mode that is exactly the exported function.

In train mode a BatchNorm normalises by the *batch* statistics, which for an identity-initialised BN are
nothing like mean 0 / var 1, so the first training step would throw the warm start away.
`reparametrise_bn` fixes that without changing the eval function: with the per-channel mean μ and variance
σ² of the conv output on training batches, running mean = μ, running var = σ², weight = sqrt(σ² + eps),
bias = folded bias + μ. Then eval computes weight·(z − μ)/sqrt(σ² + eps) + bias = z + folded bias (the
exported function, up to rounding) and train mode, normalising by batch statistics ≈ μ, σ², computes
almost the same thing.

The head: head.json holds the calibrated weight/T and bias/T (temperature folded in); the rebuilt head
gets T·weight and T·bias, the logits the head was trained with.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from model import CellNet


def _module_path(node: onnx.NodeProto) -> str:
    """'/stages/stages.0/c1/c1.0/Conv' → 'stages.0.c1.0' (torch.onnx scope names repeat the parent's name)."""
    scope = (node.name or node.output[0]).split("/")[1:-1]
    parts: list[str] = []
    prev = ""
    for seg in scope:
        parts.append(seg[len(prev) + 1:] if prev and seg.startswith(prev + ".") else seg)
        prev = seg
    return ".".join(parts)


def _bn_after(net: nn.Module, conv_path: str) -> nn.BatchNorm2d:
    parent_path, _, idx = conv_path.rpartition(".")
    bn = net.get_submodule(parent_path)[int(idx) + 1]
    assert isinstance(bn, nn.BatchNorm2d), f"{conv_path}: no BatchNorm after the conv"
    return bn


def load_bundle(bundle: Path) -> tuple[CellNet, dict]:
    """The bundle's encoder + head as a CellNet (eval mode), and the bundle's manifest."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    arch = manifest["architecture"]
    classes = list(manifest["head"]["classes"])
    net = CellNet(tuple(arch["widths"]), int(arch["stem"]), len(classes), arch.get("inputNorm", "none"))
    fp32 = next(v for v in manifest["encoder"]["variants"] if v["precision"] == "fp32")
    graph = onnx.load(str(bundle / fp32["file"])).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    torch_convs = [name for name, m in net.named_modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == len(torch_convs), f"{len(convs)} ONNX convs vs {len(torch_convs)} in CellNet"
    seen: set[str] = set()
    with torch.no_grad():
        for node in convs:
            path = _module_path(node)
            conv = net.get_submodule(path)
            assert isinstance(conv, nn.Conv2d), f"{path} is not a Conv2d"
            w, b = inits[node.input[1]], inits[node.input[2]]
            assert tuple(w.shape) == tuple(conv.weight.shape), f"{path}: {w.shape} vs {tuple(conv.weight.shape)}"
            conv.weight.copy_(torch.from_numpy(w.copy()))
            bn = _bn_after(net, path)
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(b.copy()))
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
            seen.add(path)
    assert seen == set(torch_convs), f"convs not filled: {set(torch_convs) - seen}"

    head = json.loads((bundle / "head.json").read_text())
    assert head["classes"] == classes
    t = float(head.get("calibration", {}).get("temperature", 1.0))
    with torch.no_grad():
        net.head.weight.copy_(torch.tensor(head["weight"], dtype=torch.float32) * t)
        net.head.bias.copy_(torch.tensor(head["bias"], dtype=torch.float32) * t)
    return net.eval(), manifest


@torch.no_grad()
def reparametrise_bn(net: CellNet, batches: Iterable[torch.Tensor]) -> int:
    """Give every BN the statistics of its conv's output on `batches` (normalised inputs), keeping the
    eval function (see the module docstring). Returns the number of images seen."""
    bns = {name: m for name, m in net.named_modules() if isinstance(m, nn.BatchNorm2d)}
    convs = {name: m for name, m in net.named_modules() if isinstance(m, nn.Conv2d)}
    sums: dict[str, list[torch.Tensor]] = {}

    def hook(name: str):
        def f(_m: nn.Module, _i: tuple, out: torch.Tensor) -> None:
            z = out.double()
            s = sums.setdefault(name, [torch.zeros(out.shape[1], dtype=torch.float64)] * 2 + [torch.zeros(())])
            s[0] = s[0] + z.sum((0, 2, 3))
            s[1] = s[1] + (z * z).sum((0, 2, 3))
            s[2] = s[2] + z.shape[0] * z.shape[2] * z.shape[3]
        return f

    handles = [m.register_forward_hook(hook(n)) for n, m in convs.items()]
    net.eval()  # identity BNs: each conv sees exactly what it sees in the exported network
    n = 0
    try:
        for xb in batches:
            net.embed(xb)
            n += len(xb)
    finally:
        for h in handles:
            h.remove()
    for name, (s1, s2, cnt) in sums.items():
        bn = _bn_after(net, name)
        mu = s1 / cnt
        var = (s2 / cnt - mu * mu).clamp_min(0.0)
        bn.running_mean.copy_(mu.float())
        bn.running_var.copy_(var.float())
        bn.weight.copy_(torch.sqrt(var + bn.eps).float())
        bn.bias.add_(mu.float())
    return n


def head_logits(embeddings: np.ndarray, head_json: Path) -> np.ndarray:
    """Uncalibrated logits (T·weight, T·bias) of head.json on embeddings: what the rebuilt head computes."""
    head = json.loads(head_json.read_text())
    t = float(head.get("calibration", {}).get("temperature", 1.0))
    w = np.asarray(head["weight"], np.float64) * t
    return embeddings.astype(np.float64) @ w.T + np.asarray(head["bias"], np.float64) * t
