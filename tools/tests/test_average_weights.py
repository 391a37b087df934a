"""average_weights.py (weight averaging of one lineage's checkpoints): the weighted mean of every float
tensor, BatchNorm statistics included, with weights normalised; integer buffers from the first; checkpoints
of another architecture or input policy refused."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
from average_weights import average, parse_part  # noqa: E402
from model import CellNet  # noqa: E402


def _ckpt(seed: int, **meta) -> dict:
    torch.manual_seed(seed)
    net = CellNet((8, 16), 8, 8)
    for m in net.modules():  # non-trivial BN statistics, so averaging them is checked too
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
            m.num_batches_tracked.fill_(seed + 10)
    return {"ema": net.state_dict(), "widths": (8, 16), "stem": 8, "classes": list("abcdefgh"), "size": 64,
            "resize": "cell-centred-v1", "margin": 0.5, "input_norm": "none", "epoch": seed, "val": {}} | meta


def test_weighted_mean_of_every_float_tensor_weights_normalised():
    a, b = _ckpt(1), _ckpt(2)
    out = average([(a, 3.0), (b, 1.0)])  # = 0.75 / 0.25
    for name, t in out["ema"].items():
        if t.is_floating_point():
            torch.testing.assert_close(t, 0.75 * a["ema"][name] + 0.25 * b["ema"][name])
        else:
            assert torch.equal(t, a["ema"][name])
    assert out["resize"] == "cell-centred-v1" and "val" not in out


def test_the_average_is_a_working_network():
    out = average([(_ckpt(1), 1.0), (_ckpt(2), 1.0)])
    net = CellNet((8, 16), 8, 8)
    net.load_state_dict(out["ema"])
    net.eval()
    assert net(torch.randn(2, 3, 64, 64)).shape == (2, 8)


@pytest.mark.parametrize("meta", [{"widths": (8, 32)}, {"resize": "whole-bilinear-antialias"}, {"margin": 0.3}])
def test_another_architecture_or_input_policy_is_refused(meta):
    with pytest.raises(ValueError, match="checkpoints differ"):
        average([(_ckpt(1), 1.0), (_ckpt(2, **meta), 1.0)])


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        average([(_ckpt(1), 1.0), (_ckpt(2), -0.5)])


def test_parse_part():
    assert parse_part("runs/x/epoch3.pt:0.3") == (Path("runs/x/epoch3.pt"), 0.3)
    assert parse_part("runs/x/best.pt") == (Path("runs/x/best.pt"), 1.0)
