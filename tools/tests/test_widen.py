"""Function-preserving widening (train.py --widen, widen.py): the wider net computes what the trained one
computes, in eval mode and in training mode (batch statistics); its copied channels still learn apart (the
random shares break the symmetry); narrowing, a wrong number of stages and a bad flag are refused."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
from widen import parse_widen, widen  # noqa: E402
from tiny_cellnet import random_images, tiny_cellnet, trained_like_cellnet  # noqa: E402


def _trained_like():
    return trained_like_cellnet()


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_the_wider_net_computes_the_same_function(mode: str) -> None:
    net = _trained_like()
    wide = widen(net, (12, 24), 12, seed=3)
    assert sum(p.numel() for p in wide.parameters()) > 1.8 * sum(p.numel() for p in net.parameters())
    x = random_images(6)
    for m in (net, wide):
        m.train(mode == "train")
    with torch.no_grad():
        want, got = net(x), wide(x)
    assert got.shape == want.shape == (6, 8)
    assert torch.allclose(got, want, atol=1e-5), float((got - want).abs().max())
    # the original net is left as it was
    assert net.stages[0].c1[0].out_channels == 8


def test_copies_learn_apart() -> None:
    """A copy starts as its source; after one step their incoming filters differ, because their outgoing
    shares differ (a plain copy with equal shares would get the same gradient and stay a copy forever)."""
    net = _trained_like()
    wide = widen(net, (12, 24), 12, seed=3)
    opt = torch.optim.SGD(wide.parameters(), lr=0.1)
    wide.train()
    loss = F.cross_entropy(wide(random_images(6)), torch.arange(6) % 8)
    loss.backward()
    opt.step()
    w = wide.stages[-1].c2[0].weight.detach()  # last block's output conv: channels 16..23 copy 0..15
    src_before = net.stages[-1].c2[0].weight.detach()
    old = src_before.shape[0]
    copied = [c for c in range(old, w.shape[0])]
    # every new channel started equal to one original channel (its source) ...
    starts = widen(net, (12, 24), 12, seed=3).stages[-1].c2[0].weight.detach()
    for c in copied:
        assert any(torch.equal(starts[c], starts[s]) for s in range(old))
    # ... and after the step none equals its source any more
    for c in copied:
        src = next(s for s in range(old) if torch.equal(starts[c], starts[s]))
        assert not torch.allclose(w[c], w[src]), f"channel {c} moved exactly as its source {src}"


def test_narrowing_and_wrong_shapes_are_refused() -> None:
    net = tiny_cellnet()
    with pytest.raises(ValueError, match="widening cannot narrow a layer"):
        widen(net, (6, 16), 8)
    with pytest.raises(ValueError, match="3 stage widths for a net with 2 stages"):
        widen(net, (8, 16, 32), 8)


def test_flag_parsing_and_messages() -> None:
    assert parse_widen("36,72,144,288:24") == ((36, 72, 144, 288), 24)
    with pytest.raises(SystemExit, match="give the new stage widths and stem as W0,W1,W2,W3:STEM"):
        parse_widen("36,72,144,288")
    train = ROOT / "tools" / "train_default" / "train.py"
    r = subprocess.run([sys.executable, str(train), "--widen", "36,72,144,288:24", "--data", "/nonexistent"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--widen widens a trained net: give --init or --init-onnx" in r.stderr
